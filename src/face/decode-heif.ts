/**
 * HEIF-family images → RGBA for the face detector: HEIC (HEVC: what iPhones shoot and many parent apps upload) through
 * libheif with libde265 (libheif-js, LGPL, loaded from node_modules as published), AVIF (AV1) through libavif with
 * dav1d (@jsquash/avif, Squoosh's build). Each WebAssembly module is compiled the first time a worker meets such an
 * image. The image size is read from the item properties (`ispe`) and checked against the pixel bound before
 * anything is decoded: a small file can claim 65535 × 65535.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ascii, u32be } from '../decode/magic-checks.ts';
import type { RgbaImage, Undecodable } from './decode-image.ts';

/** The part of libheif-js's embind API used here. */
interface HeifImage {
  get_width(): number;
  get_height(): number;
  display(target: ImageData, done: (out: ImageData | null) => void): void;
  free(): void;
}
interface Libheif {
  HeifDecoder: new () => { decode(bytes: Uint8Array): HeifImage[]; decoder: { delete(): void } };
}
interface ImageData {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}
interface AvifDecoder {
  default: (data: ArrayBuffer) => Promise<ImageData | null>;
  init(module: WebAssembly.Module): Promise<void>;
}

/** How far into the file the item properties are looked for (`meta` comes first in still images). */
const MAX_HEADER_SCAN = 256 * 1024;

const require = createRequire(import.meta.url);
let libheif: Libheif | undefined;
let avif: Promise<AvifDecoder['default']> | undefined;

function heifDecoder(): Libheif {
  // Given the module's bytes, the factory instantiates synchronously (it would otherwise fetch a URL).
  libheif ??= (require('libheif-js/libheif-wasm/libheif.js') as (o: { wasmBinary: Buffer }) => Libheif)({
    wasmBinary: readFileSync(require.resolve('libheif-js/libheif-wasm/libheif.wasm')),
  });
  return libheif;
}

function avifDecoder(): Promise<AvifDecoder['default']> {
  avif ??= (async () => {
    const mod = (await import('@jsquash/avif/decode.js')) as unknown as AvifDecoder;
    await mod.init(new WebAssembly.Module(readFileSync(require.resolve('@jsquash/avif/codec/dec/avif_dec.wasm'))));
    return mod.default;
  })();
  return avif;
}

/** The codec of an ISO-BMFF still image, by its item properties (`hvcC`, `av1C`); undefined for anything else. */
export function heifCodec(b: Uint8Array): 'hevc' | 'av1' | undefined {
  if (b.length < 16 || !ascii(b, 4, 'ftyp')) return undefined;
  const end = Math.min(b.length, MAX_HEADER_SCAN);
  for (let i = 8; i + 4 <= end; i++) {
    if (b[i] === 0x68 && ascii(b, i, 'hvcC')) return 'hevc';
    if (b[i] === 0x61 && ascii(b, i, 'av1C')) return 'av1';
  }
  return undefined;
}

/**
 * The largest image size the item properties give (`ispe`: the primary item of a grid is the whole picture, its
 * tiles smaller), undefined when there is none.
 */
export function heifSize(b: Uint8Array): { width: number; height: number } | undefined {
  const end = Math.min(b.length, MAX_HEADER_SCAN);
  let best: { width: number; height: number } | undefined;
  for (let i = 8; i + 16 <= end; i++) {
    if (b[i] !== 0x69 || !ascii(b, i, 'ispe')) continue;
    const width = u32be(b, i + 8);
    const height = u32be(b, i + 12);
    if (!best || width * height > best.width * best.height) best = { width, height };
  }
  return best;
}

/** The RGBA pixels of a HEIC or AVIF still image, or why not (no size, over `maxPixels`, or the codec refused it). */
export async function decodeHeif(b: Uint8Array, maxPixels: number): Promise<RgbaImage | Undecodable> {
  const codec = heifCodec(b);
  if (!codec) return { unsupported: 'HEIF image with neither HEVC nor AV1 coding (hvcC, av1C)' };
  const size = heifSize(b);
  if (!size || size.width === 0 || size.height === 0) return { unsupported: 'HEIF image without its size (ispe)' };
  const name = codec === 'hevc' ? 'HEIC' : 'AVIF';
  if (size.width * size.height > maxPixels) {
    return { unsupported: `${name} too large to decode (${size.width}x${size.height})` };
  }
  const out = codec === 'hevc' ? await decodeHevc(b, maxPixels) : await decodeAv1(b);
  if (out === 'too-large') return { unsupported: `${name} too large to decode` };
  if (!out) return { unsupported: `${name} that its decoder refused` };
  return { width: out.width, height: out.height, rgba: out.data };
}

async function decodeHevc(b: Uint8Array, maxPixels: number): Promise<ImageData | null | 'too-large'> {
  const decoder = new (heifDecoder().HeifDecoder)();
  const images = decoder.decode(b);
  try {
    const first = images[0];
    if (!first) return null;
    const width = first.get_width();
    const height = first.get_height();
    // The ispe checked may not be this image's: its own size is checked before its pixels are allocated.
    if (width * height > maxPixels) return 'too-large';
    return await new Promise((resolve) =>
      first.display({ data: new Uint8ClampedArray(width * height * 4), width, height }, resolve),
    );
  } finally {
    for (const image of images) image.free();
    decoder.decoder.delete();
  }
}

async function decodeAv1(b: Uint8Array): Promise<ImageData | null> {
  const decode = await avifDecoder();
  try {
    return await decode(new Uint8Array(b).buffer); // a copy: `b` may be a view into a larger (pooled) buffer
  } catch {
    return null; // libavif's "Decoding error": a broken or truncated file
  }
}

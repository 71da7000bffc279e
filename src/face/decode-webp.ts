/**
 * WebP → RGB for the face detector: libwebp's decoder compiled to WebAssembly (@jsquash/webp, Squoosh's build),
 * compiled the first time a worker meets a WebP (most runs never do). Lossy (VP8), lossless (VP8L) and extended
 * (VP8X: alpha, animation's first frame) files. The canvas size is read from the header and checked against the
 * pixel bound before anything is decoded: a small file can claim 16383 × 16383.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ascii } from '../decode/magic-checks.ts';
import type { RgbaImage, Undecodable } from './decode-image.ts';

type Decode = (data: ArrayBuffer) => Promise<{ width: number; height: number; data: Uint8ClampedArray }>;
interface WebpDecoder {
  default: Decode;
  /** Takes the compiled module (the published types name only the options form). */
  init(module: WebAssembly.Module): Promise<void>;
}

const require = createRequire(import.meta.url);
let decoder: Promise<Decode> | undefined;

function loadDecoder(): Promise<Decode> {
  decoder ??= (async () => {
    const mod = (await import('@jsquash/webp/decode.js')) as unknown as WebpDecoder;
    // Compiled from the package's file: its loader would otherwise fetch() a URL, which Node cannot for file:.
    await mod.init(new WebAssembly.Module(readFileSync(require.resolve('@jsquash/webp/codec/dec/webp_dec.wasm'))));
    return mod.default;
  })();
  return decoder;
}

/** True for a RIFF container of type WEBP. */
export function isWebp(b: Uint8Array): boolean {
  return b.length >= 16 && ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP');
}

/** The canvas size a WebP header gives, by its first chunk (VP8X, VP8 or VP8L); undefined when it gives none. */
export function webpSize(b: Uint8Array): { width: number; height: number } | undefined {
  if (ascii(b, 12, 'VP8X') && b.length >= 30) {
    return { width: 1 + u24le(b, 24), height: 1 + u24le(b, 27) };
  }
  if (ascii(b, 12, 'VP8 ') && b.length >= 30 && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a) {
    return { width: (b[26]! | (b[27]! << 8)) & 0x3fff, height: (b[28]! | (b[29]! << 8)) & 0x3fff };
  }
  if (ascii(b, 12, 'VP8L') && b.length >= 25 && b[20] === 0x2f) {
    const bits = b[21]! | (b[22]! << 8) | (b[23]! << 16) | (b[24]! << 24);
    return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >>> 14) & 0x3fff) };
  }
  return undefined;
}

/** The RGBA pixels of a WebP file, or why not (no size in its header, over `maxPixels`, or libwebp refused it). */
export async function decodeWebp(b: Uint8Array, maxPixels: number): Promise<RgbaImage | Undecodable> {
  const size = webpSize(b);
  if (!size) return { unsupported: 'WebP without a VP8, VP8L or VP8X header' };
  if (size.width * size.height > maxPixels) {
    return { unsupported: `WebP too large to decode (${size.width}x${size.height})` };
  }
  const decode = await loadDecoder();
  const copy = b.slice().buffer; // the decoder takes an ArrayBuffer of the file alone
  let img: Awaited<ReturnType<Decode>>;
  try {
    img = await decode(copy);
  } catch {
    return { unsupported: 'WebP that libwebp cannot decode (broken or truncated)' };
  }
  return { width: img.width, height: img.height, rgba: img.data };
}

function u24le(b: Uint8Array, off: number): number {
  return b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16);
}

/**
 * Image bytes → RGB pixels for the face detector, inside a pool worker (never on the pipeline's thread). JPEG
 * through jpeg-js, PNG through pngjs, WebP through libwebp and HEIC/AVIF through libheif/libavif in WebAssembly
 * (decode-webp.ts, decode-heif.ts), BMP and GIF (first frame) through our own decoders, all with memory and
 * resolution bounds; every other format (TIFF, HEIF with another codec) is reported as undecodable with its reason
 * rather than guessed at.
 */
import { createRequire } from 'node:module';
import jpeg from 'jpeg-js';
import { ascii } from '../decode/magic-checks.ts';
import { DEFAULT_LIMITS, type Limits } from '../model/limits.ts';
import { decodeBmp } from './decode-bmp.ts';
import { decodeGif } from './decode-gif.ts';
import { decodeHeif } from './decode-heif.ts';
import { decodeWebp, isWebp } from './decode-webp.ts';

/** The part of pngjs we use (it ships no types). */
interface PngSync {
  PNG: { sync: { read(buf: Buffer): { width: number; height: number; data: Uint8Array } } };
}
const { PNG } = createRequire(import.meta.url)('pngjs') as PngSync;

/** Pixels of a decoded image: `data` is RGB, 3 bytes per pixel, row by row. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Pixels as the WebAssembly decoders give them: RGBA, 4 bytes per pixel. */
export interface RgbaImage {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

/** Why an image could not be turned into pixels. */
export interface Undecodable {
  unsupported: string;
}

/**
 * The image's pixels, or why not. Images above `limits.MAX_DECODE_MEGAPIXELS` are not decoded (a 16 MiB JPEG can
 * claim 65535×65535).
 */
export async function decodeImage(
  bytes: Uint8Array,
  limits: Pick<Limits, 'MAX_DECODE_MEGAPIXELS'> = DEFAULT_LIMITS,
): Promise<RgbImage | Undecodable> {
  const b = bytes;
  const maxMegapixels = limits.MAX_DECODE_MEGAPIXELS;
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    try {
      const img = jpeg.decode(b, {
        useTArray: true,
        formatAsRGBA: false,
        maxResolutionInMP: maxMegapixels,
        maxMemoryUsageInMB: 512,
      });
      return { width: img.width, height: img.height, data: img.data };
    } catch (err) {
      // jpeg-js says `maxResolutionInMP limit exceeded by 1MP`: name our bound instead.
      if (!String(err).includes('maxResolutionInMP')) throw err;
      return { unsupported: `JPEG too large to decode (over MAX_DECODE_MEGAPIXELS = ${maxMegapixels})` };
    }
  }
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) {
    // IHDR width and height, checked before pngjs allocates the pixels (a small PNG can claim a huge image).
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (b.length < 24 || view.getUint32(16) * view.getUint32(20) > maxMegapixels * 1e6) {
      return { unsupported: 'PNG too large to decode (or no header)' };
    }
    const png = PNG.sync.read(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    return { width: png.width, height: png.height, data: rgbaToRgb(png.data) };
  }
  if (b[0] === 0x42 && b[1] === 0x4d) return decodeBmp(b, maxMegapixels * 1e6);
  if (b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) return decodeGif(b, maxMegapixels * 1e6);
  const wasm = isWebp(b)
    ? await decodeWebp(b, maxMegapixels * 1e6)
    : ascii(b, 4, 'ftyp')
      ? await decodeHeif(b, maxMegapixels * 1e6)
      : undefined;
  if (wasm)
    return 'unsupported' in wasm ? wasm : { width: wasm.width, height: wasm.height, data: rgbaToRgb(wasm.rgba) };
  return { unsupported: `no decoder for ${formatName(b)} (JPEG, PNG, WebP, HEIC, AVIF, BMP and GIF are decoded)` };
}

function rgbaToRgb(rgba: Uint8Array | Uint8ClampedArray): Uint8Array {
  const out = new Uint8Array((rgba.length / 4) * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    out[j] = rgba[i] as number;
    out[j + 1] = rgba[i + 1] as number;
    out[j + 2] = rgba[i + 2] as number;
  }
  return out;
}

function formatName(b: Uint8Array): string {
  return ascii(b, 0, 'II*\u0000') || ascii(b, 0, 'MM\u0000*') ? 'TIFF' : 'this format';
}

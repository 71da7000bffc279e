/**
 * BMP bytes → RGB pixels for the face detector: Windows bitmaps with a BITMAPINFOHEADER or a later one (V2–V5),
 * uncompressed 24-bit, 32-bit (BI_RGB or BI_BITFIELDS) and 8-bit palettized, bottom-up or top-down. Not decoded:
 * OS/2 core headers, 1/4/16-bit pixels, RLE, embedded JPEG/PNG. Never throws: a bad or truncated file is an
 * `Undecodable`, and the size is checked against the bound before any pixel buffer is allocated.
 */
import type { RgbImage, Undecodable } from './decode-image.ts';

const FILE_HEADER = 14;
const INFO_HEADER = 40;
const BI_RGB = 0;
const BI_BITFIELDS = 3;

/** Decodes a BMP of at most `maxPixels` pixels. */
export function decodeBmp(b: Uint8Array, maxPixels: number): RgbImage | Undecodable {
  if (b.length < FILE_HEADER + INFO_HEADER || b[0] !== 0x42 || b[1] !== 0x4d) return bad('no header');
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dataOffset = view.getUint32(10, true);
  const dibSize = view.getUint32(14, true);
  if (dibSize < INFO_HEADER) return bad(`${dibSize}-byte (OS/2) header not decoded`);
  const width = view.getInt32(18, true);
  const rawHeight = view.getInt32(22, true);
  const bpp = view.getUint16(28, true);
  const compression = view.getUint32(30, true);
  const height = Math.abs(rawHeight);
  if (width <= 0 || height === 0) return bad(`empty image ${width}x${rawHeight}`);
  if (width * height > maxPixels) return bad(`too large to decode (${width}x${height})`);
  const kind = pixelKind(bpp, compression);
  if (!kind) return bad(`${bpp}-bit pixels with compression ${compression} not decoded`);
  const stride = Math.ceil((bpp * width) / 32) * 4;
  if (dataOffset + stride * height > b.length) return bad('truncated pixel data');

  let palette: Uint8Array | undefined;
  let fields: Channel[] | undefined;
  if (kind === 'palette') {
    const start = FILE_HEADER + dibSize;
    const used = view.getUint32(46, true);
    const count = Math.min(used === 0 || used > 256 ? 256 : used, Math.max(0, (dataOffset - start) >> 2));
    palette = readPalette(b, start, count);
  } else if (kind === 'bitfields') {
    // The three masks follow a 40-byte header, or sit inside a V2+ header at the same offset.
    if (FILE_HEADER + INFO_HEADER + 12 > b.length) return bad('truncated bitfield masks');
    fields = [0, 4, 8].map((o) => channel(view.getUint32(FILE_HEADER + INFO_HEADER + o, true)));
  }

  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (rawHeight > 0 ? height - 1 - y : y) * stride;
    const o = y * width * 3;
    if (palette) paletteRow(b, row, width, palette, out, o);
    else if (fields) bitfieldRow(view, row, width, fields, out, o);
    else bgrRow(b, row, width, bpp >> 3, out, o);
  }
  return { width, height, data: out };
}

function bad(why: string): Undecodable {
  return { unsupported: `BMP ${why}` };
}

function pixelKind(bpp: number, compression: number): 'bgr' | 'bitfields' | 'palette' | undefined {
  if (compression === BI_RGB && (bpp === 24 || bpp === 32)) return 'bgr';
  if (compression === BI_BITFIELDS && bpp === 32) return 'bitfields';
  if (compression === BI_RGB && bpp === 8) return 'palette';
  return undefined;
}

/** 256 RGB entries from the BGRX table; indices past the table's end stay black. */
function readPalette(b: Uint8Array, start: number, count: number): Uint8Array {
  const rgb = new Uint8Array(256 * 3);
  for (let i = 0; i < count; i++) {
    rgb[i * 3] = b[start + i * 4 + 2] as number;
    rgb[i * 3 + 1] = b[start + i * 4 + 1] as number;
    rgb[i * 3 + 2] = b[start + i * 4] as number;
  }
  return rgb;
}

function bgrRow(b: Uint8Array, row: number, width: number, step: number, out: Uint8Array, o: number): void {
  for (let x = 0, i = row; x < width; x++, i += step, o += 3) {
    out[o] = b[i + 2] as number;
    out[o + 1] = b[i + 1] as number;
    out[o + 2] = b[i] as number;
  }
}

function paletteRow(b: Uint8Array, row: number, width: number, pal: Uint8Array, out: Uint8Array, o: number): void {
  for (let x = 0; x < width; x++, o += 3) {
    const p = (b[row + x] as number) * 3;
    out[o] = pal[p] as number;
    out[o + 1] = pal[p + 1] as number;
    out[o + 2] = pal[p + 2] as number;
  }
}

/** One colour channel of a bitfield pixel: its mask, where it starts, and how to widen it to 8 bits. */
interface Channel {
  mask: number;
  shift: number;
  scale: number;
}

function channel(mask: number): Channel {
  if (mask === 0) return { mask, shift: 0, scale: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  let bits = 0;
  while (((mask >>> (shift + bits)) & 1) === 1 && shift + bits < 32) bits++;
  return { mask, shift, scale: 255 / (2 ** bits - 1) };
}

function bitfieldRow(view: DataView, row: number, width: number, [r, g, b]: Channel[], out: Uint8Array, o: number) {
  for (let x = 0; x < width; x++, o += 3) {
    const px = view.getUint32(row + x * 4, true);
    out[o] = field(px, r as Channel);
    out[o + 1] = field(px, g as Channel);
    out[o + 2] = field(px, b as Channel);
  }
}

function field(px: number, c: Channel): number {
  // A mask with holes can give more than its run of bits: clamp rather than wrap.
  return Math.min(255, Math.round(((px & c.mask) >>> c.shift) * c.scale));
}

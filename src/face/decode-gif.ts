/**
 * GIF bytes → RGB pixels for the face detector: the first frame only (GIF87a/89a, global or local colour table,
 * interlaced or not), as its own rectangle — not composited onto the logical screen, transparency ignored (a
 * transparent index shows its table colour). The LZW decoder is here. Never throws: a bad or truncated file is an
 * `Undecodable`; the frame's size is checked against the bound before decoding, and the index buffer grows with
 * the data actually decoded, so a small file claiming a huge frame allocates little before it is refused.
 */
import type { RgbImage, Undecodable } from './decode-image.ts';

const MAX_CODES = 4096;
const EXTENSION = 0x21;
const IMAGE = 0x2c;
const TRAILER = 0x3b;

/** Decodes the first frame of a GIF of at most `maxPixels` pixels. */
export function decodeGif(b: Uint8Array, maxPixels: number): RgbImage | Undecodable {
  const sig = String.fromCharCode(...b.subarray(0, 6));
  if (b.length < 13 || (sig !== 'GIF87a' && sig !== 'GIF89a')) return bad('no header');
  const screenFlags = b[10] as number;
  let pos = 13;
  let table: Uint8Array | undefined;
  if (screenFlags & 0x80) {
    const size = 3 << ((screenFlags & 7) + 1);
    table = b.subarray(pos, pos + size);
    pos += size;
  }
  // Extensions before the first image (graphic control, comments, NETSCAPE loop) are skipped.
  while (pos < b.length && b[pos] === EXTENSION) pos = skipSubBlocks(b, pos + 2);
  if (pos >= b.length) return bad('truncated before the first image');
  if (b[pos] === TRAILER) return bad('no image');
  if (b[pos] !== IMAGE || pos + 10 > b.length) return bad(`unexpected block 0x${(b[pos] as number).toString(16)}`);
  const width = u16(b, pos + 5);
  const height = u16(b, pos + 7);
  const flags = b[pos + 9] as number;
  pos += 10;
  if (width === 0 || height === 0) return bad(`empty frame ${width}x${height}`);
  if (width * height > maxPixels) return bad(`too large to decode (${width}x${height})`);
  if (flags & 0x80) {
    const size = 3 << ((flags & 7) + 1);
    table = b.subarray(pos, pos + size);
    pos += size;
  }
  if (!table) return bad('no colour table');
  if (table.length < 6) return bad('truncated colour table');
  const minCodeSize = b[pos];
  if (minCodeSize === undefined || minCodeSize < 2 || minCodeSize > 8) return bad('bad LZW code size');
  const data = joinSubBlocks(b, pos + 1);
  const indices = lzwDecode(data, minCodeSize, width * height);
  if (typeof indices === 'string') return bad(indices);
  return { width, height, data: paint(indices, width, height, table, (flags & 0x40) !== 0) };
}

function bad(why: string): Undecodable {
  return { unsupported: `GIF ${why}` };
}

function u16(b: Uint8Array, at: number): number {
  return (b[at] as number) | ((b[at + 1] as number) << 8);
}

/** The position after a chain of sub-blocks starting at `pos` (length byte, bytes …, 0), or b.length. */
function skipSubBlocks(b: Uint8Array, pos: number): number {
  while (pos < b.length) {
    const n = b[pos] as number;
    pos += 1 + n;
    if (n === 0) return pos;
  }
  return b.length;
}

/** The image data's sub-blocks as one buffer (whatever is there if the file ends early). */
function joinSubBlocks(b: Uint8Array, pos: number): Uint8Array {
  const end = skipSubBlocks(b, pos);
  const out = new Uint8Array(end - pos);
  let n = 0;
  while (pos < end) {
    const len = b[pos++] as number;
    const piece = b.subarray(pos, Math.min(pos + len, end));
    out.set(piece, n);
    n += piece.length;
    pos += len;
  }
  return out.subarray(0, n);
}

/**
 * Variable-width LZW, least significant bit first, until `pixels` indices are out. Returns the indices, or why
 * it stopped short. Each code read emits at least one index or is a clear/end code, so the loop is bounded by
 * the data's length.
 */
function lzwDecode(data: Uint8Array, minCodeSize: number, pixels: number): Uint8Array | string {
  const clear = 1 << minCodeSize;
  const end = clear + 1;
  const prefix = new Uint16Array(MAX_CODES);
  const suffix = new Uint8Array(MAX_CODES);
  const first = new Uint8Array(MAX_CODES);
  const lengths = new Uint16Array(MAX_CODES);
  for (let i = 0; i < clear; i++) {
    suffix[i] = i;
    first[i] = i;
    lengths[i] = 1;
  }
  let out: Uint8Array = new Uint8Array(Math.min(pixels, 1 << 16));
  let n = 0;
  let size = minCodeSize + 1;
  let next = clear + 2;
  let prev = -1;
  let bits = 0;
  let acc = 0;
  let at = 0;
  while (n < pixels) {
    while (bits < size && at < data.length) {
      acc |= (data[at++] as number) << bits;
      bits += 8;
    }
    if (bits < size) return `image data truncated (${n} of ${pixels} pixels)`;
    const code = acc & ((1 << size) - 1);
    acc >>>= size;
    bits -= size;
    if (code === clear) {
      size = minCodeSize + 1;
      next = clear + 2;
      prev = -1;
      continue;
    }
    if (code === end) return `image data ended early (${n} of ${pixels} pixels)`;
    if (code > next || (code === next && prev < 0)) return `bad LZW code ${code}`;
    if (prev >= 0 && next < MAX_CODES) {
      // The new entry is prev's string + the first index of this code's string (of prev's, if it is the new one).
      prefix[next] = prev;
      suffix[next] = first[code === next ? prev : code] as number;
      first[next] = first[prev] as number;
      lengths[next] = (lengths[prev] as number) + 1;
      next++;
      if (next === 1 << size && size < 12) size++;
    }
    const len = Math.min(lengths[code] as number, pixels - n);
    if (n + len > out.length) out = grow(out, Math.min(pixels, Math.max(out.length * 2, n + len)));
    // Walk the chain back from the string's end; an overlong string is cut to what still fits.
    let c = code;
    for (let skip = (lengths[code] as number) - len; skip > 0; skip--) c = prefix[c] as number;
    for (let i = n + len - 1; i >= n; i--) {
      out[i] = suffix[c] as number;
      c = prefix[c] as number;
    }
    n += len;
    prev = code;
  }
  return out;
}

function grow(a: Uint8Array, length: number): Uint8Array {
  const b = new Uint8Array(length);
  b.set(a);
  return b;
}

/** Indices → RGB, de-interlacing rows (passes start at 0, 4, 2, 1 with steps 8, 8, 4, 2). */
function paint(indices: Uint8Array, width: number, height: number, table: Uint8Array, interlaced: boolean) {
  const out = new Uint8Array(width * height * 3);
  const colours = Math.floor(table.length / 3);
  let src = 0;
  const passes = interlaced
    ? [
        [0, 8],
        [4, 8],
        [2, 4],
        [1, 2],
      ]
    : [[0, 1]];
  for (const [start, step] of passes as Array<[number, number]>) {
    for (let y = start; y < height; y += step) {
      for (let x = 0, o = y * width * 3; x < width; x++, o += 3, src++) {
        const i = indices[src] as number;
        if (i >= colours) continue; // an index past the table stays black
        out[o] = table[i * 3] as number;
        out[o + 1] = table[i * 3 + 1] as number;
        out[o + 2] = table[i * 3 + 2] as number;
      }
    }
  }
  return out;
}

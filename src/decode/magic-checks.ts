/**
 * The byte checks the magic table (magic.ts) is written with: ASCII and byte runs at an offset, the structure
 * a signature alone does not settle (an Ogg stream's codec, ISO-BMFF brands, an EBML DocType, an MPEG frame
 * header, JSON's first byte, PE and BMP headers, MPEG-TS sync bytes, a zlib stream) and the combinators rows use.
 * Each looks at the head of a part only; none parses a file.
 */
import { constants, inflateSync } from 'node:zlib';
import { isZlibHeader } from './content-encoding.ts';

/** Bytes a zlib head may inflate to in its trial: past it the stream is plainly inflating. */
const ZLIB_TRIAL_BYTES = 4096;

/** True when `s` (ASCII / latin-1) sits at `off`. */
export function ascii(b: Uint8Array, off: number, s: string): boolean {
  if (off + s.length > b.length) return false;
  for (let i = 0; i < s.length; i++) if (b[off + i] !== s.charCodeAt(i)) return false;
  return true;
}

export function bytes(b: Uint8Array, off: number, ...v: number[]): boolean {
  if (off + v.length > b.length) return false;
  for (let i = 0; i < v.length; i++) if (b[off + i] !== v[i]) return false;
  return true;
}

export const u32be = (b: Uint8Array, off: number): number =>
  ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
const u32le = (b: Uint8Array, off: number): number =>
  (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
export const code = (s: string): number => s.charCodeAt(0);

/** The payload of the first Ogg page's first packet (the codec identification header). */
function oggPacket(b: Uint8Array): number {
  if (!ascii(b, 0, 'OggS') || b.length < 27) return -1;
  return 27 + b[26]!;
}
export const oggCodec = (sig: string) => (b: Uint8Array) => {
  const p = oggPacket(b);
  return p >= 0 && ascii(b, p, sig);
};

/** Major and compatible brands of a leading ISO-BMFF `ftyp` box, within the head. */
export function ftypBrands(b: Uint8Array): string[] {
  if (b.length < 12 || !ascii(b, 4, 'ftyp')) return [];
  const end = Math.min(u32be(b, 0), b.length);
  const out = [String.fromCharCode(b[8]!, b[9]!, b[10]!, b[11]!)];
  for (let i = 16; i + 4 <= end; i += 4) out.push(String.fromCharCode(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!));
  return out;
}
export const ftypAny = (brands: readonly string[]) => (b: Uint8Array) => ftypBrands(b).some((x) => brands.includes(x));
export const ftypMajor = (test: (brand: string) => boolean) => (b: Uint8Array) => {
  const [major] = ftypBrands(b);
  return major !== undefined && test(major);
};

/** The EBML header's DocType (`webm`, `matroska`), when present in the head. */
export function ebmlDocType(b: Uint8Array): string | undefined {
  if (!bytes(b, 0, 0x1a, 0x45, 0xdf, 0xa3)) return undefined;
  for (let i = 4; i + 3 < b.length; i++) {
    if (b[i] !== 0x42 || b[i + 1] !== 0x82) continue;
    const size = b[i + 2]! & 0x7f; // one-byte vint (0x80 | n), what every muxer writes
    if ((b[i + 2]! & 0x80) === 0 || i + 3 + size > b.length) return undefined;
    return String.fromCharCode(...b.subarray(i + 3, i + 3 + size));
  }
  return undefined;
}

/** MPEG audio frame header at 0: sync, a valid layer, bitrate and sample-rate index. Layer 0 is ADTS (AAC). */
export function mpegFrame(b: Uint8Array, wantAdts: boolean): boolean {
  if (b.length < 4 || b[0] !== 0xff) return false;
  const b1 = b[1]!;
  if (wantAdts) return (b1 & 0xf6) === 0xf0 && ((b[2]! >> 2) & 0x0f) < 13; // layer 00, sampling index valid
  if ((b1 & 0xe0) !== 0xe0 || ((b1 >> 1) & 3) === 0 || ((b1 >> 3) & 3) === 1) return false;
  const bitrate = b[2]! >> 4;
  return bitrate !== 0 && bitrate !== 15 && ((b[2]! >> 2) & 3) !== 3;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}
/** Index of the first non-space byte, skipping a UTF-8 BOM; -1 if the head is all space. */
function firstNonSpace(b: Uint8Array, from = 0): number {
  let i = from === 0 && bytes(b, 0, 0xef, 0xbb, 0xbf) ? 3 : from;
  while (i < b.length && isSpace(b[i]!)) i++;
  return i < b.length ? i : -1;
}
export const TEXT_START = [0x20, 0x09, 0x0a, 0x0d, 0xef];
export function looksJson(b: Uint8Array): boolean {
  const i = firstNonSpace(b);
  if (i < 0 || (b[i] !== 0x7b && b[i] !== 0x5b)) return false;
  const j = firstNonSpace(b, i + 1);
  if (j < 0) return true;
  const c = b[j]!;
  if (b[i] === 0x7b) return c === 0x22 || c === 0x7d; // {"  or {}
  if (c === 0x7b || c === 0x5b || c === 0x22 || c === 0x5d) return true;
  // A number or literal must end where JSON allows: `[3G*…` (a watch's text protocol) and `[INFO] …` are not JSON.
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return scalarEnds(b, skipNumber(b, j + 1));
  const literal = c === 0x74 ? 'true' : c === 0x66 ? 'false' : c === 0x6e ? 'null' : undefined;
  if (literal === undefined) return false;
  for (let k = 1; k < literal.length; k++) {
    if (j + k >= b.length) return true; // the head ends inside the literal
    if (b[j + k] !== literal.charCodeAt(k)) return false;
  }
  return scalarEnds(b, j + literal.length);
}

/** The longest field name `looksForm` believes. */
const MAX_FORM_NAME = 64;

/**
 * A urlencoded form's start: a field name (1–MAX_FORM_NAME of the characters a form writes as they are, or `%XX`)
 * then `=`, and no space or control byte anywhere in the head: `imei=4901…&lat=31.2`. A JSON document, a text line or
 * a binary frame does not pass.
 */
export function looksForm(b: Uint8Array): boolean {
  let i = 0;
  while (i < b.length && i <= MAX_FORM_NAME && isFormNameByte(b[i]!)) i++;
  if (i === 0 || i > MAX_FORM_NAME || b[i] !== 0x3d) return false;
  for (; i < b.length; i++) if (b[i]! <= 0x20 || b[i] === 0x7f) return false;
  return true;
}

/** Letters, digits, `_ . - * [ ] % +`: a field name's bytes in a urlencoded form. */
function isFormNameByte(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x5f ||
    c === 0x2e ||
    c === 0x2d ||
    c === 0x2a ||
    c === 0x5b ||
    c === 0x5d ||
    c === 0x25 ||
    c === 0x2b
  );
}

/** Past the digits, point, exponent and signs of a JSON number starting before `from`. */
function skipNumber(b: Uint8Array, from: number): number {
  let k = from;
  while (k < b.length) {
    const d = b[k]!;
    if (!((d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d)) break;
    k++;
  }
  return k;
}

/** A scalar array element ending at `at` is followed by `,` or `]` (spaces allowed), or by the end of the head. */
function scalarEnds(b: Uint8Array, at: number): boolean {
  const k = firstNonSpace(b, at);
  return k < 0 || b[k] === 0x2c || b[k] === 0x5d;
}
export function startsWithCi(b: Uint8Array, s: string): boolean {
  const i = firstNonSpace(b);
  if (i < 0 || i + s.length > b.length) return false;
  for (let k = 0; k < s.length; k++) if ((b[i + k]! | 0x20) !== (s.charCodeAt(k) | 0x20)) return false;
  return true;
}

/** PE: `MZ` whose e_lfanew points at `PE\0\0` inside the head. */
export function isPe(b: Uint8Array): boolean {
  if (!ascii(b, 0, 'MZ') || b.length < 0x40) return false;
  const off = u32le(b, 0x3c);
  return bytes(b, off, 0x50, 0x45, 0, 0);
}
export function isBmp(b: Uint8Array): boolean {
  if (!ascii(b, 0, 'BM') || b.length < 18) return false;
  const dib = u32le(b, 14);
  return u32le(b, 6) === 0 && [12, 40, 52, 56, 64, 108, 124].includes(dib);
}
export const isTs = (b: Uint8Array) => b[0] === 0x47 && b.length >= 377 && b[188] === 0x47 && b[376] === 0x47;

export const any =
  (...tests: Array<(b: Uint8Array) => boolean>) =>
  (b: Uint8Array) =>
    tests.some((t) => t(b));
export const at0 = (s: string) => (b: Uint8Array) => ascii(b, 0, s);
export const bytes0 =
  (...v: number[]) =>
  (b: Uint8Array) =>
    bytes(b, 0, ...v);

/**
 * A zlib (RFC 1950) stream: a two-byte header alone matches about one random head in a thousand (and text starting
 * `x^` or `x}`), so the head is also inflated as far as it goes (at most ZLIB_TRIAL_BYTES out): a deflate stream
 * inflates to some bytes without an error, other bytes fail within a few.
 */
export function zlibStream(b: Uint8Array): boolean {
  // A preset dictionary (FDICT) is never inflatable here: not a stream to read.
  if (b.length < 3 || !isZlibHeader(b[0]!, b[1]!) || b[1]! & 0x20) return false;
  try {
    return inflateSync(b, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: ZLIB_TRIAL_BYTES }).length > 0;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
  }
}

/**
 * Media that starts inside a part of no known format: a photo or a voice clip behind a proprietary header (a toy's
 * own framing over raw TCP, an upload of an unnamed container). The scanner reads the first EMBEDDED_SCAN_BYTES
 * of such a part, streaming, for signatures too long to occur by chance (a JPEG's JFIF/Exif segment or its first
 * quantisation table, PNG, GIF, RIFF WAVE/WebP, AMR, an Ogg first page, an ISO-BMFF `ftyp` box, an ID3v2 tag) and
 * hands the bytes from the first one on to a sink the caller makes (a nested part, which sniffs and routes them
 * as any part). A JPEG's end is found (jpeg-end.ts), and the search goes on after it, so a stream of framed photos
 * gives each (at most MAX_EMBEDDED_MEDIA); other media run to the part's end. Nothing past the bound: media behind
 * more than a header is a format of its own.
 */
import type { ByteSink } from '../decode/filter.ts';
import { JpegEnd } from './jpeg-end.ts';

/** How far into a part (or past the last JPEG found) media may start. */
export const EMBEDDED_SCAN_BYTES = 64 * 1024;
/** Media read from one part. */
export const MAX_EMBEDDED_MEDIA = 64;
/** Bytes a signature check reads from its first byte (an ftyp box's size, type and brand). */
const LOOKAHEAD = 12;

const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
const PREFIXES: ReadonlyArray<readonly number[]> = [
  [0x89, ...ascii('PNG\r\n\x1a\n')],
  ascii('GIF87a'),
  ascii('GIF89a'),
  ascii('#!AMR\n'),
  ascii('#!AMR-WB\n'),
  [...ascii('OggS'), 0, 0x02],
];

function at(b: Uint8Array, i: number, sig: readonly number[]): boolean {
  for (let k = 0; k < sig.length; k++) if (b[i + k] !== sig[k]) return false;
  return true;
}

/** Whether media starts at `i` (LOOKAHEAD bytes readable from there). */
function startsMedia(b: Uint8Array, i: number): boolean {
  const c = b[i];
  if (c === 0xff) {
    if (b[i + 1] !== 0xd8 || b[i + 2] !== 0xff) return false;
    const m = b[i + 3];
    if (m === 0xe0) return at(b, i + 6, ascii('JFIF\0'));
    if (m === 0xe1) return at(b, i + 6, ascii('Exif\0\0'));
    return m === 0xdb && b[i + 4] === 0 && (b[i + 5] === 0x43 || b[i + 5] === 0x84);
  }
  if (c === 0x52) return at(b, i, ascii('RIFF')) && (at(b, i + 8, ascii('WAVE')) || at(b, i + 8, ascii('WEBP')));
  if (c === 0x49) return at(b, i, ascii('ID3')) && (b[i + 3] === 3 || b[i + 3] === 4) && (b[i + 5]! & 0x0f) === 0;
  if (c === 0 && at(b, i + 4, ascii('ftyp'))) {
    const size = (b[i + 2]! << 8) | b[i + 3]!;
    return b[i + 1] === 0 && size >= 16 && size <= 256 && isBrand(b, i + 8);
  }
  for (const sig of PREFIXES) if (c === sig[0] && at(b, i, sig)) return true;
  return false;
}

/** Four printable ASCII characters (letters, digits, space): an ftyp major brand (`isom`, `heic`, `M4A `). */
function isBrand(b: Uint8Array, i: number): boolean {
  for (let k = i; k < i + 4; k++) {
    const x = b[k]!;
    if (!((x >= 0x30 && x <= 0x39) || ((x | 0x20) >= 0x61 && (x | 0x20) <= 0x7a) || x === 0x20)) return false;
  }
  return true;
}

export class EmbeddedMediaScanner implements ByteSink {
  readonly #open: (offset: number) => ByteSink;
  /** The part's offset of #held's first byte (while searching), or of the next byte to come (inside media). */
  #offset = 0;
  /** Where the current search began: the part's start, or the end of the last JPEG found. */
  #windowStart = 0;
  /** Bytes not yet scanned as a signature's start for want of lookahead. */
  #held: Uint8Array = new Uint8Array(0);
  #sink: ByteSink | undefined;
  /** The end of the JPEG being passed on, when the media found is one: the search goes on after it. */
  #jpeg: JpegEnd | undefined;
  #found = 0;
  #done = false;

  /** `open` makes the sink for media found at `offset` (bytes into the part), at most MAX_EMBEDDED_MEDIA times. */
  constructor(open: (offset: number) => ByteSink) {
    this.#open = open;
  }

  write(chunk: Uint8Array): void {
    if (this.#sink) {
      this.#media(chunk);
      return;
    }
    if (this.#done) return;
    const b = this.#held.length === 0 ? chunk : Buffer.concat([this.#held, chunk]);
    const last = Math.min(b.length - LOOKAHEAD, this.#windowStart + EMBEDDED_SCAN_BYTES - this.#offset - 1);
    for (let i = 0; i <= last; i++) {
      if (!startsMedia(b, i)) continue;
      this.#offset += i;
      this.#sink = this.#open(this.#offset);
      this.#jpeg = b[i] === 0xff ? new JpegEnd() : undefined;
      this.#found++;
      this.#held = new Uint8Array(0);
      this.#media(b.subarray(i));
      return;
    }
    const kept = Math.max(0, last + 1);
    this.#offset += kept;
    if (this.#offset >= this.#windowStart + EMBEDDED_SCAN_BYTES - 1) {
      this.#done = true;
      this.#held = new Uint8Array(0);
      return;
    }
    this.#held = Uint8Array.from(b.subarray(kept)); // a copy: the caller may reuse its buffer
  }

  /** The part ended (or broke off): media found ends with it; a tail too short for a signature is dropped. */
  end(): void {
    this.#sink?.end();
    this.#sink = undefined;
    this.#done = true;
    this.#held = new Uint8Array(0);
  }

  /** Bytes of the media found; past a JPEG's end, the search for the next media goes on in the rest. */
  #media(bytes: Uint8Array): void {
    const end = this.#jpeg ? this.#jpeg.push(bytes) : -1;
    if (end < 0) {
      this.#sink?.write(bytes);
      this.#offset += bytes.length;
      return;
    }
    this.#sink?.write(bytes.subarray(0, end));
    this.#sink?.end();
    this.#sink = undefined;
    this.#jpeg = undefined;
    this.#offset += end;
    this.#windowStart = this.#offset;
    if (this.#found >= MAX_EMBEDDED_MEDIA) this.#done = true;
    else if (end < bytes.length) this.write(bytes.subarray(end));
  }
}

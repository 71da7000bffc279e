/**
 * Base64 inside string values: a cheap "is this worth decoding?" test on a value's first characters, and a
 * streaming decoder fed string pieces (JSON strings reach us in pieces of at most MAX_TOKEN_BYTES). Standard
 * and URL-safe alphabets, optional padding, line breaks ignored, a `data:<mime>;base64,` prefix stripped.
 * It does not decide what the decoded bytes are (magic.ts does) nor how deep to nest (the pipeline does).
 */

import { DEFAULT_LIMITS } from '../model/limits.ts';
import type { Token } from '../model/token.ts';
import type { ViolationSink } from '../model/violation.ts';
import type { ByteSink, Filter } from './filter.ts';

/** Characters `looksLikeBase64` inspects at most. */
const PROBE_CHARS = 256;
/** From this length on, a run of base64 characters is taken whatever its mix of character classes. */
const LONG_BASE64_CHARS = 256;
/** A `data:` URL header longer than this is not one. */
const MAX_DATA_URL_HEADER = 256;
const DATA_URL = /^data:([^,;]*)((?:;[^,;]*)*);base64,/i;
const FOREIGN = /[^A-Za-z0-9+/=_\-\r\n]/;

/** Options for `looksLikeBase64`. */
export interface Base64Probe {
  /** Whole length of the value in characters, when known (line breaks included). */
  length?: number;
  /** Minimum length worth trying; defaults to MIN_BASE64_CHARS. */
  minChars?: number;
}

/**
 * Whether a string token starts a value worth decoding as base64: its first piece, long enough (or more pieces
 * follow), base64-looking. The pipeline decodes it as a nested part when the nesting bound allows; past the bound
 * the same test says what was left unread.
 */
export function startsBase64(t: Token, minChars: number): boolean {
  if (t.kind !== 'string' || t.offset !== 0) return false;
  if (!t.more && t.value.length < minChars) return false;
  return looksLikeBase64(t.value, { minChars, ...(t.more ? {} : { length: t.value.length }) });
}

/**
 * Cheap test on the first characters of a string value: a `data:…;base64,` URL, or at least `minChars` of one
 * base64 alphabet (line breaks allowed, no spaces), not all hex digits, and mixing upper case, lower case and
 * digits or symbols as encoded binary does (so a long plain word or identifier is not taken).
 */
export function looksLikeBase64(prefix: string, probe: Base64Probe = {}): boolean {
  const minChars = probe.minChars ?? DEFAULT_LIMITS.MIN_BASE64_CHARS;
  const m = DATA_URL.exec(prefix.slice(0, MAX_DATA_URL_HEADER));
  let s = m ? prefix.slice(m[0].length) : prefix;
  let length = probe.length === undefined ? s.length : probe.length - (m ? m[0].length : 0);
  if (s.includes('\n')) {
    s = s.replace(/\r?\n/g, '');
    if (probe.length === undefined) length = s.length;
  }
  if (length < minChars && !m) return false;
  const sample = s.slice(0, PROBE_CHARS);
  let upper = false;
  let lower = false;
  let other = false;
  let hex = true;
  let std = false;
  let url = false;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) {
      upper = true;
      if (c > 0x46) hex = false;
    } else if (c >= 0x61 && c <= 0x7a) {
      lower = true;
      if (c > 0x66) hex = false;
    } else if (c >= 0x30 && c <= 0x39) {
      other = true;
    } else if (c === 0x2b || c === 0x2f) {
      std = other = true;
      hex = false;
    } else if (c === 0x2d || c === 0x5f) {
      url = other = true;
      hex = false;
    } else if (c === 0x3d) {
      if (/[^=]/.test(sample.slice(i)) || sample.length - i > 2) return false; // padding only at the end
      break;
    } else {
      return false;
    }
  }
  if (m) return !(std && url);
  if (std && url) return false;
  if (hex && other) return false; // digits and a–f only: hex-encoded bytes, not base64
  // A long run is encoded binary even when uniform (silent PCM encodes as AAAA…); a short one must mix classes
  // as encoded binary does, so a plain word or identifier is not taken.
  if (length >= LONG_BASE64_CHARS) return true;
  return !hex && upper && lower && other;
}

/**
 * Streaming base64 decoder. Feed it string pieces; it decodes each aligned run of 4-character groups at once and
 * holds back the 0–3 characters that do not complete a group. A foreign character gives violation `bad-base64`
 * and stops the decoder.
 */
export class Base64Decoder {
  #carry = '';
  /** Characters seen before the decision on a `data:` header was made. */
  #head: string | undefined = '';
  #mime: string | undefined;
  #padded = false;
  #stopped = false;
  #offset = 0;

  constructor(private readonly report: ViolationSink) {}

  /** The MIME type of a `data:` URL prefix, once seen (`image/jpeg`); undefined otherwise. */
  get mime(): string | undefined {
    return this.#mime;
  }

  write(piece: string, out: ByteSink): void {
    if (this.#stopped || piece.length === 0) return;
    let s = piece;
    if (this.#head !== undefined) {
      s = this.#head + s;
      const header = this.#dataUrlHeader(s);
      if (header === undefined) {
        this.#head = s;
        return;
      }
      this.#head = undefined;
      this.#offset = header;
      s = s.slice(header);
    }
    this.#decode(s, out);
  }

  end(out: ByteSink): void {
    if (!this.#stopped && this.#head !== undefined) {
      const s = this.#head;
      this.#head = undefined;
      this.#decode(s, out);
    }
    if (!this.#stopped && this.#carry.length > 0) {
      if (this.#carry.length === 1) this.#fail('a single character cannot end base64');
      else out.write(Buffer.from(this.#carry, 'base64'));
      this.#carry = '';
    }
    out.end();
  }

  /**
   * Length of the `data:…;base64,` header at the start of `s`: 0 when `s` cannot start with one, undefined when
   * more characters are needed to tell.
   */
  #dataUrlHeader(s: string): number | undefined {
    const probe = s.slice(0, 5).toLowerCase();
    if (!'data:'.startsWith(probe) && !probe.startsWith('data:')) return 0;
    const m = DATA_URL.exec(s.slice(0, MAX_DATA_URL_HEADER));
    if (m) {
      this.#mime = m[1]!.trim().toLowerCase() || 'text/plain';
      return m[0].length;
    }
    if (s.length >= MAX_DATA_URL_HEADER || s.slice(0, MAX_DATA_URL_HEADER).includes(',')) return 0; // not base64 data URL
    return undefined;
  }

  #decode(piece: string, out: ByteSink): void {
    const bad = FOREIGN.exec(piece);
    if (bad) {
      this.#fail(`foreign character at ${this.#offset + bad.index}`, this.#offset + bad.index);
      return;
    }
    this.#offset += piece.length;
    let s = piece.includes('\n') || piece.includes('\r') ? piece.replace(/[\r\n]/g, '') : piece;
    const pad = s.indexOf('=');
    if (this.#padded && s.length > 0 && pad !== 0) {
      this.#fail('data after padding');
      return;
    }
    if (pad >= 0) {
      if (/[^=]/.test(s.slice(pad))) {
        this.#fail('data after padding');
        return;
      }
      this.#padded = true;
      s = s.slice(0, pad);
    }
    const all = this.#carry + s;
    const aligned = all.length - (all.length % 4);
    if (aligned > 0) out.write(Buffer.from(all.slice(0, aligned), 'base64'));
    this.#carry = all.slice(aligned);
  }

  #fail(message: string, offset = this.#offset): void {
    this.#stopped = true;
    this.report({ decoder: 'base64', code: 'bad-base64', message, offset });
  }
}

/**
 * Content-Transfer-Encoding `base64` (RFC 2045) as a Filter: a mail's body or a MIME part's bytes, lines of base64,
 * decoded as they stream. Its bytes are ASCII, so each chunk is read as latin1 text.
 */
export class Base64Filter implements Filter {
  readonly #decoder: Base64Decoder;

  constructor(report: ViolationSink) {
    this.#decoder = new Base64Decoder(report);
  }

  write(chunk: Uint8Array, out: ByteSink): void {
    this.#decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1'), out);
  }

  end(out: ByteSink): void {
    this.#decoder.end(out);
  }
}

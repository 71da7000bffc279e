/**
 * Streaming multipart parser (multipart/form-data, mixed, related; RFC 2046 §5.1, RFC 7578). Part data is
 * forwarded in pieces as it arrives, never buffered: only a delimiter-sized tail is held back between chunks.
 * The delimiter is found with the native `indexOf` inside a chunk and on a small window across the seam, so the
 * search is linear whatever the chunk boundaries. Preamble and epilogue are dropped. It does not decode a part's
 * Content-Transfer-Encoding or Content-Encoding; the pipeline stacks those filters on the part's bytes.
 */

import type { Limits } from '../model/limits.ts';
import type { ViolationSink } from '../model/violation.ts';
import { headerMainValue, headerParams } from './header-params.ts';

/** What a part's Content-Disposition and Content-Type say. */
export interface PartInfo {
  /** Form field name. */
  name?: string;
  /** File name as sent (UTF-8 decoded, `filename*` preferred). */
  filename?: string;
  contentType?: string;
}

/**
 * A part's header fields by lower-case name (repeated fields joined with ", "). A plain map, not the global
 * `Headers`: touching that loads undici, tens of milliseconds at a process's first multipart body.
 */
export type PartHeaders = ReadonlyMap<string, string>;

/** A header field name (RFC 9110 token), and a value without NUL, CR or LF, as `Headers.append` requires. */
const FIELD_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BAD_VALUE_RE = /[\0\r\n]/;

/** Receives the parts, in order. Every `partStart` is followed by one `partEnd`, even when the body is cut. */
export interface MultipartHandlers {
  partStart(headers: PartHeaders, info: PartInfo): void;
  partData(chunk: Uint8Array): void;
  partEnd(): void;
}

/** Parser states. */
export type MultipartState =
  | 'preamble' // before the first delimiter (dropped)
  | 'delimiter-end' // just after `--boundary`: `--`, padding or CRLF
  | 'close-dash' // second `-` of the close delimiter
  | 'padding' // transport padding after the delimiter
  | 'delimiter-lf' // LF ending the delimiter line
  | 'headers' // part header lines up to the empty line
  | 'body' // part data up to the next delimiter
  | 'epilogue' // after the close delimiter (dropped)
  | 'error'; // stopped after a violation

/** The boundary of a multipart Content-Type, or undefined when it is not multipart or has no usable boundary. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  if (!contentType || !headerMainValue(contentType).startsWith('multipart/')) return undefined;
  const b = headerParams(contentType).get('boundary');
  return b && b.length <= MAX_BOUNDARY_CHARS ? b : undefined;
}

/** RFC 2046 allows 70; some clients go further. */
const MAX_BOUNDARY_CHARS = 200;
const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;
const EMPTY = new Uint8Array(0);

/** A streaming multipart body parser. */
export class MultipartParser {
  #delim: Buffer;
  #held: Uint8Array;
  #state: MultipartState = 'preamble';
  #inPart = false;
  #parts = 0;
  #line: number[] = [];
  #headerLines: string[] = [];
  #headerBytes = 0;
  #offset = 0;

  constructor(
    boundary: string,
    private readonly handlers: MultipartHandlers,
    private readonly limits: Limits,
    private readonly report: ViolationSink,
  ) {
    this.#delim = Buffer.from(`\r\n--${boundary}`, 'latin1');
    // The body may open with the delimiter itself: parse as if a CRLF preceded it.
    this.#held = this.#delim.subarray(0, 2);
    if (boundary.length === 0 || boundary.length > MAX_BOUNDARY_CHARS)
      this.#fail('bad-boundary', 'empty or overlong boundary');
  }

  get state(): MultipartState {
    return this.#state;
  }

  write(chunk: Uint8Array): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.#state) {
        case 'epilogue':
        case 'error':
          this.#offset += n - i;
          return;
        case 'preamble':
        case 'body': {
          const j = this.#scan(chunk, i);
          if (j < 0) {
            this.#offset += n - i;
            return;
          }
          this.#offset += j - i;
          i = j;
          if (this.#inPart) {
            this.#inPart = false;
            this.handlers.partEnd();
          }
          this.#state = 'delimiter-end';
          continue;
        }
        default:
          this.#byte(chunk[i]!);
          i++;
          this.#offset++;
      }
    }
  }

  end(): void {
    if (this.#state !== 'epilogue' && this.#state !== 'error') {
      if (this.#state === 'body' && this.#held.length > 0) this.handlers.partData(this.#held);
      this.#held = EMPTY;
      this.#fail('truncated', `body ends in state ${this.#state} without the close delimiter`);
    }
  }

  /**
   * Searches the delimiter from `chunk[i]`, forwarding what precedes it. Returns the index just after the
   * delimiter, or -1 when the chunk is used up (a possible delimiter prefix is then held back).
   */
  #scan(chunk: Uint8Array, i: number): number {
    const d = this.#delim;
    const D = d.length;
    const held = this.#held;
    if (held.length > 0) {
      const win = Buffer.concat([held, chunk.subarray(i, i + D - 1)]);
      const k = win.indexOf(d);
      if (k >= 0 && k < held.length) {
        this.#data(win.subarray(0, k));
        this.#held = EMPTY;
        return i + k + D - held.length;
      }
      const p = partialAt(win, d, 0, held.length);
      if (p >= 0) {
        // Only possible when the chunk is shorter than the delimiter: everything stays held.
        this.#data(win.subarray(0, p));
        this.#held = win.subarray(p);
        return -1;
      }
      this.#data(held);
      this.#held = EMPTY;
    }
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const k = buf.indexOf(d, i);
    if (k >= 0) {
      this.#data(chunk.subarray(i, k));
      return k + D;
    }
    const n = chunk.length;
    let p = partialAt(chunk, d, Math.max(i, n - D + 1), n);
    if (p < 0) p = n;
    this.#data(chunk.subarray(i, p));
    // A copy: on a Buffer (every chunk a replay reads) `slice` is a view, and a held delimiter prefix of a few bytes
    // would pin the reader's whole buffer (1 MiB) until the next chunk (docs/adr/0035-replay-process-memory.md).
    this.#held = Uint8Array.prototype.slice.call(chunk, p);
    return -1;
  }

  #data(c: Uint8Array): void {
    if (c.length > 0 && this.#state === 'body') this.handlers.partData(c);
  }

  #byte(c: number): void {
    switch (this.#state) {
      case 'delimiter-end':
        if (c === DASH) this.#state = 'close-dash';
        else if (c === CR) this.#state = 'delimiter-lf';
        else if (c === 0x20 || c === 0x09) this.#state = 'padding';
        else this.#fail('bad-delimiter', 'boundary followed by other characters');
        return;
      case 'close-dash':
        if (c === DASH) this.#state = 'epilogue';
        else this.#fail('bad-delimiter', 'single dash after boundary');
        return;
      case 'padding':
        if (c === CR) this.#state = 'delimiter-lf';
        else if (c !== 0x20 && c !== 0x09) this.#fail('bad-delimiter', 'boundary followed by other characters');
        return;
      case 'delimiter-lf':
        if (c !== LF) {
          this.#fail('bad-delimiter', 'CR not followed by LF after boundary');
          return;
        }
        if (++this.#parts > this.limits.MAX_PARTS) {
          this.#fail('too-many-parts', 'more than MAX_PARTS parts');
          return;
        }
        this.#state = 'headers';
        this.#headerBytes = 0;
        this.#headerLines = [];
        this.#line = [];
        return;
      case 'headers':
        if (++this.#headerBytes > this.limits.MAX_PART_HEADER_BYTES) {
          this.#fail('part-header-too-large', 'part headers exceed MAX_PART_HEADER_BYTES');
          return;
        }
        if (c !== LF) {
          this.#line.push(c);
          return;
        }
        if (this.#line.at(-1) === CR) this.#line.pop();
        if (this.#line.length > 0) {
          this.#headerLines.push(String.fromCharCode(...this.#line));
          this.#line = [];
          return;
        }
        this.#startPart();
        return;
    }
  }

  #startPart(): void {
    const headers = new Map<string, string>();
    for (const line of this.#headerLines) {
      const colon = line.indexOf(':');
      const name = colon > 0 ? line.slice(0, colon).trim().toLowerCase() : '';
      const value = line.slice(colon + 1).trim();
      if (!FIELD_NAME_RE.test(name) || BAD_VALUE_RE.test(value)) {
        this.#fail('bad-part-header', 'malformed part header line');
        return;
      }
      const seen = headers.get(name);
      headers.set(name, seen === undefined ? value : `${seen}, ${value}`);
    }
    const info: PartInfo = {};
    const disposition = headers.get('content-disposition');
    if (disposition) {
      const params = headerParams(disposition);
      const name = params.get('name');
      const filename = params.get('filename');
      if (name !== undefined) info.name = utf8Of(name);
      if (filename !== undefined) info.filename = utf8Of(filename);
    }
    const type = headers.get('content-type');
    if (type) info.contentType = type;
    this.#state = 'body';
    this.#inPart = true;
    this.handlers.partStart(headers, info);
  }

  #fail(code: string, message: string): void {
    this.#state = 'error';
    this.report({ decoder: 'multipart', code, message, offset: this.#offset });
    if (this.#inPart) {
      this.#inPart = false;
      this.handlers.partEnd();
    }
  }
}

/**
 * The first q in [from, to) where `b[q..]` is a proper prefix of `d` (a delimiter cut by the chunk end), or -1.
 * Only positions holding CR are tried.
 */
function partialAt(b: Uint8Array, d: Uint8Array, from: number, to: number): number {
  for (let q = from; q < to; q++) {
    if (b[q] !== CR) continue;
    const len = b.length - q;
    if (len >= d.length) continue;
    let k = 1;
    while (k < len && b[q + k] === d[k]) k++;
    if (k === len) return q;
  }
  return -1;
}

/** Header bytes were read as latin-1; clients send UTF-8 names (RFC 7578 §4.2). Invalid UTF-8 stays latin-1. */
function utf8Of(latin1: string): string {
  const bytes = Buffer.from(latin1, 'latin1');
  const s = bytes.toString('utf8');
  return s.includes('\uFFFD') && !latin1.includes('\uFFFD') ? latin1 : s;
}

/**
 * JSON documents inside a part of no known format: a device's own framing around JSON (a magic, a command code, a
 * length, then `{"imei":…}`), frame after frame on raw TCP or in UDP datagrams; and inside a text part, printable
 * framing around JSON (Socket.IO's `42["report",{…}]`, a log line's `LOC {…}`). The scanner looks for an object (or an
 * array that opens with one, `[{`) whose
 * first key is plausible (`{` and `"`, at most MAX_SPACE whitespace between, one to MAX_KEY_CHARS characters that are no control byte, quote or backslash, `"`,
 * then `:` after optional whitespace: random bytes almost never pass), follows the document by its brackets and
 * strings to its end, hands its bytes to a sink the caller makes (a nested part declared JSON, `json@OFFSET`) and
 * looks for the next. A byte JSON cannot hold (a control character, or outside a string a byte past ASCII) ends the
 * document before it. At most MAX_EMBEDDED_JSON documents per part; past that, one violation and no more.
 */
import type { ByteSink } from '../decode/filter.ts';
import type { ViolationSink } from '../model/violation.ts';

/** The longest first key believed. */
const MAX_KEY_CHARS = 64;
/** Whitespace between `{` and the first key's quote (a pretty-printed document) taken. */
const MAX_SPACE = 16;
/** Documents read from one part. */
export const MAX_EMBEDDED_JSON = 4096;
/** Brackets open at once followed; deeper, the document is ended there (the tokenizer has its own, lower, bound). */
const MAX_DEPTH = 1024;

const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

/** The scanner's rule for a document's start (`{"key":` or `[{"key":`), on the whole of a string's beginning. */
const DOCUMENT_START = new RegExp(
  `^[ \\t\\r\\n]*(?:\\[[ \\t\\r\\n]{0,${MAX_SPACE}})?\\{[ \\t\\r\\n]{0,${MAX_SPACE}}"[^"\\\\\\x00-\\x1f]{1,${MAX_KEY_CHARS}}"[ \\t\\r\\n]*:`,
);

/**
 * Whether a string value opens a JSON document by the scanner's rule: JSON carried as a string (a form field, a query
 * parameter, a document stringified into another's value), read as a nested part by src/pipeline/part.ts.
 */
export function opensJsonDocument(value: string): boolean {
  const c = value.charCodeAt(0);
  return (c === LBRACE || c === LBRACKET || isSpace(c)) && DOCUMENT_START.test(value);
}

/** Where the scan stands: looking for `{`, checking a first key, or inside a document. */
type Mode = 'search' | 'open' | 'key' | 'colon' | 'doc';

export class EmbeddedJsonScanner implements ByteSink {
  readonly #open: (offset: number) => ByteSink;
  readonly #report: ViolationSink;
  readonly #origin: string;
  #mode: Mode = 'search';
  /** Bytes of the part before the current chunk. */
  #offset = 0;
  /** The candidate's bytes from its `{` while its first key is checked (they may span chunks). */
  #candidate: number[] = [];
  #candidateAt = 0;
  #keyChars = 0;
  /** Brackets the candidate opened: 1 for `{`, 2 for `[{`. */
  #openBrackets = 1;
  /** A `[` (and the whitespace after it) that ended the previous chunk while searching. */
  #bracketBefore: { at: number; bytes: number[] } | undefined;
  #doc: ByteSink | undefined;
  #depth = 0;
  #inString = false;
  #escape = false;
  #docs = 0;

  /** `origin`: the part's, for the violation at MAX_EMBEDDED_JSON. */
  constructor(open: (offset: number) => ByteSink, report: ViolationSink, origin: string) {
    this.#open = open;
    this.#report = report;
    this.#origin = origin;
  }

  write(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.#mode === 'doc') i = this.#inDoc(chunk, i);
      else if (this.#mode === 'search') {
        if (this.#docs >= MAX_EMBEDDED_JSON) break;
        const at = chunk.indexOf(LBRACE, i);
        if (at < 0) break;
        this.#startCandidate(chunk, at);
        i = at + 1;
      } else i = this.#checkKey(chunk, i);
    }
    if (this.#mode === 'search') this.#noteBracket(chunk);
    this.#offset += chunk.length;
  }

  end(): void {
    this.#endDoc();
  }

  /**
   * A candidate from the `{` at `at`; one opened right after `[` (whitespace between) starts at the `[`: a document
   * that is an array of objects (a scan list, contacts) is read whole, as a list.
   */
  #startCandidate(chunk: Uint8Array, at: number): void {
    let j = at - 1;
    while (j >= 0 && at - j <= MAX_SPACE && isSpace(chunk[j]!)) j--;
    let opening: { at: number; bytes: number[] } | undefined;
    if (j >= 0 && chunk[j] === LBRACKET) opening = { at: this.#offset + j, bytes: Array.from(chunk.subarray(j, at)) };
    else if (j < 0 && this.#bracketBefore) {
      // The `[` ended the previous chunk (whitespace after it, and before the `{` here).
      const before = this.#bracketBefore;
      opening = { at: before.at, bytes: [...before.bytes, ...chunk.subarray(0, at)] };
    }
    this.#bracketBefore = undefined;
    this.#mode = 'open';
    this.#candidate = opening ? [...opening.bytes, LBRACE] : [LBRACE];
    this.#candidateAt = opening ? opening.at : this.#offset + at;
    this.#openBrackets = opening ? 2 : 1;
    this.#keyChars = 0;
  }

  /** At a chunk's end while searching: a `[` there (whitespace after it) may open an array whose `{` comes next. */
  #noteBracket(chunk: Uint8Array): void {
    let j = chunk.length - 1;
    while (j >= 0 && chunk.length - j <= MAX_SPACE && isSpace(chunk[j]!)) j--;
    this.#bracketBefore =
      j >= 0 && chunk[j] === LBRACKET ? { at: this.#offset + j, bytes: Array.from(chunk.subarray(j)) } : undefined;
  }

  /** One byte of a candidate's `{"key":` checked; on a byte that does not fit, the search resumes at it. */
  #checkKey(chunk: Uint8Array, i: number): number {
    const b = chunk[i]!;
    let ok: boolean;
    if (this.#mode === 'open') {
      ok = b === QUOTE || (isSpace(b) && this.#candidate.length <= MAX_SPACE); // pretty-printed: `{\n  "key"`
      if (b === QUOTE) this.#mode = 'key';
    } else if (this.#mode === 'key') {
      if (b === QUOTE) {
        ok = this.#keyChars > 0;
        this.#mode = 'colon';
      } else ok = b >= 0x20 && b !== BACKSLASH && ++this.#keyChars <= MAX_KEY_CHARS;
    } else ok = b === COLON || isSpace(b);
    if (!ok) {
      this.#mode = 'search';
      return b === LBRACE ? i : i + 1;
    }
    this.#candidate.push(b);
    if (b !== COLON) return i + 1;
    this.#beginDoc();
    return i + 1;
  }

  #beginDoc(): void {
    this.#docs++;
    if (this.#docs === MAX_EMBEDDED_JSON) {
      const message = `${this.#origin}: ${MAX_EMBEDDED_JSON} JSON documents read, the rest of the part not searched`;
      this.#report({ decoder: 'pipeline', code: 'embedded-json-limit', message });
    }
    this.#mode = 'doc';
    this.#depth = this.#openBrackets;
    this.#inString = false;
    this.#escape = false;
    this.#doc = this.#open(this.#candidateAt);
    this.#doc.write(Uint8Array.from(this.#candidate));
    this.#candidate = [];
  }

  /** Follows the document from `i`; returns where its bytes in this chunk end. */
  #inDoc(chunk: Uint8Array, i: number): number {
    const start = i;
    let end = -1;
    let cut = false;
    for (; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.#inString) {
        if (this.#escape) this.#escape = false;
        else if (b === BACKSLASH) this.#escape = true;
        else if (b === QUOTE) this.#inString = false;
        else if (b < 0x20) {
          cut = true;
          break;
        }
      } else if (b === QUOTE) this.#inString = true;
      else if (b === LBRACE || b === LBRACKET) {
        if (++this.#depth > MAX_DEPTH) {
          cut = true;
          break;
        }
      } else if (b === RBRACE || b === RBRACKET) {
        if (--this.#depth === 0) {
          end = i + 1;
          break;
        }
      } else if ((b < 0x20 && !isSpace(b)) || b >= 0x80) {
        cut = true;
        break;
      }
    }
    const stop = end >= 0 ? end : i;
    if (stop > start) this.#doc?.write(chunk.subarray(start, stop));
    if (end >= 0 || cut) this.#endDoc();
    return stop;
  }

  #endDoc(): void {
    this.#doc?.end();
    this.#doc = undefined;
    this.#mode = 'search';
  }
}

/**
 * Streaming JSON tokenizer: bytes in, one (path, key, value) token per scalar out, chunk by chunk, without ever
 * building the document. A byte-level state machine with named states (llhttp style); several top-level values
 * in one stream (NDJSON, concatenated frames) are accepted. Strings longer than MAX_TOKEN_BYTES leave in pieces
 * cut at content-determined places, so the token list is the same whatever the chunk boundaries.
 * It is not a validator beyond the grammar (duplicate keys pass), not a number parser (numbers keep their
 * literal text), and it emits nothing for containers themselves (`{}` and `[]` give no token).
 */
import { Buffer } from 'node:buffer';
import type { Token, TokenKind } from '../model/token.ts';
import type { ViolationSink } from '../model/violation.ts';
import type { TokenGate, Tokenizer, TokenSink } from './filter.ts';
import {
  BOM,
  ESCAPES,
  isWhitespace,
  nextWord,
  plainRun,
  SWAR_AFTER,
  skipPlainWords,
  type Words,
  wordsOf,
} from './json-bytes.ts';
import { N_BAD, N_DIGIT_RUN, N_START, N_TERMINAL, NUM_CLASS, NUM_NEXT } from './json-number.ts';
import {
  cacheKey,
  cacheKeyLength,
  cacheParentId,
  cachePath,
  cachePathId,
  cacheSegment,
  keyAt,
  keyBytes,
  newPathId,
  PATH_CACHE_MAX_CHARS,
  PATH_CACHE_SLOTS,
  PATH_CACHE_WIDTH,
  rootIdOf,
} from './json-path-cache.ts';
import { keepValue, repeatedAscii, repeatedText, repeatedValue } from './json-repeated-values.ts';
import {
  ContainerIds,
  cutKey,
  hexValue,
  keySegment,
  type SliceBuffer,
  StringPieces,
  type TokenizerOptions,
} from './token-text.ts';

/**
 * Strings shorter than this are cut from a latin1 string of the whole chunk: V8 copies such short substrings
 * (it makes pinning slices only from 13 chars up), and `String#slice` is far cheaper than a native call each.
 */
const SHORT = 13;

/** Nesting levels a tokenizer's frame arrays hold at first (8 doubles: 64 bytes, V8's on-heap bound). */
const FRAMES_AT_START = 8;

// Named states of the machine.
const TOP = 0; // between top-level values: whitespace, a value, or the end
const VALUE = 1; // a value must follow (after ':' or after ',' in an array)
const ARRAY_FIRST = 2; // after '[': a value or ']'
const OBJECT_FIRST = 3; // after '{': a key or '}'
const KEY = 4; // after ',' in an object: a key
const COLON = 5; // after a key: ':'
const AFTER = 6; // after a value in a container: ',' or the closing bracket
const STRING = 7; // inside a key or value string
const ESCAPE = 8; // after '\' in a string
const UNICODE = 9; // reading the 4 hex digits of \uXXXX
const NUMBER = 10; // inside a number
const LITERAL = 11; // inside true / false / null
const STOPPED = 12; // after a violation or end()
const STATE_NAMES = [
  'top',
  'value',
  'array-first',
  'object-first',
  'key',
  'colon',
  'after-value',
  'string',
  'escape',
  'unicode',
  'number',
  'literal',
  'stopped',
];

export class JsonTokenizer implements Tokenizer {
  readonly #sink: TokenSink;
  readonly #gate: TokenGate | undefined;
  readonly #report: ViolationSink;
  readonly #maxDepth: number;
  /** MAX_TOKEN_BYTES: the longest number literal, and the longest string emitted in one token. */
  readonly #maxToken: number;
  readonly #maxKey: number;
  readonly #depth: number;
  readonly #root: string;

  #state = TOP;
  /** Bytes of input before the current chunk (for violation offsets). */
  #consumed = 0;
  /** Bytes of a byte order mark seen at the start. */
  #bomSeen = 0;

  // Open containers, innermost last.
  #level = 0;
  // The typed arrays below start at FRAMES_AT_START levels and double as a body nests deeper (to MAX_JSON_DEPTH + 1):
  // small enough to live in V8's heap, where a tokenizer made per JSON body allocates them cheaply.
  #isArray = new Uint8Array(FRAMES_AT_START);
  readonly #framePath: string[] = [];
  /** Path id of each open container, and whether that path can come again (so its members' paths are cached). */
  #frameId = new Float64Array(FRAMES_AT_START);
  #frameReused = new Uint8Array(FRAMES_AT_START);
  /** Element index of each open array, member index of each open object. */
  #frameIndex = new Int32Array(FRAMES_AT_START);
  /** Number of each open container (Token.container); [0]: the tokenizer's own, for top-level scalars. */
  #frameNo = new Int32Array(FRAMES_AT_START);
  readonly #ids: ContainerIds;
  /** Last key of each open object. */
  readonly #frameKey: string[] = [];
  /** Cache slot of each open container's path, and of the value being read. */
  #frameSlot = new Int32Array(FRAMES_AT_START);
  #slot = 0;
  /** The slot of the member whose key `#keyAhead` just recognised (its key is set), or -1. */
  #keySlot = -1;

  /** Parent path and key of the value being read (a token's own path is made when read: see JsonToken). */
  #parent = '';
  #key = '';
  /** Path of a container being opened, its id, and whether that path can come again (see `#makePath`). */
  #path = '';
  #pathId = -1;
  #pathReused = true;
  readonly #rootId: number;

  // String being read.
  #isKey = false;
  /** The key being read, cut at MAX_KEY_BYTES. */
  #keyText = '';
  /** The value string being read. */
  readonly #pieces: StringPieces;
  /** An incomplete UTF-8 sequence left at a chunk end, with the length it needs. */
  readonly #carry = Buffer.alloc(4) as SliceBuffer;
  #carryLen = 0;
  #carryNeed = 0;
  /** Second result of `#scan`. */
  #scanHigh = 0;
  #hexCount = 0;
  #hexValue = 0;

  // Number or literal being read.
  #numState = N_START;
  /** Input offset where the number started (where a too-long one is reported, whatever the chunking). */
  #numStart = 0;
  /** Number text seen in earlier chunks. */
  #numText = '';
  #literal = '';
  #literalPos = 0;

  constructor(sink: TokenSink, opts: TokenizerOptions) {
    this.#sink = sink;
    this.#gate = opts.gate;
    this.#report = opts.report;
    this.#maxDepth = opts.limits.MAX_JSON_DEPTH;
    this.#maxToken = opts.limits.MAX_TOKEN_BYTES;
    this.#pieces = new StringPieces(opts.limits.MAX_TOKEN_BYTES, (v, o, m) => this.#emit('string', v, o, m));
    this.#maxKey = opts.limits.MAX_KEY_BYTES;
    this.#depth = opts.depth ?? 0;
    this.#root = (opts.pathPrefix ?? '') + '$';
    this.#rootId = rootIdOf(this.#root);
    this.#ids = opts.ids ?? new ContainerIds();
    this.#frameNo[0] = this.#ids.next();
  }

  write(chunk: Uint8Array): void {
    if (this.#state === STOPPED || chunk.length === 0) return;
    const buf = (
      Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length)
    ) as SliceBuffer;
    const end = buf.length;
    /** The chunk's 4-byte-aligned part as words, made on first use, for long string runs. */
    let words: Words | undefined;
    /** The chunk as a DataView, made on first use, to compare keys and repeated values four bytes at a time. */
    let view: DataView | undefined;
    /** The chunk as latin1 text, made on first use, for short ASCII strings and numbers. */
    let latin1: string | undefined;
    const ascii = (from: number, to: number): string => {
      if (to - from >= SHORT) return buf.latin1Slice(from, to);
      if (latin1 === undefined) latin1 = buf.latin1Slice(0, end);
      return latin1.slice(from, to);
    };
    let state = this.#state;
    let i = 0;
    while (i < end) {
      switch (state) {
        case TOP:
        case VALUE:
        case ARRAY_FIRST: {
          const c = buf[i]!;
          if (isWhitespace(c)) {
            i++;
            break;
          }
          if (state === ARRAY_FIRST && c === 0x5d) {
            i++;
            state = this.#close();
            break;
          }
          if (state === TOP && this.#consumed + i === this.#bomSeen && this.#bomSeen < BOM.length) {
            if (c === BOM[this.#bomSeen]) {
              i++; // a UTF-8 byte order mark opening the stream
              this.#bomSeen++;
              break;
            }
            if (this.#bomSeen > 0) {
              state = this.#fail('unexpected-byte', i, state);
              break;
            }
          }
          this.#beginValue();
          i++;
          if (c === 0x22) {
            // The usual value of a repeated event: the string this member had last time, read off the bytes.
            view ??= new DataView(buf.buffer, buf.byteOffset, end);
            const after = this.#repeated(buf, view, i, end);
            if (after > 0) {
              i = after;
              state = this.#afterValue(i < end ? buf[i]! : -1);
              if (state === VALUE || state === KEY) i++;
              break;
            }
            this.#isKey = false;
            state = STRING;
          } else if (c === 0x7b || c === 0x5b) {
            state = this.#open(c === 0x5b, i - 1);
          } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
            i--;
            this.#numState = N_START;
            this.#numStart = this.#consumed + i;
            state = NUMBER;
          } else if (c === 0x74 || c === 0x66 || c === 0x6e) {
            this.#literal = c === 0x74 ? 'true' : c === 0x66 ? 'false' : 'null';
            this.#literalPos = 1;
            state = LITERAL;
          } else {
            state = this.#fail('unexpected-byte', i - 1, state);
          }
          break;
        }
        case OBJECT_FIRST:
        case KEY: {
          const c = buf[i++]!;
          if (isWhitespace(c)) break;
          if (c === 0x22) {
            // The usual key: the one this member had in the last object of the same shape, read off the bytes with
            // its closing quote and the ':' right after it; else plain ASCII followed by the same. It goes straight
            // to VALUE; anything else (escapes, UTF-8, a chunk end, spaces) takes the STRING state.
            view ??= new DataView(buf.buffer, buf.byteOffset, end);
            const next = this.#keyAhead(buf, view, i, end);
            if (next > 0) {
              i = next;
              state = VALUE;
              break;
            }
            const close = plainRun(buf, i, Math.min(end, i + this.#maxKey));
            if (close + 1 < end && buf[close] === 0x22 && buf[close + 1] === 0x3a) {
              this.#frameKey[this.#level] = ascii(i, close);
              i = close + 2;
              state = VALUE;
              break;
            }
            this.#isKey = true;
            state = STRING;
          } else if (c === 0x7d && state === OBJECT_FIRST) {
            state = this.#close();
          } else {
            state = this.#fail('unexpected-byte', i - 1, state);
          }
          break;
        }
        case COLON: {
          const c = buf[i++]!;
          if (c === 0x3a) state = VALUE;
          else if (!isWhitespace(c)) state = this.#fail('unexpected-byte', i - 1, state);
          break;
        }
        case AFTER: {
          const c = buf[i++]!;
          if (isWhitespace(c)) break;
          const inArray = this.#isArray[this.#level] === 1;
          if (c === 0x2c) {
            this.#frameIndex[this.#level]!++;
            state = inArray ? VALUE : KEY;
          } else if (c === (inArray ? 0x5d : 0x7d)) {
            state = this.#close();
          } else {
            state = this.#fail('unexpected-byte', i - 1, state);
          }
          break;
        }
        case STRING: {
          if (this.#carryLen > 0) {
            i = this.#completeCarry(buf, i, end);
            if (i === end) break;
          }
          const start = i;
          const first = Math.min(end, i + SWAR_AFTER);
          let high = 0;
          while (i < first) {
            const b = buf[i]!;
            if (b === 0x22 || b === 0x5c || b < 0x20) break;
            high |= b;
            i++;
          }
          if (i === first && i < end) {
            if (words === undefined) words = wordsOf(buf);
            i = this.#scan(buf, words, i, end);
            high |= this.#scanHigh;
          }
          const c = i < end ? buf[i]! : 0;
          if (c === 0x22 && !this.#isKey && i - start <= this.#maxToken && this.#pieces.empty) {
            // The usual case: a whole short value in this chunk, no escapes. Plain ASCII is made only if someone wants
            // it (the gate), other UTF-8 always, as when it comes in pieces.
            if (high >= 0x80) this.#whole(buf, start, i, buf.utf8Slice(start, i), false);
            else if (this.#gate?.ascii(this.#key, buf, start, i, this.#slot) !== false)
              this.#whole(buf, start, i, ascii(start, i), true);
            i++;
            state = this.#afterValue(i < end ? buf[i]! : -1);
            if (state === VALUE || state === KEY) i++;
            break;
          }
          if (i > start) {
            if (high >= 0x80) this.#append(buf.utf8Slice(start, i === end ? this.#stashTail(buf, start, end) : i));
            else if (!this.#isKey && i - start >= SHORT) this.#pieces.pushAscii(buf, start, i);
            else if (c !== 0x22 || !this.#isKey || this.#keyText !== '' || !this.#knownKey(buf, start, i))
              this.#append(ascii(start, i));
          }
          if (i === end) break;
          i++;
          if (c === 0x22) state = this.#endString();
          else if (c === 0x5c) state = ESCAPE;
          else state = this.#fail('unexpected-byte', i - 1, state);
          break;
        }
        case ESCAPE: {
          const c = buf[i++]!;
          if (c === 0x75) {
            this.#hexCount = 0;
            this.#hexValue = 0;
            state = UNICODE;
          } else if (c < 0x80 && ESCAPES[c] !== 0) {
            this.#append(String.fromCharCode(ESCAPES[c]!));
            state = STRING;
          } else {
            state = this.#fail('unexpected-byte', i - 1, state);
          }
          break;
        }
        case UNICODE: {
          const h = hexValue(buf[i++]!);
          if (h < 0) {
            state = this.#fail('unexpected-byte', i - 1, state);
            break;
          }
          this.#hexValue = (this.#hexValue << 4) | h;
          if (++this.#hexCount === 4) {
            this.#append(String.fromCharCode(this.#hexValue));
            state = STRING;
          }
          break;
        }
        case NUMBER: {
          const start = i;
          const stop = start + this.#maxToken - this.#numText.length; // one past the last byte allowed
          let ns = this.#numState;
          while (i < end) {
            const cls = NUM_CLASS[buf[i]!]!;
            if (cls === 0) break;
            ns = NUM_NEXT[ns * 6 + cls]!;
            if (ns === N_BAD || i === stop) break;
            i++;
            if (N_DIGIT_RUN[ns]) {
              const to = Math.min(end, stop);
              while (i < to && (buf[i]! - 0x30) >>> 0 < 10) i++;
            }
          }
          this.#numState = ns;
          if (ns === N_BAD) {
            state = this.#fail('unexpected-byte', i, state);
          } else if (i === stop && i < end && NUM_CLASS[buf[i]!] !== 0) {
            state = this.#fail('number-too-long', this.#numStart - this.#consumed, state);
          } else if (i === end) {
            this.#numText += ascii(start, i);
          } else if (!N_TERMINAL[ns]) {
            state = this.#fail('unexpected-byte', i, state);
          } else {
            const length = this.#numText.length + i - start;
            if (this.#gate?.scalar(this.#key, 'number', length, this.#slot) !== false) {
              this.#emit('number', this.#numText === '' ? ascii(start, i) : this.#numText + ascii(start, i), 0, false);
            }
            this.#numText = '';
            state = this.#afterValue(buf[i]!);
            if (state === VALUE || state === KEY) i++;
          }
          break;
        }
        case LITERAL: {
          const lit = this.#literal;
          while (i < end && this.#literalPos < lit.length) {
            if (buf[i] !== lit.charCodeAt(this.#literalPos)) break;
            i++;
            this.#literalPos++;
          }
          if (this.#literalPos === lit.length) {
            const kind = lit === 'null' ? 'null' : 'boolean';
            if (this.#gate?.scalar(this.#key, kind, lit.length, this.#slot) !== false) this.#emit(kind, lit, 0, false);
            state = this.#level === 0 ? TOP : AFTER;
          } else if (i < end) {
            state = this.#fail('unexpected-byte', i, state);
          }
          break;
        }
        default:
          i = end;
      }
    }
    if (this.#state !== STOPPED) this.#state = state;
    this.#consumed += end;
  }

  end(): void {
    const state = this.#state;
    if (state === STOPPED) return;
    if (state === NUMBER && N_TERMINAL[this.#numState] && this.#level === 0) {
      this.#emit('number', this.#numText, 0, false);
      this.#numText = '';
    } else if (state !== TOP) {
      this.#report({
        decoder: 'json',
        code: 'truncated',
        message: `input ended in state ${STATE_NAMES[state]}`,
        offset: this.#consumed,
      });
    }
    this.#state = STOPPED;
  }

  /**
   * Sets parent, key and cache slot of a value starting in the current container, and keeps its key in the slot
   * (the next object of the same shape recognises its keys by it). No path is made here: a container's when it
   * opens (`#makePath`), a scalar's when its token's `path` is read.
   */
  #beginValue(): void {
    const level = this.#level;
    if (level === 0) {
      this.#parent = this.#root;
      this.#key = '';
      this.#slot = 0;
      return;
    }
    this.#parent = this.#framePath[level]!;
    if (this.#keySlot >= 0) {
      this.#slot = this.#keySlot;
      this.#keySlot = -1;
      return;
    }
    const index = this.#frameIndex[level]!;
    const inArray = this.#isArray[level] === 1;
    const key = inArray ? '' : this.#frameKey[level]!;
    this.#key = key;
    if (index >= PATH_CACHE_WIDTH) {
      // Every element past the width shares one slot: their members reuse keys and segments, not paths.
      this.#slot = this.#slotOf(level, PATH_CACHE_WIDTH);
      return;
    }
    const slot = this.#slotOf(level, index);
    this.#slot = slot;
    const member = inArray ? index : key;
    if (cacheKey[slot] !== member) {
      cacheParentId[slot] = -1;
      cacheKey[slot] = member;
      cacheKeyLength[slot] = typeof member === 'string' ? keyBytes(member, slot, this.#maxKey) : -1;
      cacheSegment[slot] = '';
    }
  }

  /**
   * The value this member had last time, when buf[i, end) holds its bytes and closing quote (json-repeated-values.ts):
   * emitted (a plain-ASCII one if the gate wants it, as any), and the index after the quote returned; else -1.
   */
  #repeated(buf: Uint8Array, view: DataView, i: number, end: number): number {
    const slot = this.#slot;
    const n = repeatedValue(slot, buf, view, i, end);
    if (n < 0 || n > this.#maxToken) return -1;
    const value = repeatedText(slot);
    if (!repeatedAscii(slot) || this.#gate?.text(this.#key, value, slot) !== false)
      this.#emit('string', value, 0, false);
    return i + n + 1;
  }

  /** Emits a whole string value read from buf[start, end) and keeps it for the next object of the same shape. */
  #whole(buf: Uint8Array, start: number, end: number, value: string, ascii: boolean): void {
    keepValue(this.#slot, buf, start, end, value, ascii);
    this.#emit('string', value, 0, false);
  }

  /** Makes the path of a container opening in the current container (and its id, and caches it). */
  #makePath(): void {
    const level = this.#level;
    const parent = this.#parent;
    const index = this.#frameIndex[level]!;
    const inArray = this.#isArray[level] === 1;
    const key = this.#key;
    this.#pathReused = false;
    if (index >= PATH_CACHE_WIDTH) {
      this.#path = inArray ? `${parent}[${index}]` : parent + keySegment(key);
      this.#pathId = newPathId();
      return;
    }
    const slot = this.#slot;
    const parentId = this.#frameId[level]!;
    if (cacheParentId[slot] === parentId) {
      this.#path = cachePath[slot]!;
      this.#pathId = cachePathId[slot]!;
      this.#pathReused = true;
      return;
    }
    let segment = cacheSegment[slot]!;
    if (segment === '') {
      segment = inArray ? `[${index}]` : keySegment(key);
      cacheSegment[slot] = segment;
    }
    const path = parent + segment;
    this.#path = path;
    this.#pathId = newPathId();
    // Under a path that never comes again (an element past PATH_CACHE_WIDTH) only the member is worth keeping.
    if (path.length > PATH_CACHE_MAX_CHARS || this.#frameReused[level] === 0) return;
    this.#pathReused = true;
    cacheParentId[slot] = parentId;
    cachePath[slot] = path;
    cachePathId[slot] = this.#pathId;
  }

  /**
   * Index of the first `"`, `\\` or control byte of buf[i, end), or end, for a long run: whole aligned words of
   * plain ASCII are skipped four bytes at a time, the rest is read byte by byte. The OR of the bytes read goes to
   * `#scanHigh`.
   */
  #scan(buf: Uint8Array, words: Words, i: number, end: number): number {
    let high = 0;
    while (i < end) {
      i = skipPlainWords(words, i, end);
      const stop = Math.min(end, nextWord(words, i));
      while (i < stop) {
        const c = buf[i]!;
        if (c === 0x22 || c === 0x5c || c < 0x20) {
          this.#scanHigh = high;
          return i;
        }
        high |= c;
        i++;
      }
    }
    this.#scanHigh = high;
    return i;
  }

  #slotOf(level: number, index: number): number {
    return (Math.imul(this.#frameSlot[level]! + 1, 0x9e3779b1) + index) & (PATH_CACHE_SLOTS - 1);
  }

  /**
   * The key cached for this member, when buf[i, end) holds exactly it, then `":`: sets it as the key (no new string)
   * and returns the index after the `:`; else -1. The next object of the same shape takes this path for every key.
   */
  #keyAhead(buf: Uint8Array, view: DataView, i: number, end: number): number {
    const level = this.#level;
    const index = this.#frameIndex[level]!;
    const slot = this.#slotOf(level, index);
    const n = keyAt(slot, buf, view, i, end);
    if (n < 0) return -1;
    const key = cacheKey[slot] as string;
    this.#frameKey[level] = key;
    if (index < PATH_CACHE_WIDTH) {
      // What `#beginValue` would find for the value that follows: the slot, and the key already kept in it.
      this.#keySlot = slot;
      this.#key = key;
    }
    return i + n + 2;
  }

  /**
   * A whole ASCII key equal to the one cached for this member: takes the cached string (no new string, and the
   * path lookup then compares by reference). The usual case for the next object of the same shape.
   */
  #knownKey(buf: Uint8Array, start: number, stop: number): boolean {
    const known = cacheKey[this.#slotOf(this.#level, this.#frameIndex[this.#level]!)];
    if (typeof known !== 'string' || known.length !== stop - start) return false;
    for (let j = 0; j < known.length; j++) if (known.charCodeAt(j) !== buf[start + j]) return false;
    this.#keyText = known;
    return true;
  }

  #open(isArray: boolean, at: number): number {
    if (this.#level >= this.#maxDepth) return this.#fail('too-deep', at, VALUE);
    if (this.#level > 0) {
      this.#makePath();
    } else {
      this.#path = this.#root;
      this.#pathId = this.#rootId;
      this.#pathReused = true;
    }
    const level = ++this.#level;
    if (level === this.#isArray.length) this.#growFrames();
    this.#isArray[level] = isArray ? 1 : 0;
    this.#framePath[level] = this.#path;
    this.#frameId[level] = this.#pathId;
    this.#frameReused[level] = this.#pathReused ? 1 : 0;
    this.#frameIndex[level] = 0;
    this.#frameSlot[level] = this.#slot;
    this.#frameNo[level] = this.#ids.next();
    return isArray ? ARRAY_FIRST : OBJECT_FIRST;
  }

  /** Twice the levels, at most MAX_JSON_DEPTH + 1 (#open never goes past it). */
  #growFrames(): void {
    const n = Math.min(this.#isArray.length * 2, this.#maxDepth + 1);
    const grow = <T extends Uint8Array | Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.#isArray = grow(this.#isArray, (k) => new Uint8Array(k));
    this.#frameId = grow(this.#frameId, (k) => new Float64Array(k));
    this.#frameReused = grow(this.#frameReused, (k) => new Uint8Array(k));
    this.#frameIndex = grow(this.#frameIndex, (k) => new Int32Array(k));
    this.#frameSlot = grow(this.#frameSlot, (k) => new Int32Array(k));
    this.#frameNo = grow(this.#frameNo, (k) => new Int32Array(k));
  }

  /**
   * The state after a value, given the byte that follows it (-1 at the chunk end): a ',' right after it is taken
   * here (the caller skips it when the state is VALUE or KEY), saving a pass through AFTER for most values.
   */
  #afterValue(next: number): number {
    const level = this.#level;
    if (level === 0) return TOP;
    if (next !== 0x2c) return AFTER;
    this.#frameIndex[level]!++;
    return this.#isArray[level] === 1 ? VALUE : KEY;
  }

  #close(): number {
    this.#level--;
    return this.#level === 0 ? TOP : AFTER;
  }

  /** Adds decoded text to the key or value string being read. */
  #append(text: string): void {
    if (this.#isKey) this.#keyText = cutKey(this.#keyText + text, this.#maxKey);
    else this.#pieces.push(text);
  }

  #endString(): number {
    if (this.#isKey) {
      this.#frameKey[this.#level] = this.#keyText;
      this.#keyText = '';
      return COLON;
    }
    this.#pieces.finish();
    return this.#level === 0 ? TOP : AFTER;
  }

  /** Keeps an incomplete UTF-8 sequence at the end of a run for the next chunk; returns where decoding stops. */
  #stashTail(buf: Uint8Array, start: number, end: number): number {
    for (let p = end - 1; p >= start && p >= end - 3; p--) {
      const c = buf[p]!;
      if ((c & 0xc0) === 0x80) continue;
      const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
      if (end - p >= need) return end;
      this.#carry.set(buf.subarray(p, end));
      this.#carryLen = end - p;
      this.#carryNeed = need;
      return p;
    }
    return end;
  }

  /** Completes the carried UTF-8 sequence with continuation bytes; decodes it once complete or broken. */
  #completeCarry(buf: Uint8Array, i: number, end: number): number {
    while (this.#carryLen < this.#carryNeed && i < end && (buf[i]! & 0xc0) === 0x80)
      this.#carry[this.#carryLen++] = buf[i++]!;
    if (this.#carryLen < this.#carryNeed && i === end) return i;
    this.#append(this.#carry.utf8Slice(0, this.#carryLen));
    this.#carryLen = 0;
    return i;
  }

  #emit(kind: TokenKind, value: string, offset: number, more: boolean): void {
    const level = this.#level;
    const element = level === 0 ? OWN_PATH : this.#isArray[level] === 1 ? this.#frameIndex[level]! : MEMBER;
    this.#sink(
      new JsonToken(
        this.#parent,
        element,
        this.#frameNo[level]!,
        this.#frameNo[level > 1 ? level - 1 : level]!,
        this.#key,
        kind,
        value,
        offset,
        more,
        this.#depth,
      ),
    );
  }

  #fail(code: 'unexpected-byte' | 'too-deep' | 'number-too-long', at: number, state: number): number {
    const message =
      code === 'too-deep'
        ? `nesting deeper than ${this.#maxDepth}`
        : code === 'number-too-long'
          ? `number literal longer than ${this.#maxToken}`
          : `unexpected byte in state ${STATE_NAMES[state]}`;
    this.#report({ decoder: 'json', code, message, offset: this.#consumed + at });
    this.#state = STOPPED;
    return STOPPED;
  }
}

/** `JsonToken`'s `element` for an object's member, and for a value held by no container (its path is its parent's). */
const MEMBER = -1;
const OWN_PATH = -2;

/**
 * A JSON scalar's token. Its path is made when first read, from the container's path and the key or index: most
 * tokens' paths are never read (analyzers read a path when they report or follow a string across pieces), and
 * past the path cache's width every element's members would need a new string each.
 */
class JsonToken implements Token {
  readonly source = 'json';
  readonly parent: string;
  readonly container: number;
  readonly outer: number;
  readonly key: string;
  readonly kind: TokenKind;
  readonly value: string;
  readonly offset: number;
  readonly more: boolean;
  readonly depth: number;
  /** The element's index in its array, or MEMBER, or OWN_PATH. */
  readonly #element: number;
  #path: string | undefined;

  constructor(
    parent: string,
    element: number,
    container: number,
    outer: number,
    key: string,
    kind: TokenKind,
    value: string,
    offset: number,
    more: boolean,
    depth: number,
  ) {
    this.parent = parent;
    this.container = container;
    this.outer = outer;
    this.key = key;
    this.kind = kind;
    this.value = value;
    this.offset = offset;
    this.more = more;
    this.depth = depth;
    this.#element = element;
  }

  get path(): string {
    this.#path ??=
      this.#element === OWN_PATH
        ? this.parent
        : this.#element === MEMBER
          ? this.parent + keySegment(this.key)
          : `${this.parent}[${this.#element}]`;
    return this.#path;
  }
}

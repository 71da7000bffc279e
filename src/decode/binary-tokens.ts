/**
 * What the schema-less binary tokenizers (protobuf, CBOR, MessagePack) share: the chunk-boundary carry that lets
 * each parse an item header from one contiguous view, UTF-8 text streamed in Token pieces, number formatting
 * (64-bit integers, half/single/double floats), and the "is this float plausible" rule.
 * It is not a tokenizer itself and knows no wire format; `guessBinaryEncoding` lives in binary-guess.ts.
 */
import { Buffer } from 'node:buffer';
import type { Token, TokenKind } from '../model/token.ts';
import type { Tokenizer, TokenSink } from './filter.ts';
import type { TokenizerOptions } from './token-text.ts';
import { ContainerIds, StringPieces } from './token-text.ts';

/**
 * Bytes of a byte-string field (protobuf bytes, CBOR byte string, MessagePack bin) in arrival order:
 * `final` is true on the last call of a field. Chunk sizes depend on the input chunking; the byte sequence does not.
 */
export type BytesHook = (path: string, chunk: Uint8Array, final: boolean) => void;

/** Options of the binary tokenizers. */
export interface BinaryTokenizerOptions extends TokenizerOptions {
  /** Receives the bytes of byte-string fields of at least `minBytes` bytes (media inside a payload). */
  onBytes?: BytesHook;
  /** Byte fields shorter than this are dropped silently (default 1). Indefinite CBOR byte strings always pass. */
  minBytes?: number;
}

/** The longest item header any of the three formats needs in one view (protobuf tag + 10-byte varint). */
const MAX_HEADER = 16;

type SliceBuffer = Buffer & { latin1Slice(s: number, e: number): string };

/** A Buffer view of bytes, without copying. */
export function asBuffer(b: Uint8Array): SliceBuffer {
  return (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length)) as SliceBuffer;
}

/** One decoder for whole strings, so they read exactly as TextStream reads the same bytes in pieces. */
const utf8 = new TextDecoder('utf-8');

/** `bytes[start, end)` as text: latin1 when ASCII (cheap), UTF-8 otherwise (bad sequences become U+FFFD). */
export function decodeText(buf: Uint8Array, start: number, end: number): string {
  const b = asBuffer(buf);
  for (let i = start; i < end; i++) if (b[i]! >= 0x80) return utf8.decode(b.subarray(start, end));
  return b.latin1Slice(start, end);
}

/**
 * Base of the three tokenizers: `write` hands `step` contiguous views, carrying an incomplete item header (at
 * most MAX_HEADER bytes) from one chunk to the next, so `step` never sees a header cut by a chunk boundary.
 * Absolute input offsets are `base + index`. A subclass may `replay` bytes from inside `step` (protobuf
 * replays a field it peeked at) and must then return at once.
 */
export abstract class BinaryInput implements Tokenizer {
  protected readonly sink: TokenSink;
  protected readonly opts: BinaryTokenizerOptions;
  protected readonly depth: number;
  protected readonly root: string;
  protected readonly maxToken: number;
  /** Container numbers (Token.container), shared with the message's other tokenizers. */
  protected readonly ids: ContainerIds;
  /** Absolute offset of index 0 of the view `step` is reading. */
  protected base = 0;
  /** Set by `step` when it stopped before `end` because an item header is incomplete. */
  protected need = false;
  protected stopped = false;
  #total = 0;
  readonly #carry = new Uint8Array(MAX_HEADER);
  #carryLen = 0;

  constructor(sink: TokenSink, opts: BinaryTokenizerOptions) {
    this.sink = sink;
    this.opts = opts;
    this.depth = opts.depth ?? 0;
    this.root = (opts.pathPrefix ?? '') + '$';
    this.maxToken = Math.max(1, opts.limits.MAX_TOKEN_BYTES);
    this.ids = opts.ids ?? new ContainerIds();
  }

  /** Bytes written so far. */
  protected get total(): number {
    return this.#total;
  }

  write(chunk: Uint8Array): void {
    if (this.stopped || chunk.length === 0) return;
    const at = this.#total;
    this.#total += chunk.length;
    this.feed(chunk, at);
  }

  end(): void {
    if (this.stopped) return;
    const pending = this.#carryLen > 0 ? 'an item header is incomplete' : this.finish();
    if (pending) this.fail('truncated', this.#total, `input ended: ${pending}`);
    this.stopped = true;
  }

  /** At the end of input: undefined when complete, else what is unfinished. */
  protected abstract finish(): string | undefined;

  /** Reads items from `buf[i, end)`; returns where it stopped (setting `need` if a header was cut). */
  protected abstract step(buf: Uint8Array, i: number, end: number): number;

  /** Feeds bytes that start at absolute offset `at`. */
  protected feed(buf: Uint8Array, at: number): void {
    let i = 0;
    const end = buf.length;
    while (i < end && !this.stopped) {
      this.need = false;
      const carried = this.#carryLen;
      if (carried > 0) {
        const take = Math.min(end - i, MAX_HEADER);
        const view = new Uint8Array(carried + take);
        view.set(this.#carry.subarray(0, carried));
        view.set(buf.subarray(i, i + take), carried);
        this.#carryLen = 0;
        this.base = at + i - carried;
        const r = this.step(view, 0, view.length);
        if (r < carried || (this.need && i + take === end)) {
          this.#keep(view, r);
          return;
        }
        i += r - carried;
        continue;
      }
      this.base = at;
      const r = this.step(buf, i, end);
      if (this.need) {
        this.#keep(buf.subarray(0, end), r);
        return;
      }
      i = r;
    }
  }

  /** Feeds bytes again from inside `step` (which must return right after). */
  protected replay(buf: Uint8Array, at: number): void {
    this.feed(buf, at);
    this.need = false;
  }

  #keep(view: Uint8Array, from: number): void {
    if (this.stopped) return;
    this.#carry.set(view.subarray(from));
    this.#carryLen = view.length - from;
  }

  protected emit(
    path: string,
    parent: string,
    container: number,
    outer: number,
    key: string,
    kind: TokenKind,
    value: string,
    offset = 0,
    more = false,
  ): void {
    const t: Token = {
      source: 'binary',
      path,
      parent,
      container,
      outer,
      key,
      kind,
      value,
      offset,
      more,
      depth: this.depth,
    };
    this.sink(t);
  }

  /** Reports a violation and stops: nothing more is emitted. */
  protected fail(code: string, offset: number, message: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.opts.report({ decoder: this.decoderName, code, message, offset });
  }

  protected abstract readonly decoderName: string;
}

/**
 * A text value streamed in content-determined pieces of at most MAX_TOKEN_BYTES UTF-16 units; bytes may arrive
 * in any number of pieces (a UTF-8 sequence cut by a chunk boundary is held back until complete).
 */
export class TextStream {
  readonly #pieces: StringPieces;
  readonly #decoder = new TextDecoder('utf-8');

  constructor(max: number, emit: (value: string, offset: number, more: boolean) => void) {
    this.#pieces = new StringPieces(max, emit);
  }

  #idle = true;

  /** Nothing of the current string has been pushed yet. */
  get idle(): boolean {
    return this.#idle;
  }

  push(bytes: Uint8Array): void {
    this.#idle = false;
    const text = this.#decoder.decode(bytes, { stream: true });
    if (text !== '') this.#pieces.push(text);
  }

  finish(): void {
    const text = this.#decoder.decode();
    if (text !== '') this.#pieces.push(text);
    this.#pieces.finish();
    this.#idle = true;
  }
}

/** An unsigned 64-bit integer from two 32-bit halves, as decimal text (exact beyond 2^53). */
export function uint64Text(hi: number, lo: number): string {
  if (hi < 0x200000) return String(hi * 0x100000000 + lo);
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

/** -1 - n for CBOR negative integers given n's halves, as decimal text. */
export function negUint64Text(hi: number, lo: number): string {
  if (hi < 0x200000) return String(-1 - (hi * 0x100000000 + lo));
  return (-1n - ((BigInt(hi) << 32n) | BigInt(lo))).toString();
}

/** A signed 64-bit two's complement integer from two 32-bit halves (hi as unsigned), as decimal text. */
export function int64Text(hi: number, lo: number): string {
  if (hi < 0x80000000) return uint64Text(hi, lo);
  return negUint64Text(~hi >>> 0, ~lo >>> 0);
}

/** A single-precision float as the shortest decimal that reads back to the same float (`39.9042`, not 39.90420150756836). */
export function floatText(v: number): string {
  if (!Number.isFinite(v) || v === 0) return String(v);
  for (let p = 1; p < 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(v);
}

/** An IEEE half-precision float from its 16 bits. */
export function halfValue(bits: number): number {
  const exp = (bits >> 10) & 0x1f;
  const mant = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * Whether a fixed64/fixed32 reinterpreted as a double/float reads as a plausible measurement (a coordinate,
 * a temperature, a battery level): finite, not zero, magnitude in [1e-3, 1e7]. Integers stored in fixed fields
 * read as subnormal or huge floats and fail this.
 */
export function plausibleFloat(v: number): boolean {
  const a = Math.abs(v);
  return a >= 1e-3 && a <= 1e7;
}

/** The byte order of the tokenizers' multi-byte fields, shared by all reads. */
export function readUint32BE(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

export function float32At(b: Uint8Array, i: number, littleEndian: boolean): number {
  const v = asBuffer(b);
  return littleEndian ? v.readFloatLE(i) : v.readFloatBE(i);
}

export function float64At(b: Uint8Array, i: number, littleEndian: boolean): number {
  const v = asBuffer(b);
  return littleEndian ? v.readDoubleLE(i) : v.readDoubleBE(i);
}

/**
 * Whether bytes read as text: valid UTF-8 (a sequence cut at the very end passes when `partial`) with no control
 * characters but tab, CR and LF. Used to tell a protobuf string from a nested message or raw bytes.
 */
export function looksLikeText(b: Uint8Array, start: number, end: number, partial: boolean): boolean {
  let i = start;
  while (i < end) {
    const c = b[i]!;
    if (c < 0x80) {
      if (c < 0x20 ? c !== 0x09 && c !== 0x0a && c !== 0x0d : c === 0x7f) return false;
      i++;
      continue;
    }
    const n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return false;
    for (let k = 1; k <= n; k++) {
      if (i + k >= end) return partial;
      if ((b[i + k]! & 0xc0) !== 0x80) return false;
    }
    if (c >= 0xc2 && c <= 0xc3 && b[i + 1]! < 0xa0) return false; // C1 controls
    i += n + 1;
  }
  return true;
}

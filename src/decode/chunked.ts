/**
 * HTTP/1.1 chunked transfer framing (RFC 9112 §7.1), the one reader of it: the stream layer's HTTP/1 handler
 * (src/streams/http1.ts) reads bodies with it, and the live proxy's request framer (proxy/request-framer.ts)
 * finds where a forwarded request ends with it, so both agree on where a message stops.
 * Byte states named after what the next byte should be (llhttp style). It reads as lenient servers do — a bare
 * LF ends a line, whitespace may follow the size — and says so through `anomaly` where a strict peer would read
 * the bytes another way. It removes framing only (content-encoding stays), stops at the end of the last chunk's
 * trailers without touching what follows (the next pipelined message), and can be told of a capture gap.
 * Sans-io; failures are states with a code, never throws.
 */

import type { Limits } from '../model/limits.ts';
import { hexValue } from './token-text.ts';

/** Parser states, named after what the next byte is expected to be. */
export type ChunkedState =
  | 'size' // hex digits of a chunk size
  | 'size-space' // whitespace after the size: an extension or the line end must follow
  | 'extension' // `;name=value` after the size, skipped up to the line end
  | 'size-lf' // LF ending the size line
  | 'data' // chunk bytes
  | 'data-end' // CR or LF after chunk data
  | 'data-lf' // LF after chunk data's CR
  | 'trailer-start' // start of a trailer field line, or the final empty line
  | 'trailer' // inside a trailer field line (skipped)
  | 'final-lf' // LF of the final empty line
  | 'done' // message body complete
  | 'failed'; // stopped: see `failure`

/** Why reading stopped early; the codes are the HTTP/1 handler's violation codes. */
export type ChunkedFailure = 'bad-chunk-size' | 'bad-chunk-end' | 'chunk-line-too-long' | 'gap-in-chunked';

/** Where the decoded body goes. */
export interface ChunkedEvents {
  /** Chunk data: views of the input, never copies. */
  data(piece: Uint8Array): void;
  /** Whitespace between a chunk size and its line end: strict peers reject it (reported once per body). */
  anomaly?(code: 'chunk-size-space', at: number): void;
}

export type ChunkedLimits = Pick<Limits, 'MAX_HTTP_CHUNK_LINE_BYTES' | 'MAX_HTTP_HEADER_BYTES'>;

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const TAB = 0x09;
const SEMICOLON = 0x3b;
/** A chunk size with more hex digits than this cannot be a safe integer. */
const MAX_SIZE_DIGITS = 13;

/** Reads one chunked body at a time; `reset()` before the next. */
export class ChunkedDecoder {
  readonly #limits: ChunkedLimits;
  #state: ChunkedState = 'size';
  #failure: ChunkedFailure | undefined;
  #size = 0;
  #digits = 0;
  #remaining = 0;
  /** Bytes of the current size line or trailer line, bounded. */
  #lineBytes = 0;
  /** Whitespace followed the current size (an anomaly unless an extension follows). */
  #spaced = -1;
  #spaceReported = false;

  constructor(limits: ChunkedLimits) {
    this.#limits = limits;
  }

  /** Ready for the next body. */
  reset(): void {
    this.#state = 'size';
    this.#failure = undefined;
    this.#size = this.#digits = this.#remaining = this.#lineBytes = 0;
    this.#spaced = -1;
    this.#spaceReported = false;
  }

  get state(): ChunkedState {
    return this.#state;
  }

  /** True once the last chunk and its trailers were read. */
  get finished(): boolean {
    return this.#state === 'done';
  }

  /** Why reading stopped, once `state` is `failed`. */
  get failure(): ChunkedFailure | undefined {
    return this.#failure;
  }

  /**
   * Reads `bytes` from `off` until they run out, the body ends or reading fails; returns the offset after what
   * it consumed (on failure, the offending byte's, not consumed).
   */
  feed(bytes: Uint8Array, off: number, ev: ChunkedEvents): number {
    let i = off;
    const n = bytes.length;
    while (i < n) {
      const state = this.#state;
      if (state === 'done' || state === 'failed') return i;
      if (state === 'data') {
        const take = Math.min(this.#remaining, n - i);
        ev.data(bytes.subarray(i, i + take));
        this.#remaining -= take;
        i += take;
        if (this.#remaining === 0) this.#state = 'data-end';
        continue;
      }
      if (!this.#byte(bytes[i]!, i, ev)) return i;
      i++;
    }
    return i;
  }

  /**
   * `length` bytes of the stream were lost. Inside chunk data the loss is absorbed (returns how much of it);
   * anywhere else the framing is lost: reading fails with `gap-in-chunked` (returns 0).
   */
  gap(length: number): number {
    if (this.#state !== 'data') {
      if (this.#state !== 'done' && this.#state !== 'failed') this.#fail('gap-in-chunked');
      return 0;
    }
    const n = Math.min(length, this.#remaining);
    this.#remaining -= n;
    if (this.#remaining === 0) this.#state = 'data-end';
    return n;
  }

  /** One framing byte at `at`; false when it failed reading (the byte is not consumed). */
  #byte(c: number, at: number, ev: ChunkedEvents): boolean {
    switch (this.#state) {
      case 'size': {
        const v = hexValue(c);
        if (v >= 0) {
          if (++this.#digits > MAX_SIZE_DIGITS) return this.#fail('bad-chunk-size');
          this.#size = this.#size * 16 + v;
          return this.#lineByte();
        }
        if (this.#digits === 0) return this.#fail('bad-chunk-size');
        if (c === SP || c === TAB) {
          this.#spaced = at;
          this.#state = 'size-space';
          return this.#lineByte();
        }
        return this.#sizeEnd(c, ev);
      }
      case 'size-space':
        if (c === SP || c === TAB) return this.#lineByte();
        return this.#sizeEnd(c, ev);
      case 'extension':
        if (c === CR) this.#state = 'size-lf';
        else if (c === LF) this.#sizeLine();
        else return this.#lineByte();
        return true;
      case 'size-lf':
        if (c !== LF) return this.#fail('bad-chunk-size');
        this.#sizeLine();
        return true;
      case 'data-end':
        if (c === CR) this.#state = 'data-lf';
        else if (c === LF) this.#state = 'size';
        else return this.#fail('bad-chunk-end');
        return true;
      case 'data-lf':
        if (c !== LF) return this.#fail('bad-chunk-end');
        this.#state = 'size';
        return true;
      case 'trailer-start':
        this.#lineBytes = 0;
        if (c === CR) this.#state = 'final-lf';
        else if (c === LF) this.#state = 'done';
        else this.#state = 'trailer';
        return c === CR || c === LF || this.#lineByte(this.#limits.MAX_HTTP_HEADER_BYTES);
      case 'final-lf':
        // `CR x`: not the empty line after all, but a trailer line starting with CR (skipped like the others).
        this.#state = c === LF ? 'done' : 'trailer';
        return true;
      case 'trailer':
        if (c === LF) this.#state = 'trailer-start';
        else return this.#lineByte(this.#limits.MAX_HTTP_HEADER_BYTES);
        return true;
      default:
        return false;
    }
  }

  /** The byte after a size's digits or its whitespace: an extension, or the line end. */
  #sizeEnd(c: number, ev: ChunkedEvents): boolean {
    if (c === SEMICOLON) {
      this.#spaced = -1; // `1a ;ext` is common and read the same by every peer
      this.#state = 'extension';
      return this.#lineByte();
    }
    if (c !== CR && c !== LF) return this.#fail('bad-chunk-size');
    if (this.#spaced >= 0 && !this.#spaceReported) {
      this.#spaceReported = true;
      ev.anomaly?.('chunk-size-space', this.#spaced);
    }
    if (c === CR) this.#state = 'size-lf';
    else this.#sizeLine();
    return true;
  }

  /** A size line ended: the next chunk's data, or the trailers after the last chunk. */
  #sizeLine(): void {
    this.#remaining = this.#size;
    this.#state = this.#size === 0 ? 'trailer-start' : 'data';
    this.#size = this.#digits = this.#lineBytes = 0;
    this.#spaced = -1;
  }

  /** Counts one byte of the current line against its bound. */
  #lineByte(max = this.#limits.MAX_HTTP_CHUNK_LINE_BYTES): boolean {
    return ++this.#lineBytes <= max || this.#fail('chunk-line-too-long');
  }

  #fail(code: ChunkedFailure): false {
    this.#state = 'failed';
    this.#failure = code;
    return false;
  }
}

/**
 * HTTP/1.1 chunked transfer decoding (RFC 9112 §7.1) as a Filter with named states (llhttp style): chunk sizes
 * with extensions, strict CRLF checks, trailers read and dropped. It removes framing only; content-encoding stays.
 * After the last chunk it is `finished` and keeps whatever follows (the next pipelined message) for `takeRest()`.
 */

import type { Limits } from '../model/limits.ts';
import type { ViolationSink } from '../model/violation.ts';
import { ChunkList } from './chunk-list.ts';
import type { ByteSink, Filter } from './filter.ts';

/** Parser states, named after what the next byte is expected to be. */
export type ChunkedState =
  | 'size' // hex digits of a chunk size
  | 'extension' // `;name=value` after the size, skipped up to CR
  | 'size-lf' // LF ending the size line
  | 'data' // chunk bytes
  | 'data-cr' // CR after chunk data
  | 'data-lf' // LF after chunk data
  | 'trailer-start' // start of a trailer field line, or CR of the final empty line
  | 'trailer' // inside a trailer field line (skipped)
  | 'trailer-lf' // LF ending a trailer field line
  | 'final-lf' // LF of the final empty line
  | 'done' // message body complete
  | 'error'; // stopped after a violation

const CR = 0x0d;
const LF = 0x0a;
/** A chunk size with more hex digits than this cannot be a safe integer. */
const MAX_SIZE_DIGITS = 13;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** Removes chunked framing from a message body. */
export class ChunkedDecoder implements Filter {
  #state: ChunkedState = 'size';
  #size = 0;
  #digits = 0;
  #remaining = 0;
  /** Bytes of size-line extensions plus trailer lines, bounded by MAX_PART_HEADER_BYTES. */
  #metaBytes = 0;
  #offset = 0;
  #rest = new ChunkList();

  constructor(
    private readonly limits: Limits,
    private readonly report: ViolationSink,
  ) {}

  /** The current parser state (for tests and the HTTP/1 parser's diagnostics). */
  get state(): ChunkedState {
    return this.#state;
  }

  /** True once the last chunk and its trailers were read. */
  get finished(): boolean {
    return this.#state === 'done';
  }

  /** Bytes received after the end of the chunked body (the next message on a keep-alive connection). */
  takeRest(): Uint8Array {
    return this.#rest.consumeAll();
  }

  write(chunk: Uint8Array, out: ByteSink): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.#state) {
        case 'done':
          this.#rest.push(chunk.subarray(i));
          return;
        case 'error':
          return;
        case 'data': {
          const take = Math.min(this.#remaining, n - i);
          out.write(chunk.subarray(i, i + take));
          this.#remaining -= take;
          i += take;
          this.#offset += take;
          if (this.#remaining === 0) this.#state = 'data-cr';
          continue;
        }
        default:
          this.#byte(chunk[i]!);
          i++;
          this.#offset++;
      }
    }
  }

  end(out: ByteSink): void {
    if (this.#state !== 'done' && this.#state !== 'error') {
      this.#fail('truncated', `body ends in state ${this.#state}`);
    }
    out.end();
  }

  #byte(c: number): void {
    switch (this.#state) {
      case 'size': {
        const v = hexValue(c);
        if (v >= 0) {
          if (++this.#digits > MAX_SIZE_DIGITS) {
            this.#fail('bad-chunk-size', 'chunk size too large');
            return;
          }
          this.#size = this.#size * 16 + v;
        } else if (this.#digits === 0) {
          this.#fail('bad-chunk-size', 'chunk size expected');
        } else if (c === CR) {
          this.#state = 'size-lf';
        } else if (c === 0x3b || c === 0x20 || c === 0x09) {
          this.#state = 'extension';
        } else {
          this.#fail('bad-chunk-size', 'bad character in chunk size');
        }
        return;
      }
      case 'extension':
        if (c === CR) this.#state = 'size-lf';
        else if (c === LF) this.#fail('bad-chunk-size', 'LF without CR in chunk extension');
        else this.#meta();
        return;
      case 'size-lf':
        if (c !== LF) {
          this.#fail('bad-chunk-size', 'CR not followed by LF after chunk size');
          return;
        }
        if (this.#size === 0) {
          this.#state = 'trailer-start';
        } else {
          this.#remaining = this.#size;
          this.#state = 'data';
        }
        this.#size = 0;
        this.#digits = 0;
        return;
      case 'data-cr':
        if (c === CR) this.#state = 'data-lf';
        else this.#fail('bad-chunk-crlf', 'chunk data not followed by CRLF');
        return;
      case 'data-lf':
        if (c === LF) this.#state = 'size';
        else this.#fail('bad-chunk-crlf', 'chunk data not followed by CRLF');
        return;
      case 'trailer-start':
        if (c === CR) this.#state = 'final-lf';
        else if (c === LF) this.#fail('bad-chunk-crlf', 'LF without CR in trailers');
        else {
          this.#state = 'trailer';
          this.#meta();
        }
        return;
      case 'trailer':
        if (c === CR) this.#state = 'trailer-lf';
        else if (c === LF) this.#fail('bad-chunk-crlf', 'LF without CR in trailers');
        else this.#meta();
        return;
      case 'trailer-lf':
        if (c === LF) this.#state = 'trailer-start';
        else this.#fail('bad-chunk-crlf', 'CR not followed by LF in trailers');
        return;
      case 'final-lf':
        if (c === LF) this.#state = 'done';
        else this.#fail('bad-chunk-crlf', 'CR not followed by LF after the last chunk');
        return;
    }
  }

  /** Counts one byte of extension or trailer; over the bound the body is rejected. */
  #meta(): void {
    if (++this.#metaBytes > this.limits.MAX_PART_HEADER_BYTES) {
      this.#fail('chunk-metadata-too-large', 'chunk extensions and trailers exceed MAX_PART_HEADER_BYTES');
    }
  }

  #fail(code: string, message: string): void {
    this.#state = 'error';
    this.report({ decoder: 'chunked', code, message, offset: this.#offset });
  }
}

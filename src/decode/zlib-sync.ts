/**
 * Synchronous, incremental decompression on node:zlib's native engines: the ONE place that touches zlib
 * internals. It is only a driver (feed input, pull bounded output); limits and violations live in
 * content-encoding.ts.
 *
 * Why internals: node offers no public synchronous *incremental* API. `stream._processChunk(chunk, flag)` without
 * a callback (what `zlib.gunzipSync` uses) closes the native handle after one call, so it cannot be fed twice.
 * We therefore do what that function does inside (node 20 lib/zlib.js `processChunkSync`) without the close:
 * `stream._handle.writeSync(flush, in, inOff, inLen, out, outOff, outLen)`, then read `stream._writeState`
 * ([availOutAfter, availInAfter]). Errors arrive through `_handle.onerror`, which we take over so that the
 * stream is never destroyed with an 'error' event. `reset()` uses the stream's public `reset()` (node 20
 * `ZlibBase.prototype.reset` = `this._handle.reset()`: inflateReset / a fresh brotli state, same handle and
 * buffers), so one engine serves many independent streams (WebSocket no-context-takeover) without a new native
 * allocation per message. test/decode/zlib-sync.test.ts guards these assumptions.
 */
import zlib from 'node:zlib';

/** Which native engine. */
export type Codec = 'gunzip' | 'inflate' | 'inflate-raw' | 'brotli';

/** Called with each decoded slice (a fresh view, never overwritten). Return false to stop decoding. */
export type Emit = (out: Uint8Array) => boolean;

interface NativeHandle {
  writeSync(
    flush: number,
    inp: Uint8Array,
    inOff: number,
    inLen: number,
    out: Uint8Array,
    outOff: number,
    outLen: number,
  ): void;
  onerror: (message: string, errno: number) => void;
}
interface ZlibInternals {
  _handle: NativeHandle | null;
  _writeState: Uint32Array;
  reset(): void;
  close(): void;
}

/** Output is pulled in buffers of this size, so one native call never produces more. */
const OUT_CHUNK = 64 * 1024;
/** Input is fed in slices of this size. */
const IN_SLICE = 16 * 1024;

const C = zlib.constants;

function open(codec: Codec): ZlibInternals {
  switch (codec) {
    case 'gunzip':
      return zlib.createGunzip() as unknown as ZlibInternals;
    case 'inflate':
      return zlib.createInflate() as unknown as ZlibInternals;
    case 'inflate-raw':
      return zlib.createInflateRaw() as unknown as ZlibInternals;
    case 'brotli':
      return zlib.createBrotliDecompress() as unknown as ZlibInternals;
  }
}

/** A native decompressor fed synchronously; reports errors as strings, never throws on bad data. */
export class SyncDecompressor {
  #stream: ZlibInternals;
  #handle: NativeHandle;
  #flush: number;
  #finish: number;
  #out = new Uint8Array(OUT_CHUNK);
  #outOff = 0;
  /** Sticky until `reset()`: a corrupt stream stays corrupt. */
  #error: string | undefined;
  #closed = false;
  /** Compressed bytes consumed so far. */
  bytesIn = 0;
  /** True once the stream ended and input was left over (trailing data after the end of a stream). */
  trailing = false;

  constructor(codec: Codec) {
    this.#stream = open(codec);
    const handle = this.#stream._handle;
    if (!handle || typeof handle.writeSync !== 'function') throw new Error('node:zlib internals changed');
    this.#handle = handle;
    this.#handle.onerror = (message) => {
      this.#error = message;
    };
    this.#flush = codec === 'brotli' ? C.BROTLI_OPERATION_PROCESS : C.Z_SYNC_FLUSH;
    this.#finish = codec === 'brotli' ? C.BROTLI_OPERATION_FINISH : C.Z_FINISH;
  }

  /** Feeds `input`. Returns an error message when the data is corrupt, 'stopped' when `emit` said stop. */
  write(input: Uint8Array, emit: Emit): string | undefined {
    for (let off = 0; off < input.length; off += IN_SLICE) {
      const r = this.#run(input.subarray(off, off + IN_SLICE), this.#flush, emit);
      if (r !== undefined || this.trailing) return r;
    }
    return undefined;
  }

  /** Signals the end of input. Returns an error message (e.g. `unexpected end of file`) when truncated. */
  finish(emit: Emit): string | undefined {
    return this.#run(new Uint8Array(0), this.#finish, emit);
  }

  /**
   * Returns the engine to its initial state, as if freshly made: window, error and `trailing` cleared, `bytesIn`
   * back to 0. Nothing of the previous stream can be referred to. Output slices already handed out stay valid.
   * No-op once closed (writes then keep returning 'closed').
   */
  reset(): void {
    if (this.#closed) return;
    this.#error = undefined;
    this.bytesIn = 0;
    this.trailing = false;
    this.#stream.reset(); // a failure to reset arrives through onerror and makes the next write fail
  }

  /** Frees the native engine. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stream.close();
  }

  #run(input: Uint8Array, flush: number, emit: Emit): string | undefined {
    if (this.#closed) return 'closed';
    if (this.#error !== undefined) return this.#error;
    const state = this.#stream._writeState;
    let inOff = 0;
    let availIn = input.length;
    for (;;) {
      const availOut = OUT_CHUNK - this.#outOff;
      this.#handle.writeSync(flush, input, inOff, availIn, this.#out, this.#outOff, availOut);
      if (this.#error !== undefined) return this.#error;
      const outAfter = state[0]!;
      const inAfter = state[1]!;
      this.bytesIn += availIn - inAfter;
      inOff += availIn - inAfter;
      availIn = inAfter;
      const have = availOut - outAfter;
      if (have > 0) {
        const slice = this.#out.subarray(this.#outOff, this.#outOff + have);
        this.#outOff += have;
        if (!emit(slice)) return 'stopped';
      }
      if (outAfter === 0 || this.#outOff >= OUT_CHUNK) {
        this.#out = new Uint8Array(OUT_CHUNK);
        this.#outOff = 0;
      }
      if (outAfter !== 0) {
        // Output room left: the engine took what it could. Input left over means the stream has ended.
        if (availIn > 0) this.trailing = true;
        return undefined;
      }
    }
  }
}

/**
 * A queue of byte chunks that incremental decoders read from (undici `consume(n)`): push what arrives, ask for
 * the bytes you need. Reads return a view when the bytes sit in one chunk and copy only across a boundary.
 * It is not a growable buffer: pushed chunks are kept by reference, so a caller must not reuse them.
 */

const EMPTY = new Uint8Array(0);

/** Buffered input of an incremental decoder. */
export class ChunkList {
  #chunks: Uint8Array[] = [];
  /** Offset already consumed inside `#chunks[0]`. */
  #head = 0;
  #length = 0;

  /** Appends a chunk (kept by reference; empty chunks are dropped). */
  push(c: Uint8Array): void {
    if (c.length === 0) return;
    this.#chunks.push(c);
    this.#length += c.length;
  }

  /** Bytes buffered and not yet consumed. */
  get length(): number {
    return this.#length;
  }

  /** The byte at `i` from the read position (undefined past the end), without consuming. */
  at(i: number): number | undefined {
    if (i < 0 || i >= this.#length) return undefined;
    let k = i + this.#head;
    for (const c of this.#chunks) {
      if (k < c.length) return c[k];
      k -= c.length;
    }
    return undefined;
  }

  /** The first `min(n, length)` bytes without consuming them. */
  peek(n: number): Uint8Array {
    return this.#read(Math.min(n, this.#length), false);
  }

  /** Removes and returns the first `min(n, length)` bytes. */
  consume(n: number): Uint8Array {
    return this.#read(Math.min(n, this.#length), true);
  }

  /** Drops the first `min(n, length)` bytes. */
  skip(n: number): void {
    let left = Math.min(n, this.#length);
    this.#length -= left;
    while (left > 0) {
      const c = this.#chunks[0]!;
      const avail = c.length - this.#head;
      if (left < avail) {
        this.#head += left;
        return;
      }
      left -= avail;
      this.#chunks.shift();
      this.#head = 0;
    }
  }

  /** Offset from the read position of the first `byte`, searching from `from`; -1 when absent. */
  indexOf(byte: number, from = 0): number {
    let base = 0;
    for (let j = 0; j < this.#chunks.length; j++) {
      const c = this.#chunks[j]!;
      const start = j === 0 ? this.#head : 0;
      const len = c.length - start;
      if (from < base + len) {
        const k = c.indexOf(byte, start + Math.max(0, from - base));
        if (k >= 0) return base + k - start;
      }
      base += len;
    }
    return -1;
  }

  /** Removes and returns everything buffered. */
  consumeAll(): Uint8Array {
    return this.consume(this.#length);
  }

  #read(n: number, take: boolean): Uint8Array {
    if (n === 0) return EMPTY;
    const first = this.#chunks[0]!;
    const avail = first.length - this.#head;
    let out: Uint8Array;
    if (n <= avail) {
      out = first.subarray(this.#head, this.#head + n);
    } else {
      out = new Uint8Array(n);
      let off = 0;
      let pos = this.#head;
      for (const c of this.#chunks) {
        const part = Math.min(c.length - pos, n - off);
        out.set(c.subarray(pos, pos + part), off);
        off += part;
        pos = 0;
        if (off === n) break;
      }
    }
    if (take) this.skip(n);
    return out;
  }
}

/**
 * Record framing shared by the capture readers: cuts a byte stream fed in chunks of any size into whole
 * records (a pcap record, a pcapng block) without copying records that sit inside one chunk. Only a record
 * that straddles chunks is copied, into a fresh buffer (emitted views are never overwritten later).
 * It is not a parser: the reader says how long the record at an offset is and what to do with it.
 */

/** What a reader tells the framer about its format. */
export interface RecordFormat {
  /** Bytes needed before `size` can be asked. */
  readonly headerBytes: number;
  /** Total length of the record starting at `off` (≥ headerBytes), or -1 when the header is corrupt. */
  size(buf: Uint8Array, off: number): number;
  /** One whole record: `buf[off, off+len)`. */
  record(buf: Uint8Array, off: number, len: number): void;
  /** `size` said -1: the framer stops consuming. */
  corrupt(): void;
}

export class Framer {
  /** The straddling record being completed: `#tail[0, #tailLen)`, in a buffer sized for the whole record. */
  #tail: Uint8Array = new Uint8Array(0);
  #tailLen = 0;
  #stopped = false;
  readonly #fmt: RecordFormat;

  constructor(fmt: RecordFormat) {
    this.#fmt = fmt;
  }

  /** Bytes held back waiting for the rest of a record. */
  get pending(): number {
    return this.#tailLen;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Stop consuming (corrupt input, or the reader has nothing more to say). */
  stop(): void {
    this.#stopped = true;
    this.#tail = new Uint8Array(0);
    this.#tailLen = 0;
  }

  write(chunk: Uint8Array): void {
    if (this.#stopped) return;
    let off = 0;
    if (this.#tailLen > 0) {
      off = this.#completeTail(chunk);
      if (off < 0 || this.#stopped) return;
    }
    const fmt = this.#fmt;
    const end = chunk.length;
    while (end - off >= fmt.headerBytes) {
      const len = fmt.size(chunk, off);
      if (len < 0) {
        this.#corrupt();
        return;
      }
      if (end - off < len) break;
      fmt.record(chunk, off, len);
      if (this.#stopped) return;
      off += len;
    }
    if (off < end) this.#append(chunk.subarray(off), Math.max(this.#fmt.headerBytes, end - off));
  }

  /** Completes the straddling record from `chunk`; returns bytes of chunk used, or -1 when more are needed. */
  #completeTail(chunk: Uint8Array): number {
    const fmt = this.#fmt;
    let used = 0;
    if (this.#tailLen < fmt.headerBytes) {
      used = Math.min(fmt.headerBytes - this.#tailLen, chunk.length);
      this.#append(chunk.subarray(0, used), fmt.headerBytes);
      if (this.#tailLen < fmt.headerBytes) return -1;
    }
    const len = fmt.size(this.#tail, 0);
    if (len < 0) {
      this.#corrupt();
      return -1;
    }
    const more = Math.min(len - this.#tailLen, chunk.length - used);
    this.#append(chunk.subarray(used, used + more), len);
    used += more;
    if (this.#tailLen < len) return -1;
    const rec = this.#tail;
    this.#tail = new Uint8Array(0);
    this.#tailLen = 0;
    fmt.record(rec, 0, len);
    return used;
  }

  /** Appends to the tail, growing it (by a fresh buffer: emitted views are never overwritten) to `need` bytes. */
  #append(bytes: Uint8Array, need: number): void {
    if (this.#tail.length < Math.max(need, this.#tailLen + bytes.length)) {
      const grown = new Uint8Array(Math.max(need, this.#tailLen + bytes.length));
      grown.set(this.#tail.subarray(0, this.#tailLen));
      this.#tail = grown;
    }
    this.#tail.set(bytes, this.#tailLen);
    this.#tailLen += bytes.length;
  }

  #corrupt(): void {
    this.stop();
    this.#fmt.corrupt();
  }
}

/** Little- or big-endian unsigned 32-bit read without a DataView. */
export function u32(b: Uint8Array, o: number, le: boolean): number {
  return le
    ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0
    : ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export function u16(b: Uint8Array, o: number, le: boolean): number {
  return le ? b[o]! | (b[o + 1]! << 8) : (b[o]! << 8) | b[o + 1]!;
}

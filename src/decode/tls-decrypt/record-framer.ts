/**
 * One side's byte stream cut into TLS records, in any chunking: whole records are handed over in place (views
 * into the caller's chunk), and only a record cut by a chunk's end is copied, once, into a buffer of its size.
 * It checks record headers (tls-records.ts) and nothing else: what a record means is the session's.
 */
import { recordHeaderText, recordLength } from '../tls-records.ts';

/** Called per whole record (views valid during the call); returning false stops reading the chunk. */
export type OnRecord = (header: Uint8Array, body: Uint8Array) => boolean;

export class RecordFramer {
  readonly #head = Buffer.alloc(5);
  #headFill = 0;
  #body: Buffer | undefined;
  #bodyFill = 0;

  /**
   * Reads `chunk`: `record` per whole record, `bad` (with the header as text) at bytes that are no TLS record
   * header. Returns how many bytes of `chunk` were taken (all of them, unless `record` said stop or `bad` came).
   */
  write(chunk: Uint8Array, record: OnRecord, bad: (header: string) => void): number {
    let off = 0;
    while (off < chunk.length) {
      if (this.#headFill > 0) {
        const r = this.#resume(chunk, off, record, bad);
        off += r.taken;
        if (!r.go) break;
        continue;
      }
      const left = chunk.length - off;
      const length = left >= 5 ? recordLength(chunk.subarray(off, off + 5)) : 0;
      if (length < 0) {
        bad(recordHeaderText(chunk.subarray(off, off + 5)));
        break;
      }
      if (left < 5 + length) {
        const r = this.#resume(chunk, off, record, bad);
        off += r.taken;
        if (!r.go) break;
        continue;
      }
      const go = record(chunk.subarray(off, off + 5), chunk.subarray(off + 5, off + 5 + length));
      off += 5 + length;
      if (!go) break;
    }
    return off;
  }

  /** Bytes of a cut record held so far. */
  get pending(): number {
    return this.#headFill + this.#bodyFill;
  }

  /** Drops a cut record (a gap, a stop). */
  reset(): void {
    this.#headFill = 0;
    this.#body = undefined;
    this.#bodyFill = 0;
  }

  /** Copies the next bytes of a cut record into place (its header, then its body) and hands it over once whole. */
  #resume(
    chunk: Uint8Array,
    off: number,
    record: OnRecord,
    bad: (header: string) => void,
  ): { taken: number; go: boolean } {
    let taken = 0;
    if (this.#headFill < 5) {
      taken = Math.min(5 - this.#headFill, chunk.length - off);
      this.#head.set(chunk.subarray(off, off + taken), this.#headFill);
      this.#headFill += taken;
      if (this.#headFill < 5) return { taken, go: true };
      const length = recordLength(this.#head);
      if (length < 0) {
        bad(recordHeaderText(this.#head));
        return { taken, go: false };
      }
      this.#body = Buffer.allocUnsafe(length);
      this.#bodyFill = 0;
    }
    const body = this.#body as Buffer;
    const more = Math.min(body.length - this.#bodyFill, chunk.length - off - taken);
    body.set(chunk.subarray(off + taken, off + taken + more), this.#bodyFill);
    this.#bodyFill += more;
    taken += more;
    if (this.#bodyFill < body.length) return { taken, go: true };
    const header = new Uint8Array(this.#head);
    this.reset();
    return { taken, go: record(header, body) };
  }
}

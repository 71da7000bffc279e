/**
 * The loop the container walkers share (Ogg pages, AMR/Speex frames, WebM elements): fill a small head buffer to
 * the bytes a walker asks for, hand it over, skip the body the walker names. Chunk boundaries may fall anywhere
 * and nothing but the head is kept. Not a parser: the walker reads the head and says what comes next.
 */

/** What the walker does with a head; it calls `want`, `next` or `stop` on the reader from `head`. */
export interface RecordSteps {
  /** `head` holds exactly the bytes asked for (a view valid during the call). */
  head(head: Uint8Array): void;
  /** The bytes a `next(skip, …)` named have all passed (also at once when `skip` is 0). */
  skipped?(): void;
}

export class RecordReader {
  readonly #buf: Uint8Array;
  readonly #steps: RecordSteps;
  #have = 0;
  #need: number;
  #skip = 0;
  #stopped = false;

  /** `maxHead`: the longest head ever asked for; `need`: the first head's length. */
  constructor(maxHead: number, need: number, steps: RecordSteps) {
    this.#buf = new Uint8Array(maxHead);
    this.#need = need;
    this.#steps = steps;
  }

  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length && !this.#stopped) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - i);
        this.#skip -= n;
        i += n;
        if (this.#skip === 0) this.#steps.skipped?.();
        continue;
      }
      const n = Math.min(this.#need - this.#have, chunk.length - i);
      this.#buf.set(chunk.subarray(i, i + n), this.#have);
      this.#have += n;
      i += n;
      if (this.#have === this.#need) this.#steps.head(this.#buf.subarray(0, this.#have));
    }
  }

  /** More of the same head: `need` bytes in all (at most `maxHead`). */
  want(need: number): void {
    this.#need = need;
  }

  /** The head is read: skip `skip` bytes, then read a new head of `need` bytes. */
  next(skip: number, need: number): void {
    this.#have = 0;
    this.#need = need;
    this.#skip = Math.max(0, skip);
    if (this.#skip === 0) this.#steps.skipped?.();
  }

  /** Nothing more is read (the stream is not what the walker expected). */
  stop(): void {
    this.#stopped = true;
  }
}

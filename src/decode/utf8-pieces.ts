/**
 * A string value's pieces (a long string arrives as tokens of at most MAX_TOKEN_BYTES, src/model/token.ts) turned
 * back into UTF-8 bytes for a nested part: JSON carried as a string (src/pipeline/part.ts). A surrogate pair cut
 * between two pieces is held until it is whole, so the bytes are those of the whole string.
 */
import type { ByteSink } from './filter.ts';

export class Utf8Pieces {
  #high = '';

  write(piece: string, out: ByteSink): void {
    let s = this.#high + piece;
    this.#high = '';
    const last = s.charCodeAt(s.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      this.#high = s.slice(-1);
      s = s.slice(0, -1);
    }
    if (s.length > 0) out.write(Buffer.from(s, 'utf8'));
  }

  /** Writes what was held back, then ends `out`. */
  end(out: ByteSink): void {
    if (this.#high) out.write(Buffer.from(this.#high, 'utf8'));
    this.#high = '';
    out.end();
  }
}

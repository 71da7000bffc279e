/**
 * Long strings reach analyzers in pieces (`offset`/`more`). A pattern may straddle two pieces, so a scan of
 * a piece is given the tail of the previous piece of the same string in front of it. Matches inside the tail
 * are found twice; the Reporter's de-duplication drops the second.
 */
import type { Token } from '../../src/model/token.ts';

/** Characters of the previous piece kept in front of the next one: longer than any pattern we look for. */
export const OVERLAP_CHARS = 256;

export class TextWindow {
  #path = '';
  #tail = '';

  /** The text to scan for this token: the value, preceded by the previous piece's tail when it continues one. */
  text(t: Token): string {
    const joined = t.offset > 0 && t.path === this.#path ? this.#tail + t.value : t.value;
    if (t.more) {
      this.#path = t.path;
      this.#tail = t.value.slice(-OVERLAP_CHARS);
    } else {
      this.#path = '';
      this.#tail = '';
    }
    return joined;
  }
}

/**
 * Content-Transfer-Encoding `quoted-printable` (RFC 2045 6.7) as a streaming Filter: `=XX` is the byte XX, `=` at a
 * line's end (a soft line break) is nothing, every other byte is itself. A mail's text in Chinese or with accents
 * comes so (`=E5=A6=88=E5=A6=88` is 妈妈). An `=` not followed by two hex digits or a line end is kept as it is
 * (RFC 2045's advice for robust decoders). Chunk boundaries may fall anywhere: at most two bytes wait.
 */
import type { ByteSink, Filter } from './filter.ts';
import { hexValue } from './token-text.ts';

const EQ = 0x3d;
const CR = 0x0d;
const LF = 0x0a;

export class QuotedPrintableFilter implements Filter {
  /** Bytes of an `=` sequence that a chunk ended inside (`=`, `=4`, `=\r`). */
  #pending: number[] = [];

  write(chunk: Uint8Array, out: ByteSink): void {
    const input = this.#pending.length > 0 ? Buffer.concat([Uint8Array.from(this.#pending), chunk]) : chunk;
    this.#pending = [];
    const bytes = new Uint8Array(input.length);
    let n = 0;
    for (let i = 0; i < input.length; i++) {
      const c = input[i]!;
      if (c !== EQ) {
        bytes[n++] = c;
        continue;
      }
      const rest = input.length - i - 1;
      if (rest === 0 || (rest === 1 && input[i + 1] !== LF)) {
        this.#pending = Array.from(input.subarray(i)); // wait for the rest of the sequence
        break;
      }
      const a = input[i + 1]!;
      if (a === LF) {
        i += 1; // soft line break
      } else if (a === CR && input[i + 2] === LF) {
        i += 2;
      } else if (hexValue(a) >= 0 && hexValue(input[i + 2]!) >= 0) {
        bytes[n++] = (hexValue(a) << 4) | hexValue(input[i + 2]!);
        i += 2;
      } else bytes[n++] = c; // a bare `=`: kept
    }
    if (n > 0) out.write(bytes.subarray(0, n));
  }

  end(out: ByteSink): void {
    if (this.#pending.length > 0) out.write(Uint8Array.from(this.#pending));
    this.#pending = [];
    out.end();
  }
}

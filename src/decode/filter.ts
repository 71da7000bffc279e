/**
 * The shapes every streaming decoder shares (Spicy filters): bytes in, bytes or tokens out, chunk by chunk,
 * with the same output whatever the chunk boundaries, and malformed input reported as a violation, never thrown.
 */
import type { Token } from '../model/token.ts';

/** Downstream of a byte filter. */
export interface ByteSink {
  write(chunk: Uint8Array): void;
  end(): void;
}

/**
 * A byte→byte filter (content-encoding, chunked, base64). Stack them: `a.write(c, { write: (x) => b.write(x, out), … })`.
 * After a violation a filter forwards nothing more (it is "stopped"); `end` still ends its sink.
 */
export interface Filter {
  write(chunk: Uint8Array, out: ByteSink): void;
  end(out: ByteSink): void;
}

/** A bytes→tokens decoder (JSON, form, text). */
export interface Tokenizer {
  write(chunk: Uint8Array): void;
  end(): void;
}

export type TokenSink = (t: Token) => void;

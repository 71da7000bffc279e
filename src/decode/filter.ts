/**
 * The shapes every streaming decoder shares (Spicy filters): bytes in, bytes or tokens out, chunk by chunk,
 * with the same output whatever the chunk boundaries, and malformed input reported as a violation, never thrown.
 */
import type { Token, TokenKind } from '../model/token.ts';

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

/**
 * The consumers' say on a scalar before it is made (the pipeline's analyzers, through their TokenInterest): a
 * tokenizer asks before emitting, and makes neither the value string nor the Token when no one wants it. The gate
 * counts what it turns away. Only whole values are asked about; pieces of long strings are always made.
 */
export interface TokenGate {
  /**
   * A number, boolean or null under `key` ('' for an array element), its literal `length` characters long. `slot` (optional): a small number, below
   * GATE_SLOTS, that the tokenizer gives a value at the same place in the next document of the same shape (its path
   * cache slot), so the gate can remember the key's answer there instead of looking the key up.
   */
  scalar(key: string, kind: TokenKind, length: number, slot?: number): boolean;
  /** A whole string whose bytes buf[start, end) are plain ASCII (no escape): its text is exactly those bytes. */
  ascii(key: string, buf: Uint8Array, start: number, end: number, slot?: number): boolean;
  /**
   * A whole string of plain ASCII already made (a value repeated at the same place: see json-repeated-values.ts):
   * the same answer `ascii` gives for its bytes.
   */
  text(key: string, value: string, slot: number): boolean;
}

/** The `slot` numbers a TokenGate is given lie in [0, GATE_SLOTS). */
export const GATE_SLOTS = 4096;

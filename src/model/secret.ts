/**
 * A credential carried through events (an MQTT CONNECT password) so an analyzer can examine it, while every way
 * of printing it shows a mask: JSON.stringify, String(), template literals and util.inspect give `[secret, N
 * chars]`. Only `reveal()` gives the value; the pipeline calls it to make the one token analyzers see, and a
 * finding made of it is redacted like any other (full value in the store and with --reveal only). Not
 * encryption: the value sits in memory as a plain string.
 */

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** Characters in the value (safe to show). */
  get length(): number {
    return this.#value.length;
  }

  /** The value itself: for the tokenizer, never for output. */
  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return this.toString();
  }

  toString(): string {
    return `[secret, ${this.#value.length} chars]`;
  }

  [INSPECT](): string {
    return this.toString();
  }
}

/**
 * A text part (text/plain, XML, a WebSocket text frame, a multipart form field) as string tokens: decoded in its
 * charset (UTF-8, GBK/GB18030, …) and cut into pieces of exactly MAX_TOKEN_BYTES characters, so the tokens are
 * the same whatever the chunk boundaries and a long text never sits in memory whole.
 */
import type { Tokenizer, TokenSink } from '../decode/filter.ts';
import { createTextDecoder } from '../decode/text.ts';
import type { Limits } from '../model/limits.ts';
import type { TokenSource } from '../model/token.ts';
import type { ViolationSink } from '../model/violation.ts';

export interface TextPiecesOptions {
  source: TokenSource;
  path: string;
  parent: string;
  /** Token.container: the multipart form's number for its fields, else the text's own. */
  container: number;
  key: string;
  depth: number;
  charset: string | undefined;
  limits: Limits;
  report: ViolationSink;
}

export class TextPieces implements Tokenizer {
  readonly #sink: TokenSink;
  readonly #opts: TextPiecesOptions;
  readonly #decoder: Tokenizer;
  #buf = '';
  #offset = 0;

  constructor(sink: TokenSink, opts: TextPiecesOptions) {
    this.#sink = sink;
    this.#opts = opts;
    this.#decoder = createTextDecoder(opts.charset, (text) => this.#text(text), opts.report);
  }

  write(chunk: Uint8Array): void {
    this.#decoder.write(chunk);
  }

  end(): void {
    this.#decoder.end();
    if (this.#buf.length > 0) this.#emit(this.#buf, false);
    this.#buf = '';
  }

  #text(text: string): void {
    this.#buf += text;
    const max = this.#opts.limits.MAX_TOKEN_BYTES;
    // Strictly greater: the final piece is never empty, so `more: false` always rides on real text.
    while (this.#buf.length > max) {
      this.#emit(this.#buf.slice(0, max), true);
      this.#buf = this.#buf.slice(max);
    }
  }

  #emit(value: string, more: boolean): void {
    const { source, path, parent, container, key, depth } = this.#opts;
    const offset = this.#offset;
    this.#sink({ source, path, parent, container, outer: container, key, kind: 'string', value, offset, more, depth });
    this.#offset += value.length;
  }
}

/**
 * gRPC framing (`application/grpc`) around the protobuf tokenizer: strips each message's 5-byte prefix and hands
 * the message to its own ProtobufTokenizer on the same paths. Compressed messages are reported and skipped.
 */
import type { ViolationSink } from '../model/violation.ts';
import type { BinaryTokenizerOptions } from './binary-tokens.ts';
import type { Tokenizer, TokenSink } from './filter.ts';
import { ProtobufTokenizer } from './protobuf-tokens.ts';

/** Bytes of gRPC's message prefix: a compressed flag and a 4-byte big-endian length. */
const GRPC_PREFIX = 5;

/**
 * gRPC framing (`application/grpc`): each length-prefixed message is tokenized by its own ProtobufTokenizer on
 * the same paths. Compressed messages (flag 1, `grpc-encoding`) are reported and skipped: no inflate here.
 */
export class GrpcTokenizer implements Tokenizer {
  readonly #sink: TokenSink;
  readonly #opts: BinaryTokenizerOptions;
  readonly #report: ViolationSink;
  readonly #prefix = new Uint8Array(GRPC_PREFIX);
  #prefixLen = 0;
  #remaining = 0;
  #inner: ProtobufTokenizer | undefined;
  #offset = 0;
  #stopped = false;

  constructor(sink: TokenSink, opts: BinaryTokenizerOptions) {
    this.#sink = sink;
    this.#opts = opts;
    this.#report = opts.report;
  }

  write(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length && !this.#stopped) {
      if (this.#prefixLen < GRPC_PREFIX) {
        const n = Math.min(chunk.length - i, GRPC_PREFIX - this.#prefixLen);
        this.#prefix.set(chunk.subarray(i, i + n), this.#prefixLen);
        this.#prefixLen += n;
        i += n;
        if (this.#prefixLen === GRPC_PREFIX) this.#start();
        continue;
      }
      const n = Math.min(chunk.length - i, this.#remaining);
      this.#inner?.write(chunk.subarray(i, i + n));
      this.#remaining -= n;
      i += n;
      if (this.#remaining === 0) this.#done();
    }
    this.#offset += chunk.length;
  }

  end(): void {
    if (this.#stopped) return;
    if (this.#prefixLen > 0) {
      this.#report({
        decoder: 'grpc',
        code: 'truncated',
        message: 'input ended inside a gRPC message',
        offset: this.#offset,
      });
    }
    this.#stopped = true;
  }

  #start(): void {
    const flag = this.#prefix[0]!;
    const len =
      ((this.#prefix[1]! << 24) | (this.#prefix[2]! << 16) | (this.#prefix[3]! << 8) | this.#prefix[4]!) >>> 0;
    if (flag > 1 || len > this.#opts.limits.MAX_INFLATE_BYTES) {
      this.#report({
        decoder: 'grpc',
        code: 'bad-message-prefix',
        message: `flag ${flag}, length ${len}`,
        offset: this.#offset,
      });
      this.#stopped = true;
      return;
    }
    if (flag === 1) {
      this.#report({ decoder: 'grpc', code: 'compressed-message', message: 'compressed gRPC message skipped' });
    }
    this.#inner = flag === 0 ? new ProtobufTokenizer(this.#sink, this.#opts) : undefined;
    this.#remaining = len;
    if (len === 0) this.#done();
  }

  #done(): void {
    this.#inner?.end();
    this.#inner = undefined;
    this.#prefixLen = 0;
  }
}

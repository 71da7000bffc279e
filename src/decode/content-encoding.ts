/**
 * Content-Encoding decoding as a Filter: gzip / x-gzip, deflate (zlib-wrapped or raw, as browsers accept), br,
 * identity, and stacked codings (`gzip, br` is undone br first). Bounded against bombs: total output per stage by
 * MAX_INFLATE_BYTES and output/input ratio by MAX_INFLATE_RATIO once INFLATE_RATIO_GRACE bytes came out. It does
 * not sniff or buffer; bytes leave as they are inflated. An unknown coding stops the filter (nothing is
 * forwarded: the body would be unreadable), with violation `unknown-encoding`.
 */

import type { Limits } from '../model/limits.ts';
import type { ViolationSink } from '../model/violation.ts';
import type { ByteSink, Filter } from './filter.ts';
import { type Codec, SyncDecompressor } from './zlib-sync.ts';

/** A coding we can undo, by its normalised name. */
type Coding = 'gzip' | 'deflate' | 'br';

const CODINGS: Record<string, Coding | 'identity'> = {
  gzip: 'gzip',
  'x-gzip': 'gzip',
  deflate: 'deflate',
  br: 'br',
  identity: 'identity',
};

/** True when two bytes are a valid zlib (RFC 1950) header: deflate method, window ≤ 32K, FCHECK. */
export function isZlibHeader(b0: number, b1: number): boolean {
  return (b0 & 0x0f) === 8 && b0 >> 4 <= 7 && ((b0 << 8) | b1) % 31 === 0;
}

/**
 * The decoder for a Content-Encoding header value. Codings are listed in the order they were applied, so they
 * are undone from last to first. At most one violation is reported per body.
 */
export function createContentDecoder(contentEncoding: string, limits: Limits, report: ViolationSink): Filter {
  const names = contentEncoding
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0);
  const stages: Filter[] = [];
  // Once one stage fails, the stages after it see a cut stream: only the first report is news.
  let reported = false;
  const once: ViolationSink = (v) => {
    if (!reported) report(v);
    reported = true;
  };
  for (const name of names.reverse()) {
    const coding = CODINGS[name];
    if (coding === undefined) {
      report({
        decoder: 'content-encoding',
        code: 'unknown-encoding',
        message: `unsupported coding ${name.slice(0, 32)}`,
      });
      return new StoppedFilter();
    }
    if (coding !== 'identity') stages.push(new InflateFilter(coding, limits, once));
  }
  if (stages.length === 0) return new IdentityFilter();
  return stages.length === 1 ? stages[0]! : new FilterChain(stages);
}

/** Forwards bytes unchanged. */
class IdentityFilter implements Filter {
  write(chunk: Uint8Array, out: ByteSink): void {
    out.write(chunk);
  }
  end(out: ByteSink): void {
    out.end();
  }
}

/** Forwards nothing; ends its sink. */
class StoppedFilter implements Filter {
  write(): void {}
  end(out: ByteSink): void {
    out.end();
  }
}

/** Filters applied in order, each one's output the next one's input. */
class FilterChain implements Filter {
  constructor(private readonly stages: Filter[]) {}
  write(chunk: Uint8Array, out: ByteSink): void {
    this.stages[0]!.write(chunk, this.#sinkAfter(0, out));
  }
  end(out: ByteSink): void {
    this.stages[0]!.end(this.#sinkAfter(0, out));
  }
  #sinkAfter(i: number, out: ByteSink): ByteSink {
    const next = this.stages[i + 1];
    if (!next) return out;
    const rest = this.#sinkAfter(i + 1, out);
    return { write: (c) => next.write(c, rest), end: () => next.end(rest) };
  }
}

/** One coding undone with a native engine, bounded. */
class InflateFilter implements Filter {
  #engine: SyncDecompressor | undefined;
  /** Deflate only: the first byte, held until the second tells zlib-wrapped from raw. */
  #held: Uint8Array | undefined;
  #stopped = false;
  #outBytes = 0;
  #sawInput = false;

  constructor(
    private readonly coding: Coding,
    private readonly limits: Limits,
    private readonly report: ViolationSink,
  ) {
    if (coding !== 'deflate') this.#engine = new SyncDecompressor(coding === 'gzip' ? 'gunzip' : 'brotli');
  }

  write(chunk: Uint8Array, out: ByteSink): void {
    if (this.#stopped || chunk.length === 0) return;
    this.#sawInput = true;
    let input = chunk;
    if (!this.#engine) {
      input = this.#held ? concat(this.#held, chunk) : chunk;
      if (input.length < 2) {
        this.#held = input.slice();
        return;
      }
      this.#held = undefined;
      const codec: Codec = isZlibHeader(input[0]!, input[1]!) ? 'inflate' : 'inflate-raw';
      this.#engine = new SyncDecompressor(codec);
    }
    const engine = this.#engine;
    const err = engine.write(input, (s) => this.#emit(s, engine, out));
    if (err !== undefined) this.#fail(err, 'bad-compressed-data');
    else if (engine.trailing) this.#fail('data after the end of the compressed stream', 'trailing-data');
  }

  end(out: ByteSink): void {
    if (!this.#stopped && this.#sawInput) {
      if (!this.#engine) {
        this.#fail('stream ends inside the header', 'truncated');
      } else {
        const engine = this.#engine;
        const err = engine.finish((s) => this.#emit(s, engine, out));
        if (err === 'unexpected end of file') this.#fail(err, 'truncated');
        else if (err !== undefined) this.#fail(err, 'bad-compressed-data');
      }
    }
    this.#engine?.close();
    out.end();
  }

  #emit(s: Uint8Array, engine: SyncDecompressor, out: ByteSink): boolean {
    const { MAX_INFLATE_BYTES, MAX_INFLATE_RATIO, INFLATE_RATIO_GRACE } = this.limits;
    this.#outBytes += s.length;
    if (this.#outBytes > MAX_INFLATE_BYTES) {
      const keep = s.length - (this.#outBytes - MAX_INFLATE_BYTES);
      if (keep > 0) out.write(s.subarray(0, keep));
      this.#fail(`more than ${MAX_INFLATE_BYTES} bytes inflated`, 'inflate-size-exceeded');
      return false;
    }
    if (this.#outBytes > INFLATE_RATIO_GRACE && this.#outBytes > MAX_INFLATE_RATIO * Math.max(1, engine.bytesIn)) {
      this.#fail(`inflate ratio above ${MAX_INFLATE_RATIO}`, 'inflate-ratio-exceeded');
      return false;
    }
    out.write(s);
    return true;
  }

  #fail(message: string, code: string): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.report({ decoder: this.coding, code, message, offset: this.#engine?.bytesIn ?? 0 });
    this.#engine?.close();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const r = new Uint8Array(a.length + b.length);
  r.set(a);
  r.set(b, a.length);
  return r;
}

/**
 * opaque-upload: what left a device that no one could read, so "nothing found" never hides what could not be
 * seen. `high-entropy-upload`: an uploaded part (body, multipart file, base64 value) of no known format (no magic,
 * octet-stream or undeclared, no media found behind a header in it) whose sampled bytes have at least MIN_ENTROPY_BITS bits/byte (encrypted or
 * compressed without a header) and at least MIN_OPAQUE_BYTES. `tls-opaque-upload`: the upload bytes of a flow
 * whose TLS was left unopened (passthrough, opaque, device rejected our certificate), one per flow, updated as
 * bytes come. `nested-too-deep`: a base64 value nested past MAX_BASE64_NESTING, which the pipeline does not decode
 * (it also reports a violation), once per message: what it holds was not looked at, so "nothing found" must not be
 * read as "nothing there". Size, destination and timing are in the finding. Structured parts and text are never
 * opaque: the tokenizers read them (base64 values inside them are parts of their own).
 */
import { startsBase64 } from '../src/decode/base64.ts';
import type { Analyzer, AnalyzerContext, AnalyzerState, FindingHandle, Verdict } from '../src/model/analyzer.ts';
import type { FlowInfo } from '../src/model/flow.ts';
import type { MediaInfo } from '../src/model/media.ts';
import type { Token } from '../src/model/token.ts';
import { ByteEntropy } from './lib/entropy.ts';

/** Smaller uploads (heartbeats, acks) are not reported. */
export const MIN_OPAQUE_BYTES = 1024;
/** Uniform random bytes give ≈ 7.8 bits over a 1 KiB sample; text and PCM audio stay well below 7.5. */
export const MIN_ENTROPY_BITS = 7.5;
/** Even/odd byte entropy gap (bits) above which a part is 16-bit samples: loud speech PCM ≥ 1, random ≈ 0.05. */
const MIN_SAMPLE_LANE_GAP = 0.5;
/** Bytes of each part sampled for entropy. */
const MAX_ENTROPY_SAMPLE = 64 * 1024;
const HEAD_BYTES = 16;

/** Strings shorter than this are never decoded as base64 whatever MIN_BASE64_CHARS says (a token-routing bound). */
const MIN_NESTED_CHARS = 16;

export const opaqueUpload: Analyzer = {
  name: 'opaque-upload',
  wants: (head) => head.direction === 'upload',
  // Long strings only: a base64 value past the nesting bound is one (decoded ones come by key only: never here).
  tokens: { key: () => false, minLength: MIN_NESTED_CHARS },
  openFlow: (flow) => new OpaqueFlow(flow),
};

function tlsUnopened(flow: FlowInfo): boolean {
  return flow.tls === 'opaque' || flow.tls === 'passthrough' || flow.tls === 'device-rejected-cert';
}

class OpaqueFlow {
  readonly #flow: FlowInfo;
  #bytes = 0;
  #messages = 0;
  #handle: FindingHandle | undefined;

  constructor(flow: FlowInfo) {
    this.#flow = flow;
  }

  message(_head: unknown, ctx: AnalyzerContext): AnalyzerState {
    if (!tlsUnopened(this.#flow)) return new OpaqueParts(ctx);
    this.#messages++;
    return {
      media: (_info, chunk) => {
        this.#bytes += chunk.length;
        return undefined;
      },
      end: () => this.#tlsProgress(ctx),
    };
  }

  #tlsProgress(ctx: AnalyzerContext): void {
    if (this.#bytes < MIN_OPAQUE_BYTES) return;
    const detail = { bytes: this.#bytes, messages: this.#messages, tls: this.#flow.tls };
    if (this.#handle) {
      this.#handle.update({ detail });
      return;
    }
    this.#handle = ctx.report({
      category: 'opaque-upload',
      subtype: 'tls-opaque-upload',
      confidence: 1,
      excerpt: [`${this.#bytes} bytes`],
      streaming: true,
      detail,
    });
  }

  close(): void {}
}

interface Part {
  info: MediaInfo;
  entropy: ByteEntropy;
  bytes: number;
  head: string;
}

class OpaqueParts implements AnalyzerState {
  readonly #ctx: AnalyzerContext;
  readonly #parts = new Map<number, Part>();
  #tooDeep = false;

  constructor(ctx: AnalyzerContext) {
    this.#ctx = ctx;
  }

  media(info: MediaInfo, chunk: Uint8Array): Verdict {
    if (info.family !== 'unknown' || info.sniffed) return undefined;
    let p = this.#parts.get(info.partId);
    if (!p) {
      p = { info, entropy: new ByteEntropy(MAX_ENTROPY_SAMPLE), bytes: 0, head: '' };
      this.#parts.set(info.partId, p);
    }
    if (p.head.length < HEAD_BYTES * 2) p.head += Buffer.from(chunk.subarray(0, HEAD_BYTES)).toString('hex');
    p.entropy.add(chunk);
    p.bytes += chunk.length;
    return undefined;
  }

  mediaEnd(info: MediaInfo): Verdict {
    const p = this.#parts.get(info.partId);
    if (!p) return undefined;
    this.#parts.delete(info.partId);
    if (info.embeddedAt !== undefined) return undefined; // a photo or clip behind a header: read as a nested part
    const bits = p.entropy.bits();
    if (p.bytes < MIN_OPAQUE_BYTES || bits < MIN_ENTROPY_BITS) return undefined;
    if (p.entropy.laneGap() > MIN_SAMPLE_LANE_GAP) return undefined; // 16-bit samples (loud PCM), not opaque
    this.#ctx.report({
      category: 'opaque-upload',
      subtype: 'high-entropy-upload',
      confidence: 0.8,
      excerpt: p.head.slice(0, HEAD_BYTES * 2),
      path: info.origin,
      detail: {
        bytes: p.bytes,
        entropyBits: Math.round(bits * 100) / 100,
        sampled: p.entropy.sampled,
        mime: info.mime,
        origin: info.origin,
        depth: info.depth,
      },
    });
    return undefined;
  }

  token(t: Token): Verdict {
    const { MAX_BASE64_NESTING, MIN_BASE64_CHARS } = this.#ctx.limits;
    if (this.#tooDeep || t.depth + 1 <= MAX_BASE64_NESTING || !startsBase64(t, MIN_BASE64_CHARS)) return undefined;
    this.#tooDeep = true;
    this.#ctx.report({
      category: 'opaque-upload',
      subtype: 'nested-too-deep',
      confidence: 0.5,
      excerpt: [`base64 at nesting level ${t.depth + 1} (past ${MAX_BASE64_NESTING}) not read`],
      path: t.path,
      detail: { depth: t.depth + 1, limit: MAX_BASE64_NESTING },
    });
    return undefined;
  }

  end(): void {}
}

/**
 * What a message record keeps of its head and body for `toyscope flows show`: the head cut to a byte bound,
 * and a summary of the decoded body (the parts it decoded into, token counts by kind). Shapes and counts only,
 * never values: the store keeps no bodies. Fed by the fan-out, which sees every part and token once.
 */
import type { MediaInfo } from '../model/media.ts';
import type { Headers } from '../model/message.ts';
import type { BodySummary, PartSummary } from '../model/records.ts';
import type { TokenKind } from '../model/token.ts';

/** Parts listed per message; past it only the count of tokens grows (a multipart upload of 500 photos). */
const MAX_SUMMARY_PARTS = 16;

/** The head's fields in wire order, cut once names and values pass `maxBytes` characters. */
export function capHeaders(headers: Headers, maxBytes: number): { headers: Headers; truncated: boolean } {
  let used = 0;
  for (let i = 0; i < headers.length; i++) {
    const [name, value] = headers[i]!;
    used += name.length + value.length;
    if (used > maxBytes) return { headers: headers.slice(0, i), truncated: true };
  }
  return { headers, truncated: false };
}

export class BodySummaryCollector {
  /** By partId; parts interleave (a base64 value decodes while its JSON body goes on). */
  readonly #parts = new Map<number, PartSummary>();
  #partsTruncated = false;
  readonly #tokens: Partial<Record<TokenKind, number>> = {};

  part(info: MediaInfo, bytes: number): void {
    let p = this.#parts.get(info.partId);
    if (!p) {
      if (this.#parts.size >= MAX_SUMMARY_PARTS) {
        this.#partsTruncated = true;
        return;
      }
      p = { mime: info.mime, origin: info.origin, depth: info.depth, bytes: 0 };
      if (info.filename !== undefined) p.filename = info.filename;
      this.#parts.set(info.partId, p);
    }
    p.bytes += bytes;
  }

  token(kind: TokenKind): void {
    this.#tokens[kind] = (this.#tokens[kind] ?? 0) + 1;
  }

  /** The body part's type, when the body itself was not a container. */
  get bodyMime(): string | undefined {
    for (const p of this.#parts.values()) if (p.depth === 0 && p.origin === 'body') return p.mime;
    return undefined;
  }

  summary(): BodySummary {
    const parts = [...this.#parts.values()];
    return { parts, tokens: this.#tokens, ...(this.#partsTruncated ? { partsTruncated: true } : {}) };
  }
}

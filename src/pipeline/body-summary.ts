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
  /** Token counts by kind, in fields (a keyed store per token was a measurable part of the JSON path). */
  #strings = 0;
  #numbers = 0;
  #booleans = 0;
  #nulls = 0;
  /** Kinds in the order first seen, the order the summary lists them in. */
  readonly #kinds: TokenKind[] = [];

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
    if (kind === 'string') {
      if (this.#strings++ === 0) this.#kinds.push(kind);
    } else if (kind === 'number') {
      if (this.#numbers++ === 0) this.#kinds.push(kind);
    } else if (kind === 'boolean') {
      if (this.#booleans++ === 0) this.#kinds.push(kind);
    } else if (this.#nulls++ === 0) this.#kinds.push(kind);
  }

  /** The body part's type, when the body itself was not a container. */
  get bodyMime(): string | undefined {
    for (const p of this.#parts.values()) if (p.depth === 0 && p.origin === 'body') return p.mime;
    return undefined;
  }

  summary(): BodySummary {
    const parts = [...this.#parts.values()];
    const counts = { string: this.#strings, number: this.#numbers, boolean: this.#booleans, null: this.#nulls };
    const tokens: Partial<Record<TokenKind, number>> = {};
    for (const kind of this.#kinds) tokens[kind] = counts[kind];
    return { parts, tokens, ...(this.#partsTruncated ? { partsTruncated: true } : {}) };
  }
}

/**
 * Every bound the core enforces, in one place (Spicy `&max-size`). Each has a default; a run may override
 * any of them (config `limits`, tests) by passing a partial object to `resolveLimits`.
 */

export interface Limits {
  /** Bytes sniffed for magic at the start of each part. */
  SNIFF_BYTES: number;
  /** Inflated bytes per message before the content decoder stops with `inflate-size-exceeded`. */
  MAX_INFLATE_BYTES: number;
  /** Output/input ratio of a content decoder, checked once output passes INFLATE_RATIO_GRACE bytes. */
  MAX_INFLATE_RATIO: number;
  INFLATE_RATIO_GRACE: number;
  /** Nesting of JSON containers before the tokenizer stops with `too-deep`. */
  MAX_JSON_DEPTH: number;
  /** Strings longer than this reach analyzers in pieces of at most this many characters. */
  MAX_TOKEN_BYTES: number;
  /** Keys longer than this are cut (a key is part of every path below it). */
  MAX_KEY_BYTES: number;
  /** Levels of parts nested inside parts (base64 in JSON in multipart …). */
  MAX_BASE64_NESTING: number;
  /** A string value is tried as base64 only if at least this long. */
  MIN_BASE64_CHARS: number;
  /** Multipart parts per message. */
  MAX_PARTS: number;
  /** Bytes of one multipart part's header block. */
  MAX_PART_HEADER_BYTES: number;
  /** Bytes of an image kept for the face detector. */
  MAX_IMAGE_BYTES: number;
  /** Bytes of one evidence blob; past it only the head is kept and the finding says `truncated`. */
  MAX_EVIDENCE_BYTES: number;
  /** Findings one analyzer may report per message. */
  MAX_FINDINGS_PER_MESSAGE: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  SNIFF_BYTES: 512,
  MAX_INFLATE_BYTES: 256 * 1024 * 1024,
  MAX_INFLATE_RATIO: 1000,
  INFLATE_RATIO_GRACE: 1024 * 1024,
  MAX_JSON_DEPTH: 64,
  MAX_TOKEN_BYTES: 64 * 1024,
  MAX_KEY_BYTES: 256,
  MAX_BASE64_NESTING: 3,
  MIN_BASE64_CHARS: 64,
  MAX_PARTS: 1000,
  MAX_PART_HEADER_BYTES: 16 * 1024,
  MAX_IMAGE_BYTES: 16 * 1024 * 1024,
  MAX_EVIDENCE_BYTES: 8 * 1024 * 1024,
  MAX_FINDINGS_PER_MESSAGE: 100,
});

export function resolveLimits(overrides: Partial<Limits> = {}): Limits {
  return { ...DEFAULT_LIMITS, ...overrides };
}

/**
 * Media: the bytes of one part of a message after content decoding (the body, a multipart part, or a
 * base64 value decoded), with what sniffing says it is.
 */

/** Coarse kind of a sniffed part, for analyzers that filter cheaply. */
export type MediaFamily = 'audio' | 'image' | 'video' | 'text' | 'structured' | 'archive' | 'executable' | 'unknown';

export interface MediaInfo {
  /** Increases per part within a message; the body is part 0. */
  partId: number;
  /** Sniffed MIME type when magic matched, else the declared Content-Type, else `application/octet-stream`. */
  mime: string;
  family: MediaFamily;
  /** True when `mime` came from magic bytes rather than a declared type. */
  sniffed: boolean;
  /** The Content-Type the protocol declared for this part (a hint, not proof). */
  declared?: string;
  /** 0 for the body, n for a part nested n levels deep. */
  depth: number;
  /** Where the part came from: `body`, `multipart:<field name>`, or the token path of a base64 value. */
  origin: string;
  /** Multipart filename, when given. */
  filename?: string;
  /**
   * Set while the part streams when media was found behind a header in it (src/pipeline/embedded-media.ts): the
   * offset the nested part `embedded@OFFSET` starts at. The part is then of a known format after all.
   */
  embeddedAt?: number;
}

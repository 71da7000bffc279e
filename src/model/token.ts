/**
 * Tokens: what the tokenizers (JSON, urlencoded forms, query strings, headers, text, and later protobuf,
 * CBOR, MessagePack) make of a body, so analyzers match keys and values without re-parsing anything.
 */

/** Which tokenizer produced a token. */
export type TokenSource = 'json' | 'form' | 'query' | 'header' | 'multipart-field' | 'text' | 'binary' | 'xml';

/** The type of the value in the source syntax. Numbers keep their source text (an IMEI must not lose digits). */
export type TokenKind = 'string' | 'number' | 'boolean' | 'null';

export interface Token {
  source: TokenSource;
  /**
   * Where the value sits: JSON `$.data.list[2].phone`, form and query `$.name`, header `$.user-agent`,
   * text `$`, XML `$.report.imei` (an element's text or an attribute, src/decode/xml-tokens.ts). Nested parts (a
   * base64 value holding JSON) prefix the outer path: `$.payload>$.lat`. The JSON tokenizer's tokens make it when it
   * is first read (a getter): copy a token with `{ ...t, path: t.path }`.
   */
  readonly path: string;
  /**
   * The path of the object or array holding the value (`$.data.list[2]` for `$.data.list[2].phone`, `$` for a
   * form field or a header, `$.cookie` for a cookie); a value held by no container (a text body, a top-level
   * JSON scalar) has its own path. The same string for every member of one container, so analyzers can track
   * objects by it without cutting paths.
   */
  parent: string;
  /**
   * The number of the container holding the value (the object or array whose path is `parent`), unique within the
   * message: every member of one object has it, and two containers on the same path (two NDJSON lines, a key given
   * twice, two WebSocket frames' documents in one message) have two. Analyzers key per-object state by it. The
   * flat syntaxes number their one container (a form's fields, a header block, a multipart form's fields together).
   */
  container: number;
  /** The number of the container holding `container` (`container` itself for a top-level container). */
  outer: number;
  /** The last key on the path (`phone`), or '' for array elements and text. */
  key: string;
  kind: TokenKind;
  /** The value as text: a string's unescaped content, a number's literal, `true`, `false`, `null`. */
  value: string;
  /**
   * Long strings arrive in pieces of at most MAX_TOKEN_BYTES: `offset` is the piece's start (in UTF-16 units)
   * within the whole string and `more` is true on every piece but the last. Short values: offset 0, more false.
   */
  offset: number;
  more: boolean;
  /** 0 for the message body, n for a part decoded n levels deep (base64 inside JSON inside a multipart part). */
  depth: number;
}

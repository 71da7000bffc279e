/**
 * HTTP/1.x message heads, as pure functions over bytes: is a stream prefix plausibly a start line, parse one
 * complete head (start line, header fields with obs-fold), decide how the body is framed (RFC 9112 § 6.3),
 * and find where a request or status line starts again after lost bytes. No state, no events: http1.ts
 * drives these.
 */
import type { Headers } from '../model/message.ts';

/** A parsed request or status line plus header fields. */
export type ParsedHead =
  | { kind: 'request'; method: string; url: string; version: string; headers: Headers }
  | { kind: 'response'; status: number; reason: string; version: string; headers: Headers };

/** How a message body is delimited. `none` = no body; `close` = until the connection closes. */
export type BodyFraming =
  | { kind: 'none' }
  | { kind: 'length'; length: number }
  | { kind: 'chunked' }
  | { kind: 'close' }
  | { kind: 'invalid'; code: string };

/** Methods a resync accepts at a line start (a wider set would find requests inside bodies). */
const KNOWN_METHODS = ['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE'];
/** Longest method token accepted in a start line. */
const MAX_METHOD_CHARS = 24;
const SP = 0x20;
const LF = 0x0a;
const HTTP_SLASH = [0x48, 0x54, 0x54, 0x50, 0x2f];
const RESPONSE_RESYNC = [...HTTP_SLASH, 0x31, 0x2e]; // "HTTP/1."
const METHOD_RESYNC = KNOWN_METHODS.map((m) => [...m].map((c) => c.charCodeAt(0)).concat(SP));

const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const REQUEST_LINE_RE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([^ ]+) HTTP\/(\d\.\d)$/;
const STATUS_LINE_RE = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/;

function isTokenByte(b: number): boolean {
  return b > SP && b < 0x7f && !'"(),/:;<=>?@[\\]{}'.includes(String.fromCharCode(b));
}

/**
 * Whether the first bytes of a head can still become a start line of this kind: `ok` once decided, `bad` for
 * garbage (TLS, binary, another protocol), `more` when the prefix is too short to tell.
 */
export function startLinePrefix(kind: ParsedHead['kind'], pre: Uint8Array): 'ok' | 'bad' | 'more' {
  if (kind === 'response') {
    const n = Math.min(pre.length, HTTP_SLASH.length);
    for (let i = 0; i < n; i++) if (pre[i] !== HTTP_SLASH[i]) return 'bad';
    return n === HTTP_SLASH.length ? 'ok' : 'more';
  }
  for (let i = 0; i < pre.length && i <= MAX_METHOD_CHARS; i++) {
    const b = pre[i]!;
    if (b === SP) return i > 0 ? 'ok' : 'bad';
    if (!isTokenByte(b)) return 'bad';
  }
  return pre.length > MAX_METHOD_CHARS ? 'bad' : 'more';
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Parse a complete head (its bytes, with or without the empty line ending it). `undefined` if malformed. */
export function parseHead(kind: ParsedHead['kind'], bytes: Uint8Array): ParsedHead | undefined {
  const lines = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1').split('\n');
  const start = stripCr(lines[0] ?? '');
  const headers: Array<[string, string]> = [];
  for (let i = 1; i < lines.length; i++) {
    const line = stripCr(lines[i]!);
    if (line === '') continue;
    const last = headers[headers.length - 1];
    if ((line[0] === ' ' || line[0] === '\t') && last) {
      last[1] = `${last[1]} ${line.trim()}`.trim(); // obs-fold: one SP joins the continuation
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!TOKEN_RE.test(name)) return undefined;
    headers.push([name, line.slice(colon + 1).trim()]);
  }
  if (kind === 'request') {
    const m = REQUEST_LINE_RE.exec(start);
    return m ? { kind, method: m[1]!, url: m[2]!, version: m[3]!, headers } : undefined;
  }
  const m = STATUS_LINE_RE.exec(start);
  return m ? { kind, status: Number(m[2]), reason: m[3] ?? '', version: m[1]!, headers } : undefined;
}

/** All values of a header, case-insensitive, as one comma-joined list. */
export function headerList(headers: Headers, name: string): string | undefined {
  const lower = name.toLowerCase();
  const values = headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
  return values.length ? values.join(', ') : undefined;
}

/** Whether a comma-separated header value holds `token` (case-insensitive), e.g. Connection: keep-alive, Upgrade. */
export function hasToken(value: string | undefined, token: string): boolean {
  return !!value && value.split(',').some((t) => t.trim().toLowerCase() === token);
}

function contentLength(value: string): number | undefined {
  const parts = value.split(',').map((p) => p.trim());
  if (!parts.every((p) => /^\d{1,15}$/.test(p) && p === parts[0])) return undefined;
  return Number(parts[0]);
}

/**
 * How the body of a message with these headers is framed. `bodiless` is true for responses that never have a
 * body (to HEAD, 1xx, 204, 304); requests without Content-Length or Transfer-Encoding have none.
 */
export function bodyFraming(head: ParsedHead, bodiless: boolean): BodyFraming {
  if (bodiless) return { kind: 'none' };
  const te = headerList(head.headers, 'transfer-encoding');
  const cl = headerList(head.headers, 'content-length');
  if (te !== undefined) {
    const codings = te.split(',').map((c) => c.trim().toLowerCase());
    if (codings[codings.length - 1] === 'chunked') return { kind: 'chunked' };
    return head.kind === 'request' ? { kind: 'invalid', code: 'bad-transfer-encoding' } : { kind: 'close' };
  }
  if (cl !== undefined) {
    const length = contentLength(cl);
    if (length === undefined) return { kind: 'invalid', code: 'bad-content-length' };
    return length === 0 ? { kind: 'none' } : { kind: 'length', length };
  }
  return head.kind === 'request' ? { kind: 'none' } : { kind: 'close' };
}

/**
 * Look for a start line of this kind at a line start in `buf` (`atLineStart`: whether buf[0] follows a LF or
 * the point where sync was lost). Returns its offset, or `keepFrom`: where an undecided candidate begins (keep
 * the bytes from there and look again with more), or nothing.
 */
export function findStartLine(
  kind: ParsedHead['kind'],
  buf: Uint8Array,
  atLineStart: boolean,
): { found: number } | { keepFrom: number } | undefined {
  const patterns = kind === 'response' ? [RESPONSE_RESYNC] : METHOD_RESYNC;
  for (let p = 0; p < buf.length; p++) {
    if (p === 0 ? !atLineStart : buf[p - 1] !== LF) continue;
    let partial = false;
    for (const pat of patterns) {
      let i = 0;
      while (i < pat.length && p + i < buf.length && buf[p + i] === pat[i]) i++;
      if (i === pat.length) return { found: p };
      if (p + i === buf.length) partial = true;
    }
    if (partial) return { keepFrom: p };
  }
  return undefined;
}

/**
 * HTTP/1.x message heads, as pure functions over bytes: is a stream prefix plausibly a start line, parse one
 * complete head (start line, header fields; obs-fold, bare LF, bare CR and whitespace before a colon tolerated
 * and noted as anomalies), and find where a request or status line starts again after lost bytes. No state, no
 * events: http1.ts drives these; how the body is framed is http1-framing.ts.
 */
import type { Headers } from '../model/message.ts';

/**
 * Leniencies a head was parsed with (llhttp's lenient flags; RFC 9112 says reject or replace): a peer may read the
 * same bytes differently (http1-framing.ts describes each).
 */
export type LineAnomaly = 'obs-fold' | 'bare-lf' | 'bare-cr' | 'space-before-colon';

/** A parsed request or status line plus header fields, and the leniencies it needed (none: `[]`). */
export type ParsedHead = (
  | { kind: 'request'; method: string; url: string; version: string; headers: Headers }
  | { kind: 'response'; status: number; reason: string; version: string; headers: Headers }
) & { anomalies: LineAnomaly[] };

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

const CR = 0x0d;
const HTTP_VERSION = [...HTTP_SLASH, -1, 0x2e, -1]; // "HTTP/" digit "." digit

/**
 * Whether the first bytes of a stream can still be an HTTP/1 request line, `METHOD SP request-target SP
 * HTTP/d.d` ending in CRLF (or a bare LF): `ok` once the whole line is there, `bad` at the first byte that breaks
 * it (another protocol that merely starts with a word and a space), `more` while they are a prefix of one. The
 * target is any run of visible bytes (obs-text allowed: devices send raw UTF-8 paths).
 */
export function requestLinePrefix(pre: Uint8Array): 'ok' | 'bad' | 'more' {
  const method = startLinePrefix('request', pre);
  if (method !== 'ok') return method;
  let i = pre.indexOf(SP) + 1;
  const target = i;
  for (; i < pre.length && pre[i] !== SP; i++) if (pre[i]! <= SP || pre[i] === 0x7f) return 'bad';
  if (i === target && i < pre.length) return 'bad';
  for (const want of HTTP_VERSION) {
    if (++i >= pre.length) return 'more';
    const b = pre[i]!;
    if (want === -1 ? b < 0x30 || b > 0x39 : b !== want) return 'bad';
  }
  if (++i < pre.length && pre[i] === CR) i++;
  if (i >= pre.length) return 'more';
  return pre[i] === LF ? 'ok' : 'bad';
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/**
 * Parse a complete head (its bytes, with or without the empty line ending it). `undefined` if malformed. Lenient
 * where servers differ, and says so in `anomalies`: an obs-fold continuation is joined with one SP, a line may
 * end in a bare LF, a CR inside a line stays in the value, whitespace between a name and its colon is dropped.
 */
export function parseHead(kind: ParsedHead['kind'], bytes: Uint8Array): ParsedHead | undefined {
  const lines = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1').split('\n');
  const found = new Set<LineAnomaly>();
  const start = stripCr(lines[0] ?? '');
  const headers: Array<[string, string]> = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    // The piece after the last LF is not a line (it is empty when the head ends in its empty line).
    if (i < lines.length - 1 && !raw.endsWith('\r')) found.add('bare-lf');
    const line = stripCr(raw);
    if (line.includes('\r')) found.add('bare-cr');
    if (i === 0 || line === '') continue;
    const last = headers[headers.length - 1];
    if ((line[0] === ' ' || line[0] === '\t') && last) {
      found.add('obs-fold');
      last[1] = trimOws(`${last[1]} ${trimOws(line)}`); // obs-fold: one SP joins the continuation
      continue;
    }
    const colon = line.indexOf(':');
    let name = colon > 0 ? line.slice(0, colon) : '';
    if (!TOKEN_RE.test(name)) {
      const bare = name.replace(/[ \t]+$/, '');
      if (bare === name || !TOKEN_RE.test(bare)) return undefined;
      found.add('space-before-colon');
      name = bare;
    }
    headers.push([name, trimOws(line.slice(colon + 1))]);
  }
  const anomalies = [...found];
  if (kind === 'request') {
    const m = REQUEST_LINE_RE.exec(start);
    return m ? { kind, method: m[1]!, url: m[2]!, version: m[3]!, headers, anomalies } : undefined;
  }
  const m = STATUS_LINE_RE.exec(start);
  return m ? { kind, status: Number(m[2]), reason: m[3] ?? '', version: m[1]!, headers, anomalies } : undefined;
}

/** Without the optional whitespace (SP, HTAB) around a field value; other characters (VT, FF, NBSP) stay. */
export function trimOws(v: string): string {
  return v.replace(/^[ \t]+|[ \t]+$/g, '');
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

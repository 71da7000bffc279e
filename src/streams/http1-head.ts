/**
 * HTTP/1.x message heads, as pure functions over bytes: is a stream prefix plausibly a start line, parse one
 * complete head (start line, header fields; obs-fold, bare LF, bare CR and whitespace before a colon tolerated
 * and noted as anomalies), and find where a request or status line starts again after lost bytes. No state, no
 * events: http1.ts drives these; how the body is framed is http1-framing.ts.
 */
import { type Headers, isHeaderName } from '../model/message.ts';

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
const HTAB = 0x09;
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

/** Token bytes of a field name (RFC 9110 tchar), by char code below 128. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
  TCHAR[c.charCodeAt(0)] = 1;

/** `s.slice(from, to)` is a non-empty token (what TOKEN_RE tests, without making the slice first). */
function isToken(s: string, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TCHAR[c] === 0) return false;
  }
  return true;
}

/**
 * Parse a complete head (its bytes, with or without the empty line ending it). `undefined` if malformed. Lenient
 * where servers differ, and says so in `anomalies`: an obs-fold continuation is joined with one SP, a line may
 * end in a bare LF, a CR inside a line stays in the value, whitespace between a name and its colon is dropped.
 * One pass over the head as latin1 text, line by line: no array of lines, no regular expression per field.
 */
export function parseHead(kind: ParsedHead['kind'], bytes: Uint8Array): ParsedHead | undefined {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const anomalies: LineAnomaly[] = [];
  const note = (a: LineAnomaly) => {
    if (!anomalies.includes(a)) anomalies.push(a);
  };
  let start = '';
  const headers: Array<[string, string]> = [];
  for (let from = 0, first = true; from <= text.length; first = false) {
    const lf = text.indexOf('\n', from);
    // The piece after the last LF is not a line (it is empty when the head ends in its empty line).
    const rawEnd = lf < 0 ? text.length : lf;
    const crLf = rawEnd > from && text.charCodeAt(rawEnd - 1) === CR;
    if (lf >= 0 && !crLf) note('bare-lf');
    const end = crLf ? rawEnd - 1 : rawEnd;
    const cr = text.indexOf('\r', from);
    if (cr >= 0 && cr < end) note('bare-cr');
    const lineFrom = from;
    from = lf < 0 ? text.length + 1 : lf + 1;
    if (first) {
      start = text.slice(lineFrom, end);
      continue;
    }
    if (end === lineFrom) continue;
    const c0 = text.charCodeAt(lineFrom);
    const last = headers[headers.length - 1];
    if ((c0 === SP || c0 === HTAB) && last) {
      note('obs-fold');
      last[1] = trimOws(`${last[1]} ${trimOws(text.slice(lineFrom, end))}`); // obs-fold: one SP joins the continuation
      continue;
    }
    const colon = text.indexOf(':', lineFrom);
    const nameEnd = colon > lineFrom && colon < end ? colon : lineFrom;
    let name: string;
    if (isToken(text, lineFrom, nameEnd)) name = text.slice(lineFrom, nameEnd);
    else {
      const raw = text.slice(lineFrom, nameEnd);
      const bare = raw.replace(/[ \t]+$/, '');
      if (bare === raw || !TOKEN_RE.test(bare)) return undefined;
      note('space-before-colon');
      name = bare;
    }
    headers.push([name, trimOws(text.slice(nameEnd + 1, end))]);
  }
  if (kind === 'request') {
    const m = REQUEST_LINE_RE.exec(start);
    return m ? { kind, method: m[1]!, url: m[2]!, version: m[3]!, headers, anomalies } : undefined;
  }
  const m = STATUS_LINE_RE.exec(start);
  return m ? { kind, status: Number(m[2]), reason: m[3] ?? '', version: m[1]!, headers, anomalies } : undefined;
}

/** Without the optional whitespace (SP, HTAB) around a field value; other characters (VT, FF, NBSP) stay. */
export function trimOws(v: string): string {
  let a = 0;
  let b = v.length;
  while (a < b && isOws(v.charCodeAt(a))) a++;
  while (b > a && isOws(v.charCodeAt(b - 1))) b--;
  return a === 0 && b === v.length ? v : v.slice(a, b);
}

function isOws(c: number): boolean {
  return c === SP || c === HTAB;
}

/** All values of a header, case-insensitive (`name` in ASCII), as one comma-joined list. */
export function headerList(headers: Headers, name: string): string | undefined {
  const lower = name.toLowerCase();
  let out: string | undefined;
  for (const [n, v] of headers) if (isHeaderName(n, lower)) out = out === undefined ? v : `${out}, ${v}`;
  return out;
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

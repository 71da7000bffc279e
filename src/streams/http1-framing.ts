/**
 * How an HTTP/1 message's body is framed (RFC 9112 § 6.3), and where that reading is one of several: the
 * anomalies on which a server, a proxy or an IDS may read the same bytes differently — how a device or an
 * attacker hides an upload (request smuggling). http1.ts reports each as an `http1` violation `anomaly-<name>` on
 * the message (Suricata's app-layer events); ANOMALY_READINGS says what toyscope read and what a peer may read.
 *
 * The set, from Suricata's HTTP events (invalid transfer encoding, invalid/duplicate content length, field
 * folding, header invalid, Host ambiguous) and llhttp's lenient flags (headers, chunked length, transfer
 * encoding, optional CR before LF / LF after CR, spaces after chunk size): line-level leniencies come from
 * parseHead (http1-head.ts), framing and Host ones from here, `chunk-size-space` from http1.ts's chunk parser.
 * Not here: malformed input no reading accepts (bad-head, bad-chunk-size …), which stays a plain violation.
 */

import { isHeaderName } from '../model/message.ts';
import type { LineAnomaly, ParsedHead } from './http1-head.ts';
import { headerList, trimOws } from './http1-head.ts';

/** How a message body is delimited. `none` = no body; `close` = until the connection closes; `invalid` = unread. */
export type BodyFraming =
  | { kind: 'none' }
  | { kind: 'length'; length: number }
  | { kind: 'chunked' }
  | { kind: 'close' }
  | { kind: 'invalid' };

type FramingAnomaly =
  | 'te-invalid'
  | 'te-http10'
  | 'cl-te'
  | 'cl-conflict'
  | 'cl-duplicate'
  | 'cl-invalid'
  | 'host-duplicate'
  | 'host-ambiguous'
  | 'chunk-size-space';

/** Every HTTP/1 framing anomaly; the violation code is `anomaly-<name>`. */
export type HttpAnomaly = LineAnomaly | FramingAnomaly;

/** What toyscope read, and what a peer may read instead: the violation's message (no captured content). */
export const ANOMALY_READINGS: Readonly<Record<HttpAnomaly, string>> = {
  'te-invalid':
    'Transfer-Encoding is no valid coding list (unknown coding, chunked repeated or not last): a request read as chunked if a coding names chunked (even inside another word, as curl and lenient servers do), else by its Content-Length or as bodiless, a response until close; strict servers reject it',
  'te-http10': 'Transfer-Encoding in an HTTP/1.0 message: read as coded; an HTTP/1.0 peer knows no transfer coding',
  'cl-te':
    'Content-Length and Transfer-Encoding both: read by Transfer-Encoding (RFC 9112); a peer reading Content-Length ends the body elsewhere',
  'cl-conflict': 'Content-Length values differ: read with the first; a peer may take another or reject',
  'cl-duplicate': 'Content-Length repeated with one value: read with it; strict servers reject',
  'cl-invalid': 'Content-Length is no decimal number: the body was not read; lenient peers take a length from it',
  'obs-fold':
    'a header continued on the next line (obs-fold): joined with a space; strict peers reject, others take the line as a header of its own',
  'bare-lf': 'a line ended by LF without CR: accepted; strict peers reject',
  'bare-cr': 'a CR inside a line: kept in the value; some peers end the line there',
  'space-before-colon':
    'whitespace between a header name and its colon: the name read without it; strict peers reject, others ignore the header',
  'host-duplicate': 'several Host headers: the flow is named by the first; a peer may take another',
  'host-ambiguous':
    "the request target names another host than Host: the flow is named by Host; RFC 9112 takes the target's",
  'chunk-size-space': 'whitespace after a chunk size: ignored; strict peers reject',
};

/** Transfer codings a message may name (IANA registry, plus the x- aliases). */
const KNOWN_CODINGS = new Set(['chunked', 'gzip', 'x-gzip', 'deflate', 'compress', 'x-compress', 'br', 'zstd']);
const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const DIGITS = /^\d{1,15}$/;

/** The members of a Transfer-Encoding list, lower-case, and whether the list is valid for this message. */
function transferCodings(head: ParsedHead, te: string): { codings: string[]; valid: boolean } {
  const codings = te.split(',').map((c) => trimOws(c).toLowerCase());
  const chunked = codings.filter((c) => c === 'chunked').length;
  const last = codings[codings.length - 1] === 'chunked';
  const valid =
    codings.every((c) => TOKEN_RE.test(c) && KNOWN_CODINGS.has(c)) &&
    chunked <= 1 &&
    (chunked === 0 || last) &&
    (head.kind === 'response' || last);
  return { codings, valid };
}

/** A coding that names chunked, even obscured (`xchunked`, `chunked\v`): how lenient peers take it. */
const namesChunked = (coding: string): boolean => coding.includes('chunked');

/** Every Content-Length member (repeated headers and comma lists), OWS-trimmed. */
function lengthMembers(head: ParsedHead): string[] | undefined {
  return headerList(head.headers, 'content-length')
    ?.split(',')
    .map((v) => trimOws(v));
}

/**
 * How the body of a message with these headers is framed. `bodiless` is true for responses that never have a
 * body (to HEAD, 1xx, 204, 304); requests without Content-Length or Transfer-Encoding have none. Where peers
 * differ, the reading is the one ANOMALY_READINGS names.
 */
export function bodyFraming(head: ParsedHead, bodiless: boolean): BodyFraming {
  if (bodiless) return { kind: 'none' };
  const te = headerList(head.headers, 'transfer-encoding');
  const lengths = lengthMembers(head);
  if (te !== undefined) {
    const { codings } = transferCodings(head, te);
    if (codings[codings.length - 1] === 'chunked' || (head.kind === 'request' && codings.some(namesChunked))) {
      return { kind: 'chunked' };
    }
    if (head.kind === 'response') return { kind: 'close' };
    if (lengths === undefined || !lengths.every((l) => DIGITS.test(l))) return { kind: 'none' };
  }
  if (lengths !== undefined) {
    if (!lengths.every((l) => DIGITS.test(l))) return { kind: 'invalid' };
    const length = Number(lengths[0]);
    return length === 0 ? { kind: 'none' } : { kind: 'length', length };
  }
  return head.kind === 'request' ? { kind: 'none' } : { kind: 'close' };
}

/** The anomalies of one message head: its line-level leniencies, then framing and Host. */
export function headAnomalies(head: ParsedHead): HttpAnomaly[] {
  const found: HttpAnomaly[] = [...head.anomalies];
  const te = headerList(head.headers, 'transfer-encoding');
  const lengths = lengthMembers(head);
  if (te !== undefined) {
    if (!transferCodings(head, te).valid) found.push('te-invalid');
    if (head.version === '1.0') found.push('te-http10');
    if (lengths !== undefined) found.push('cl-te');
  }
  if (lengths !== undefined) {
    if (!lengths.every((l) => DIGITS.test(l))) found.push('cl-invalid');
    else if (new Set(lengths.map(Number)).size > 1) found.push('cl-conflict');
    else if (lengths.length > 1) found.push('cl-duplicate');
  }
  if (head.kind === 'request') {
    const hosts = head.headers.filter(([n]) => isHeaderName(n, 'host')).map(([, v]) => hostOf(v));
    if (hosts.length > 1) found.push('host-duplicate');
    const target = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(head.url)?.[1];
    if (target !== undefined && hosts[0] !== undefined && hostOf(target.split('@').pop()!) !== hosts[0]) {
      found.push('host-ambiguous');
    }
  }
  return found;
}

/** The host of an authority (`[::1]:80` → `::1`, `Api.Toy:8080` → `api.toy`). */
function hostOf(authority: string): string {
  const a = trimOws(authority);
  return (a.startsWith('[') ? a.slice(1, a.indexOf(']')) : a.split(':')[0]!).toLowerCase();
}

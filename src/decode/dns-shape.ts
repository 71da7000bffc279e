/**
 * Is this DNS? Recognises a DNS message by content, on any port (Zeek's dynamic protocol detection): the header
 * of a standard query (opcode QUERY, reserved bit clear, exactly one question; a query carries no answers) and a
 * well-formed first question (labels of printable ASCII, at most 255 octets, a known class). Over UDP the whole
 * first datagram must also parse; over TCP the 2-byte length prefix must frame it. Only a shape test: decoding
 * is dns.ts's job.
 */
import { parseDns } from './dns.ts';

/** `ok` = DNS, `bad` = not DNS, `more` = the bytes so far are a DNS prefix too short to tell. */
export type ShapeVerdict = 'ok' | 'bad' | 'more';

const HEADER = 12;
/** Classes a question names: IN, CH, HS, NONE, ANY (mDNS sets the top bit to ask for a unicast reply). */
const CLASSES = new Set([1, 3, 4, 254, 255]);
/** Records a response's sections may plausibly hold each; a query holds no answer and no authority. */
const MAX_SECTION = 256;
/** A query's additional section: EDNS OPT, perhaps a TSIG or a cookie. */
const MAX_QUERY_ADDITIONAL = 2;

/**
 * Whether `b[start..end)` begins a DNS message: its header and first question. `response` allows a response too
 * (a capture may see the answer first); `more` when `end` cuts the question.
 */
export function dnsMessageShape(b: Uint8Array, start: number, end: number, response: boolean): ShapeVerdict {
  if (end - start < HEADER) return 'more';
  const u16 = (p: number) => ((b[p] as number) << 8) | (b[p + 1] as number);
  const flags = u16(start + 2);
  const isResponse = (flags & 0x8000) !== 0;
  if ((flags >> 11) & 0xf || flags & 0x0040 || (isResponse && !response)) return 'bad';
  const [qd, an, ns, ar] = [u16(start + 4), u16(start + 6), u16(start + 8), u16(start + 10)];
  if (qd !== 1) return 'bad';
  if (isResponse ? an > MAX_SECTION || ns > MAX_SECTION || ar > MAX_SECTION : an + ns > 0) return 'bad';
  if (!isResponse && (ar > MAX_QUERY_ADDITIONAL || (flags & 0xf) !== 0)) return 'bad';
  const name = start + HEADER;
  let p = name;
  for (;;) {
    if (p >= end) return 'more';
    const len = b[p] as number;
    if (len === 0) break;
    if (len > 63 || p + len + 1 - name > 255) return 'bad';
    for (let i = p + 1; i <= p + len; i++) {
      if (i >= end) return 'more';
      const c = b[i] as number;
      if (c < 0x21 || c > 0x7e) return 'bad';
    }
    p += len + 1;
  }
  if (p + 5 > end) return 'more';
  return u16(p + 1) !== 0 && CLASSES.has(u16(p + 3) & 0x7fff) ? 'ok' : 'bad';
}

/** A UDP datagram: a whole DNS message (query or response) that parses. */
export function dnsDatagram(b: Uint8Array): boolean {
  return dnsMessageShape(b, 0, b.length, true) === 'ok' && 'message' in parseDns(b);
}

/**
 * The first bytes a client sends on a TCP connection: a 2-byte length, then a DNS query whose first question
 * fits in that length.
 */
export function dnsTcpQueryPrefix(b: Uint8Array): ShapeVerdict {
  if (b.length < 2) return 'more';
  const length = ((b[0] as number) << 8) | (b[1] as number);
  if (length < HEADER + 5) return 'bad';
  const end = Math.min(b.length, 2 + length);
  const v = dnsMessageShape(b, 2, end, false);
  return v === 'more' && end === 2 + length ? 'bad' : v;
}

/**
 * DNS messages (RFC 1035) → header, questions and answers, with the record data of A, AAAA, CNAME, PTR, NS and
 * SVCB/HTTPS (RFC 9460: target, alpn, ip hints) decoded; other types keep only type and TTL. Name compression is
 * followed with loop protection (pointers must point backwards, at most MAX_DNS_POINTERS per name). Over UDP one
 * datagram is one message (`parseDns`); over TCP `DnsTcpFramer` strips the 2-byte length prefix, streamed and
 * split-invariant. Malformed input gives a violation code, never a throw. It does not resolve anything.
 */

import { DEFAULT_LIMITS, type Limits } from '../model/limits.ts';
import type { ViolationInput } from '../model/violation.ts';
import { ChunkList } from './chunk-list.ts';

/**
 * Compression pointers followed within one name: a parse guard, not a resource bound (pointers must point
 * backwards, so the walk already ends within the message), hence not in src/model/limits.ts.
 */
export const MAX_DNS_POINTERS = 16;

/** The bound of src/model/limits.ts the parser enforces: questions and records read per section. */
export type DnsLimits = Pick<Limits, 'MAX_DNS_RECORDS'>;

export const DNS_TYPES: Readonly<Record<number, string>> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  41: 'OPT',
  64: 'SVCB',
  65: 'HTTPS',
  255: 'ANY',
};
export const DNS_RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

/** A type's mnemonic, or `TYPE<n>` (RFC 3597). */
export const typeName = (t: number): string => DNS_TYPES[t] ?? `TYPE${t}`;

export interface DnsQuestion {
  /** Lower-case, no trailing dot; `` for the root. */
  name: string;
  type: number;
  class: number;
}

export interface DnsRecord {
  name: string;
  type: number;
  ttl: number;
  /** A/AAAA: the address; CNAME/PTR/NS: the target name; SVCB/HTTPS: `priority target [alpn=…] [ipv4hint=…]`. */
  data?: string;
  /** Addresses this record gives for `name` (A, AAAA, SVCB/HTTPS ip hints). */
  ips?: string[];
}

export interface DnsMessage {
  id: number;
  /** true = response. */
  response: boolean;
  opcode: number;
  rcode: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
}

export type DnsResult = { message: DnsMessage } | { error: ViolationInput };

class BadDns extends Error {
  constructor(
    readonly code: string,
    readonly offset: number,
  ) {
    super(code);
  }
}

/** One whole DNS message (a UDP payload, or a TCP message without its length prefix). */
export function parseDns(b: Uint8Array, limits: DnsLimits = DEFAULT_LIMITS): DnsResult {
  try {
    return { message: parse(b, limits.MAX_DNS_RECORDS) };
  } catch (err) {
    if (!(err instanceof BadDns)) throw err;
    return { error: { decoder: 'dns', code: err.code, offset: err.offset } };
  }
}

const u16 = (b: Uint8Array, p: number): number => {
  if (p + 2 > b.length) throw new BadDns('truncated', p);
  return ((b[p] as number) << 8) | (b[p + 1] as number);
};

function parse(b: Uint8Array, maxRecords: number): DnsMessage {
  if (b.length < 12) throw new BadDns('truncated', 0);
  const flags = u16(b, 2);
  const counts = [u16(b, 4), u16(b, 6)];
  let pos = 12;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < Math.min(counts[0] as number, maxRecords); i++) {
    const [name, next] = readName(b, pos);
    questions.push({ name, type: u16(b, next), class: u16(b, next + 2) });
    pos = next + 4;
  }
  if ((counts[0] as number) > maxRecords) throw new BadDns('too-many-questions', 4);
  const answers: DnsRecord[] = [];
  for (let i = 0; i < Math.min(counts[1] as number, maxRecords); i++) {
    const [name, next] = readName(b, pos);
    const type = u16(b, next);
    const ttl = u16(b, next + 4) * 65536 + u16(b, next + 6);
    const len = u16(b, next + 8);
    const start = next + 10;
    if (start + len > b.length) throw new BadDns('truncated', start);
    answers.push({ name, type, ttl, ...rdata(b, type, start, start + len) });
    pos = start + len;
  }
  return {
    id: u16(b, 0),
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    rcode: flags & 0xf,
    questions,
    answers,
  };
}

/** A possibly compressed name at `pos` → [name, position after it in the message]. */
function readName(b: Uint8Array, pos: number): [string, number] {
  const labels: string[] = [];
  let p = pos;
  let after = -1;
  let jumps = 0;
  let length = 0;
  for (;;) {
    if (p >= b.length) throw new BadDns('truncated', p);
    const len = b[p] as number;
    if (len === 0) {
      if (after < 0) after = p + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      const target = u16(b, p) & 0x3fff;
      if (after < 0) after = p + 2;
      // Pointers only go backwards, and at most MAX_DNS_POINTERS of them: a loop ends as a violation.
      if (target >= p || ++jumps > MAX_DNS_POINTERS) throw new BadDns('bad-name-pointer', p);
      p = target;
      continue;
    }
    if (len & 0xc0) throw new BadDns('bad-label', p);
    if (p + 1 + len > b.length) throw new BadDns('truncated', p);
    length += len + 1;
    if (length > 255) throw new BadDns('name-too-long', p);
    labels.push(lowerLatin1(b, p + 1, p + 1 + len));
    p += 1 + len;
  }
  return [labels.join('.'), after];
}

/** Bytes [from, to) as latin1 text with A–Z lowered: labels are short, so a char loop beats a Buffer per label. */
function lowerLatin1(b: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) {
    const c = b[i] as number;
    s += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c | 0x20 : c);
  }
  return s;
}

function rdata(b: Uint8Array, type: number, start: number, end: number): Pick<DnsRecord, 'data' | 'ips'> {
  const body = b.subarray(start, end);
  switch (type) {
    case 1:
      if (body.length !== 4) throw new BadDns('bad-rdata', start);
      return one(ipv4(body));
    case 28:
      if (body.length !== 16) throw new BadDns('bad-rdata', start);
      return one(ipv6(body));
    case 2:
    case 5:
    case 12:
      return { data: readName(b, start)[0] };
    case 64:
    case 65:
      return svcb(b, start, end);
    default:
      return {};
  }
}

const one = (ip: string) => ({ data: ip, ips: [ip] });

/** SVCB/HTTPS: priority, target name, then SvcParams (key, length, value); alpn (1), ipv4hint (4), ipv6hint (6). */
function svcb(b: Uint8Array, start: number, end: number): Pick<DnsRecord, 'data' | 'ips'> {
  const priority = u16(b, start);
  const [target, next] = readName(b, start + 2);
  const parts = [String(priority), target || '.'];
  const ips: string[] = [];
  for (let p = next; p + 4 <= end; ) {
    const key = u16(b, p);
    const len = u16(b, p + 2);
    const v = b.subarray(p + 4, p + 4 + len);
    if (p + 4 + len > end) throw new BadDns('bad-rdata', p);
    if (key === 1) {
      const ids: string[] = [];
      for (let i = 0; i < v.length; i += 1 + (v[i] as number)) {
        ids.push(Buffer.from(v.subarray(i + 1, i + 1 + (v[i] as number))).toString('latin1'));
      }
      parts.push(`alpn=${ids.join(',')}`);
    } else if (key === 4 || key === 6) {
      const size = key === 4 ? 4 : 16;
      const hints: string[] = [];
      for (let i = 0; i + size <= v.length; i += size) hints.push((key === 4 ? ipv4 : ipv6)(v.subarray(i, i + size)));
      ips.push(...hints);
      parts.push(`${key === 4 ? 'ipv4hint' : 'ipv6hint'}=${hints.join(',')}`);
    }
    p += 4 + len;
  }
  return { data: parts.join(' '), ...(ips.length > 0 ? { ips } : {}) };
}

const ipv4 = (v: Uint8Array): string => `${v[0]}.${v[1]}.${v[2]}.${v[3]}`;

/** RFC 5952 text: lower-case, the longest run of two or more zero groups as `::`. */
export function ipv6(v: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((v[i] as number) << 8) | (v[i + 1] as number));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j > i ? j : i + 1;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** DNS over TCP (RFC 1035 §4.2.2): 2-byte big-endian length, then the message; any chunking in. */
export class DnsTcpFramer {
  readonly #buf = new ChunkList();
  readonly #out: (r: DnsResult, message: Uint8Array) => void;
  readonly #limits: DnsLimits;

  /** `out` gets each message parsed and, for a caller that forwards it, its bytes (without the prefix). */
  constructor(out: (r: DnsResult, message: Uint8Array) => void, limits: DnsLimits = DEFAULT_LIMITS) {
    this.#out = out;
    this.#limits = limits;
  }

  /** Bytes of one direction; kept by copy. */
  write(chunk: Uint8Array): void {
    this.#buf.push(chunk.slice());
    while (this.#buf.length >= 2) {
      const h = this.#buf.peek(2);
      const len = ((h[0] as number) << 8) | (h[1] as number);
      if (this.#buf.length < 2 + len) return;
      this.#buf.skip(2);
      const message = this.#buf.consume(len);
      this.#out(parseDns(message, this.#limits), message);
    }
  }

  /** Bytes buffered in an unfinished message. */
  get pending(): number {
    return this.#buf.length;
  }
}

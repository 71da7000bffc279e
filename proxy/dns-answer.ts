/**
 * The DNS responses the forwarder (proxy/dns-forwarder.ts) writes itself: an answer from config `dns.static`
 * (A or AAAA records for the asked name, or none for other types and the other family) and error responses
 * (SERVFAIL when the upstream failed, REFUSED without an upstream). Encoding only: queries are read by the
 * shared decoder (src/decode/dns.ts), and which name has which address is the forwarder's business.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** TTL of static answers: short, so a lab that edits `dns.static` sees the change soon. */
export const STATIC_TTL_S = 60;

const TYPE_A = 1;
const TYPE_AAAA = 28;
const CLASS_IN = 1;

export const RCODE = Object.freeze({ noError: 0, servFail: 2, nxDomain: 3, refused: 5 });

/**
 * The response to a one-question query answered from `addresses`: every address of the asked family (A or AAAA),
 * none for any other type (an empty NOERROR, as for a name without such records). Undefined when the query is
 * not one plain question (it is then forwarded as it is).
 */
export function staticResponse(query: Uint8Array, addresses: readonly string[]): Uint8Array | undefined {
  const q = questionOf(query);
  if (!q) return undefined;
  const family = q.type === TYPE_A ? isIPv4 : q.type === TYPE_AAAA ? isIPv6 : undefined;
  const records = family ? addresses.filter((a) => family(a)).map(addressBytes) : [];
  const parts: Uint8Array[] = [header(query, q.end, RCODE.noError, records.length, true)];
  for (const rdata of records) {
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // name: a pointer to the question's name
    rr.writeUInt16BE(q.type, 2);
    rr.writeUInt16BE(CLASS_IN, 4);
    rr.writeUInt32BE(STATIC_TTL_S, 6);
    rr.writeUInt16BE(rdata.length, 10);
    parts.push(rr, rdata);
  }
  return Buffer.concat(parts);
}

/** A response with no answers and `rcode`, echoing the query's question when it has one plain question. */
export function errorResponse(query: Uint8Array, rcode: number): Uint8Array | undefined {
  if (query.length < 12) return undefined;
  const q = questionOf(query);
  return header(query, q?.end ?? 12, rcode, 0, false);
}

/** Header (and the question, copied) of a response to `query`, with `answers` records to follow. */
function header(query: Uint8Array, questionEnd: number, rcode: number, answers: number, authoritative: boolean) {
  const h = Buffer.alloc(questionEnd);
  h.set(query.subarray(0, questionEnd));
  const opcode = (query[2] as number) & 0x78;
  const rd = (query[2] as number) & 0x01;
  h[2] = 0x80 | opcode | (authoritative ? 0x04 : 0) | rd; // QR, opcode, AA, RD
  h[3] = 0x80 | (rcode & 0x0f); // RA, rcode
  h.writeUInt16BE(questionEnd > 12 ? 1 : 0, 4);
  h.writeUInt16BE(answers, 6);
  h.writeUInt16BE(0, 8);
  h.writeUInt16BE(0, 10);
  return h;
}

/** The single question of a standard query (uncompressed name): its type and where it ends. */
function questionOf(query: Uint8Array): { type: number; end: number } | undefined {
  if (query.length < 12) return undefined;
  const b = Buffer.from(query.buffer, query.byteOffset, query.length);
  if (b.readUInt16BE(4) !== 1 || ((b[2] as number) & 0x78) !== 0) return undefined;
  let p = 12;
  while (p < b.length && b[p] !== 0) {
    if (((b[p] as number) & 0xc0) !== 0) return undefined;
    p += 1 + (b[p] as number);
  }
  if (p + 5 > b.length) return undefined;
  if (b.readUInt16BE(p + 3) !== CLASS_IN) return undefined;
  return { type: b.readUInt16BE(p + 1), end: p + 5 };
}

/** 4 bytes for an IPv4 address, 16 for an IPv6 address (`::` and a dotted IPv4 tail included). */
export function addressBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  let text = ip;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(ip)?.[1];
  if (tail) {
    const [a, b, c, d] = tail.split('.').map(Number) as [number, number, number, number];
    text = `${ip.slice(0, -tail.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = rest ? rest.split(':') : [];
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => {
    out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  });
  return out;
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DnsResult, DnsTcpFramer, ipv6, parseDns } from '../../src/decode/dns.ts';
import { everySplit, oneByteAtATime } from '../helpers/splits.ts';

const u16 = (n: number) => [n >> 8, n & 0xff];
const name = (s: string) => [...s.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]), 0];
const rr = (owner: number[], type: number, data: number[]) => [
  ...owner,
  ...u16(type),
  0,
  1,
  0,
  0,
  1,
  44,
  ...u16(data.length),
  ...data,
];

/** A response for api.toy.example A: CNAME to edge.cdn.example (compressed), its A, an AAAA and an HTTPS record. */
const RESPONSE = [
  ...u16(0x1234),
  0x81,
  0x80,
  ...u16(1),
  ...u16(4),
  0,
  0,
  0,
  0,
  ...name('api.toy.example'),
  0,
  1,
  0,
  1,
  ...rr([0xc0, 12], 5, [4, ...Buffer.from('edge'), 3, ...Buffer.from('cdn'), 0xc0, 16]),
  ...rr([0xc0, 45], 1, [127, 0, 0, 11]),
  ...rr([0xc0, 45], 28, [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
  ...rr([0xc0, 12], 65, [0, 1, 0, ...u16(1), ...u16(3), 2, 0x68, 0x32, ...u16(4), ...u16(4), 127, 0, 0, 12]),
];

const message = (r: DnsResult) => {
  if ('error' in r) throw new Error(r.error.code);
  return r.message;
};

describe('parseDns', () => {
  it('reads a query', () => {
    const q = [...u16(7), 1, 0, ...u16(1), 0, 0, 0, 0, 0, 0, ...name('Api.Toy.Example'), 0, 28, 0, 1];
    expect(message(parseDns(Uint8Array.from(q)))).toEqual({
      id: 7,
      response: false,
      opcode: 0,
      rcode: 0,
      questions: [{ name: 'api.toy.example', type: 28, class: 1 }],
      answers: [],
    });
  });

  it('reads CNAME, A, AAAA and HTTPS answers with compressed names', () => {
    const m = message(parseDns(Uint8Array.from(RESPONSE)));
    expect(m.response).toBe(true);
    expect(m.answers).toEqual([
      { name: 'api.toy.example', type: 5, ttl: 300, data: 'edge.cdn.toy.example' },
      { name: 'edge.cdn.toy.example', type: 1, ttl: 300, data: '127.0.0.11', ips: ['127.0.0.11'] },
      { name: 'edge.cdn.toy.example', type: 28, ttl: 300, data: '2001:db8::1', ips: ['2001:db8::1'] },
      { name: 'api.toy.example', type: 65, ttl: 300, data: '1 . alpn=h2 ipv4hint=127.0.0.12', ips: ['127.0.0.12'] },
    ]);
  });

  it('flags pointer loops, forward pointers, truncation and bad rdata', () => {
    const head = [0, 1, 0x81, 0x80, ...u16(1), 0, 0, 0, 0, 0, 0];
    const code = (b: number[]) => {
      const r = parseDns(Uint8Array.from(b));
      return 'error' in r ? r.error.code : 'ok';
    };
    expect(code([...head, 1, 0x61, 0xc0, 12, 0, 1, 0, 1])).toBe('bad-name-pointer');
    expect(code([...head, 0xc0, 40, 0, 1, 0, 1])).toBe('bad-name-pointer');
    expect(code([...head, ...name('a.b')])).toBe('truncated');
    expect(code([1, 2, 3])).toBe('truncated');
    expect(code([...head, 0x80, 0x61, 0, 0, 1, 0, 1])).toBe('bad-label');
    const badA = [0, 1, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 0, ...rr(name('x'), 1, [1, 2, 3])];
    expect(code(badA)).toBe('bad-rdata');
  });

  it('never throws on random or mutated messages', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 6 }),
        (junk, muts) => {
          parseDns(junk);
          const m = Uint8Array.from(RESPONSE);
          for (const [i, v] of muts) m[i % m.length] = v;
          parseDns(m);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('writes IPv6 addresses as RFC 5952 text', () => {
    const v6 = (hex: string) => ipv6(Buffer.from(hex, 'hex'));
    expect(v6('00000000000000000000000000000001')).toBe('::1');
    expect(v6('20010db8000000010000000000000000')).toBe('2001:db8:0:1::');
    expect(v6('20010db8000100010001000100010001')).toBe('2001:db8:1:1:1:1:1:1');
  });
});

describe('DnsTcpFramer', () => {
  const stream = Uint8Array.from([...u16(RESPONSE.length), ...RESPONSE, ...u16(RESPONSE.length), ...RESPONSE]);
  const feed = (parts: Uint8Array[]) => {
    const out: DnsResult[] = [];
    const f = new DnsTcpFramer((r) => out.push(r));
    for (const p of parts) f.write(p);
    return { out, pending: f.pending };
  };

  it('gives the same messages for every split and one byte at a time', () => {
    const whole = feed([stream]);
    expect(whole.out).toHaveLength(2);
    expect(whole.pending).toBe(0);
    expect(feed(oneByteAtATime(stream))).toEqual(whole);
    for (const parts of everySplit(stream)) expect(feed(parts)).toEqual(whole);
  });

  it('holds an unfinished message', () => {
    expect(feed([stream.subarray(0, 20)])).toEqual({ out: [], pending: 20 });
  });
});

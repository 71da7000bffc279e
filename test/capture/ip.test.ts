import { describe, expect, it } from 'vitest';
import { formatIpv6, IpDecoder, type IpDecoderOptions, type IpResult } from '../../src/capture/ip.ts';
import { resolveLimits } from '../../src/model/limits.ts';
import { concat, ext6, frag6, ipv4, ipv6, parseIpv6, tcp, udp } from '../helpers/pcap-writer.ts';

function decoder(opts: IpDecoderOptions = {}) {
  const skipped: string[] = [];
  return { dec: new IpDecoder((r) => skipped.push(r), opts), skipped };
}
const v4 = (b: Uint8Array, dec = decoder().dec, ts = 0): IpResult => dec.decode(4, b, 0, ts);
const v6 = (b: Uint8Array, dec = decoder().dec, ts = 0): IpResult => dec.decode(6, b, 0, ts);
const body = Uint8Array.from({ length: 64 }, (_, i) => i);
const dgram = udp(body, { sport: 5353, dport: 53 });

describe('formatIpv6 (RFC 5952)', () => {
  const cases: Array<[string, string]> = [
    ['::1', '::1'],
    ['::', '::'],
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['fe80:0:0:0:a:b:c:d', 'fe80::a:b:c:d'],
    ['0:0:0:0:0:ffff:c000:280', '::ffff:192.0.2.128'],
    ['1:0:0:0:0:0:0:0', '1::'],
  ];
  for (const [input, want] of cases) it(`${input} → ${want}`, () => expect(formatIpv6(parseIpv6(input), 0)).toBe(want));
});

describe('IpDecoder', () => {
  it('decodes IPv4, skipping options and trimming Ethernet padding', () => {
    const pkt = ipv4(dgram, { src: '192.168.1.2', dst: '8.8.8.8', proto: 17, options: new Uint8Array(8) });
    const r = v4(concat([pkt, new Uint8Array(6)]));
    expect(r).toMatchObject({ version: 4, src: '192.168.1.2', dst: '8.8.8.8', proto: 17, missing: 0 });
    expect((r as { payload: Uint8Array }).payload).toEqual(dgram);
  });

  it('counts the bytes a snap length cut, and takes an offloaded total length of 0', () => {
    const pkt = ipv4(dgram, { src: '1.1.1.1', dst: '2.2.2.2', proto: 17 });
    expect(v4(pkt.subarray(0, 40))).toMatchObject({ missing: pkt.length - 40 });
    expect(v4(ipv4(dgram, { src: '1.1.1.1', dst: '2.2.2.2', proto: 17, totalLength: 0 }))).toMatchObject({
      missing: 0,
    });
    expect(v4(new Uint8Array(10))).toBe('truncated-ip');
  });

  it('reassembles IPv4 fragments in any order, first copy winning on overlaps', () => {
    const { dec, skipped } = decoder();
    const frag = (off: number, len: number, mf: boolean, fill?: number) => {
      const part = dgram.slice(off, off + len);
      if (fill !== undefined) part.fill(fill);
      return ipv4(part, { src: '10.0.0.1', dst: '10.0.0.2', proto: 17, id: 77, mf, fragOffset: off });
    };
    expect(v4(frag(48, 24, false), dec)).toBeUndefined();
    expect(v4(frag(0, 24, true), dec)).toBeUndefined();
    expect(v4(frag(16, 16, true, 0xee), dec)).toBeUndefined(); // overlaps the first fragment, garbage
    const r = v4(frag(24, 32, true), dec);
    expect((r as { payload: Uint8Array }).payload).toEqual(
      concat([dgram.subarray(0, 24), new Uint8Array(8).fill(0xee), dgram.subarray(32)]),
    );
    expect(skipped).toEqual([]);
  });

  it('times out incomplete datagrams by capture time and bounds those in flight', () => {
    const { dec, skipped } = decoder({ limits: resolveLimits({ MAX_FRAGMENT_DATAGRAMS: 2 }) });
    const f = (id: number) =>
      ipv4(dgram.subarray(0, 16), { src: '10.0.0.1', dst: '10.0.0.2', proto: 17, id, mf: true });
    v4(f(1), dec, 0);
    v4(f(2), dec, 0);
    v4(f(3), dec, 0);
    expect(skipped).toEqual(['ip-fragment-overflow']);
    v4(ipv4(dgram, { src: '1.1.1.1', dst: '2.2.2.2', proto: 17 }), dec, 31_000_001);
    expect(skipped).toEqual(['ip-fragment-overflow', 'ip-fragment-timeout', 'ip-fragment-timeout']);
  });

  it('walks IPv6 extension headers to TCP', () => {
    const seg = tcp(new Uint8Array(3), { sport: 1, dport: 2, seq: 0, flags: 2 });
    const ah = Uint8Array.from([6, 4, 0, 0, ...new Array(20).fill(0)]); // AH: (4+2)*4 = 24 bytes
    const chain = concat([ext6(43), ext6(60, new Uint8Array(14)), ext6(51), ah, seg]);
    const r = v6(ipv6(chain, { src: 'fe80::1', dst: '2001:db8::2', next: 0 }));
    expect(r).toMatchObject({ version: 6, src: 'fe80::1', dst: '2001:db8::2', proto: 6 });
    expect((r as { payload: Uint8Array }).payload).toEqual(seg);
  });

  it('reassembles IPv6 fragments and continues the header chain', () => {
    const { dec } = decoder();
    const inner = concat([ext6(17), dgram]);
    const a = ipv6(concat([frag6(60, 0, true, 9), inner.subarray(0, 40)]), { src: '::1', dst: '::1', next: 44 });
    const b = ipv6(concat([frag6(60, 40, false, 9), inner.subarray(40)]), { src: '::1', dst: '::1', next: 44 });
    expect(v6(b, dec)).toBeUndefined();
    const r = v6(a, dec);
    expect(r).toMatchObject({ proto: 17, src: '::1' });
    expect((r as { payload: Uint8Array }).payload).toEqual(dgram);
    const atomic = ipv6(concat([frag6(17, 0, false, 1), dgram]), { src: '::1', dst: '::1', next: 44 });
    expect(v6(atomic)).toMatchObject({ proto: 17 });
  });

  it('names what is not TCP or UDP', () => {
    expect(v6(ipv6(new Uint8Array(8), { src: '::1', dst: '::1', next: 58 }))).toBe('icmpv6');
    expect(v6(ipv6(new Uint8Array(8), { src: '::1', dst: '::1', next: 50 }))).toBe('esp');
    expect(v4(ipv4(new Uint8Array(8), { src: '1.1.1.1', dst: '1.1.1.2', proto: 1 }))).toMatchObject({ proto: 1 });
  });
});

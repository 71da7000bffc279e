import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIpv6, IpDecoder, type IpDecoderOptions, type IpResult } from '../../src/capture/ip.ts';
import { resolveLimits } from '../../src/model/limits.ts';
import { concat, ext6, frag6, ipv4, ipv6, parseIpv6, tcp, udp } from '../../testkit/pcap-writer.ts';

function decoder(opts: IpDecoderOptions = {}) {
  const skipped: string[] = [];
  const violations: string[] = [];
  const events = { skipped: (r: string) => skipped.push(r), violation: (code: string) => violations.push(code) };
  return { dec: new IpDecoder(events, opts), skipped, violations };
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

  it('reassembles IPv4 fragments in any order, first copy winning on overlaps, conflicting bytes flagged', () => {
    const { dec, skipped, violations } = decoder();
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
    // The garbage overlaps the first fragment, then the fourth overlaps the garbage: two conflicts.
    expect(violations).toEqual(['ip-fragment-overlap', 'ip-fragment-overlap']);
  });

  it('takes an overlap that repeats the same bytes (a retransmission) silently', () => {
    const { dec, violations } = decoder();
    const frag = (off: number, len: number, mf: boolean) =>
      ipv4(dgram.slice(off, off + len), { src: '10.0.0.1', dst: '10.0.0.2', proto: 17, id: 5, mf, fragOffset: off });
    expect(v4(frag(0, 40, true), dec)).toBeUndefined();
    expect(v4(frag(16, 32, true), dec)).toBeUndefined();
    expect(v4(frag(40, 32, false), dec)).toMatchObject({ payload: dgram });
    expect(violations).toEqual([]);
  });

  describe('drops a datagram with a malformed fragment, with a violation, and goes on', () => {
    const v4frag = (part: Uint8Array, off: number, mf: boolean, id = 9) =>
      ipv4(part, { src: '10.0.0.1', dst: '10.0.0.2', proto: 17, id, mf, fragOffset: off });
    const v6frag = (part: Uint8Array, off: number, more: boolean, id = 9) =>
      ipv6(concat([frag6(17, off, more, id), part]), { src: '::1', dst: '::2', next: 44 });

    it('IPv6: a fragment past the end the last fragment set (was a RangeError)', () => {
      const { dec, skipped, violations } = decoder();
      expect(v6(v6frag(dgram.subarray(0, 16), 0, true), dec)).toBeUndefined();
      expect(v6(v6frag(dgram.subarray(0, 16), 64, true), dec)).toBeUndefined();
      expect(v6(v6frag(dgram.subarray(16, 32), 16, false), dec)).toBeUndefined();
      expect(violations).toEqual(['ip-fragment-inconsistent']);
      expect(skipped).toEqual(['ip-fragment-inconsistent']);
      // The same ids, sent properly afterwards, reassemble: one bad datagram spoils nothing else.
      expect(v6(v6frag(dgram.subarray(0, 16), 0, true), dec)).toBeUndefined();
      expect(v6(v6frag(dgram.subarray(16), 16, false), dec)).toMatchObject({ proto: 17, payload: dgram });
    });

    it('IPv4 and IPv6: the last fragment arriving after one that ends beyond it', () => {
      for (const make of [v4frag, v6frag]) {
        const { dec, violations } = decoder();
        const version = make === v4frag ? 4 : 6;
        dec.decode(version, make(dgram.subarray(0, 48), 16, true), 0, 0);
        expect(dec.decode(version, make(dgram.subarray(0, 8), 8, false), 0, 0)).toBeUndefined();
        expect(violations).toEqual(['ip-fragment-inconsistent']);
      }
    });

    it('two last fragments with different ends', () => {
      const { dec, violations } = decoder();
      v4(v4frag(dgram.subarray(0, 8), 8, false), dec);
      v4(v4frag(dgram.subarray(0, 16), 8, false), dec);
      expect(violations).toEqual(['ip-fragment-inconsistent']);
    });

    it('IPv4 and IPv6: a fragment reaching past 65,535 bytes (out of range, oversized)', () => {
      const { dec, violations, skipped } = decoder();
      expect(v4(v4frag(new Uint8Array(64), 65528, false), dec)).toBeUndefined();
      expect(v6(v6frag(new Uint8Array(1500), 65000, true), dec)).toBeUndefined();
      expect(violations).toEqual(['ip-fragment-out-of-range', 'ip-fragment-out-of-range']);
      expect(skipped).toEqual(['ip-fragment-out-of-range', 'ip-fragment-out-of-range']);
    });

    it('a non-final fragment whose length is not a multiple of 8', () => {
      const { dec, violations } = decoder();
      expect(v4(v4frag(dgram.subarray(0, 13), 0, true), dec)).toBeUndefined();
      expect(violations).toEqual(['ip-fragment-misaligned']);
    });

    it('IPv6: fragments of fragments (a fragment header inside the reassembled payload)', () => {
      const { dec, violations } = decoder();
      const inner = concat([frag6(17, 0, true, 77), dgram]);
      const a = ipv6(concat([frag6(44, 0, true, 3), inner.subarray(0, 40)]), { src: '::1', dst: '::2', next: 44 });
      const b = ipv6(concat([frag6(44, 40, false, 3), inner.subarray(40)]), { src: '::1', dst: '::2', next: 44 });
      expect(v6(a, dec)).toBeUndefined();
      expect(v6(b, dec)).toBeUndefined();
      expect(violations).toEqual(['ip-fragment-nested']);
    });

    it('IPv4: fragments of fragments (a refragmented fragment) reassemble like any fragments', () => {
      const { dec, violations } = decoder();
      // The first 32-byte fragment was split again on a smaller link: 0–16 and 16–32, both with MF set.
      expect(v4(v4frag(dgram.subarray(0, 16), 0, true), dec)).toBeUndefined();
      expect(v4(v4frag(dgram.subarray(16, 32), 16, true), dec)).toBeUndefined();
      expect(v4(v4frag(dgram.subarray(32), 32, false), dec)).toMatchObject({ payload: dgram });
      expect(violations).toEqual([]);
    });
  });

  it('fuzz: random fragments of random datagrams never throw, bound what they hold, and say why they drop', () => {
    const fragment = fc.record({
      v6: fc.boolean(),
      id: fc.integer({ min: 0, max: 3 }),
      off: fc.oneof(
        fc.integer({ min: 0, max: 64 }).map((x) => x * 8),
        fc.integer({ min: 0, max: 65535 }),
      ),
      len: fc.oneof(fc.integer({ min: 0, max: 96 }), fc.integer({ min: 0, max: 70_000 })),
      more: fc.boolean(),
      fill: fc.integer({ min: 0, max: 3 }),
      nested: fc.boolean(),
    });
    const limits = resolveLimits({ MAX_FRAGMENT_DATAGRAMS: 3, MAX_FRAGMENTS_PER_DATAGRAM: 8 });
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 40 }), (frags) => {
        const { dec, skipped, violations } = decoder({ limits });
        for (const [i, f] of frags.entries()) {
          const part = new Uint8Array(Math.min(f.len, 65_000)).fill(f.fill);
          const next = f.nested ? 44 : 17;
          const pkt = f.v6
            ? ipv6(concat([frag6(next, f.off & 0xfff8, f.more, f.id), part]), { src: '::1', dst: '::2', next: 44 })
            : ipv4(part.subarray(0, 65_000), {
                src: '10.0.0.1',
                dst: '10.0.0.2',
                proto: 17,
                id: f.id,
                mf: f.more,
                fragOffset: f.off & 0xfff8,
              });
          const r = dec.decode(f.v6 ? 6 : 4, pkt, 0, i);
          if (r !== undefined && typeof r !== 'string') expect(r.payload.length).toBeLessThanOrEqual(65_535);
        }
        dec.expire(Number.POSITIVE_INFINITY);
        const named = new Set(['ip-fragment-overflow', 'ip-fragment-timeout']);
        for (const s of skipped) expect(named.has(s) || violations.includes(s)).toBe(true);
      }),
      { seed: 20261203, numRuns: 300 },
    );
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

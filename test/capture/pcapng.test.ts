import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PcapReader } from '../../src/capture/pcap.ts';
import { PcapngReader, timeConverter } from '../../src/capture/pcapng.ts';
import { concat, dsb, epb, idb, opb, pcapngBlock, shb, spb } from '../../testkit/pcap-writer.ts';
import { everySplit, oneByteAtATime, splitAt } from '../helpers/splits.ts';
import { readAll } from './reader-log.ts';

const read = (chunks: Uint8Array[]) => readAll((ev) => new PcapngReader(ev), chunks);
const pkt = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff);
const T = 1_700_000_000_123_456n;

describe('PcapngReader', () => {
  for (const le of [true, false]) {
    it(`reads EPB, OPB, SPB and DSB in a ${le ? 'little' : 'big'}-endian section`, () => {
      const file = concat([
        shb(le),
        idb(1, { snaplen: 8, le }),
        idb(101, { le }),
        epb(0, T, pkt(5), { le }),
        epb(1, T + 1n, pkt(6), { le, origLen: 60 }),
        opb(1, T + 2n, pkt(3), le),
        spb(pkt(12), 12, le),
        dsb(0x544c534b, new TextEncoder().encode('CLIENT_RANDOM a b\n'), le),
      ]);
      const log = read([file]);
      expect(log.skipped).toEqual([]);
      expect(log.packets.map((p) => [p.ts, p.linkType, p.interfaceId, p.data.length, p.origLen])).toEqual([
        [Number(T), 1, 0, 5, 5],
        [Number(T) + 1, 101, 1, 6, 60],
        [Number(T) + 2, 101, 1, 3, 3],
        [Number(T) + 2, 1, 0, 8, 12], // SPB: cut to IDB 0's snaplen, previous timestamp
      ]);
      expect(log.packets[0]!.data).toEqual([...pkt(5)]);
      expect(log.secrets).toEqual([{ type: 0x544c534b, data: [...new TextEncoder().encode('CLIENT_RANDOM a b\n')] }]);
    });
  }

  it('honours if_tsresol (decimal and power of 2) and if_tsoffset', () => {
    const file = concat([
      shb(),
      idb(1, { tsresol: 9 }),
      idb(1, { tsresol: 3, tsoffset: 10 }),
      idb(1, { tsresol: 0x80 | 20 }),
      epb(0, 1_700_000_000_123_456_789n, pkt(1)),
      epb(1, 1_500n, pkt(1)),
      epb(2, 3n * 2n ** 20n + 2n ** 19n, pkt(1)),
    ]);
    expect(read([file]).packets.map((p) => p.ts)).toEqual([1_700_000_000_123_456, 11_500_000, 3_500_000]);
    expect(timeConverter(9, false, 0)(0xffffffff, 0xffffffff)).toBe(Number(2n ** 64n / 1000n - 1n) + 0);
  });

  it('resets interfaces at a new section, in a new byte order', () => {
    const file = concat([
      shb(true),
      idb(1),
      epb(0, T, pkt(4)),
      shb(false),
      idb(113, { le: false }),
      epb(0, T, pkt(4), { le: false }),
    ]);
    expect(read([file]).packets.map((p) => p.linkType)).toEqual([1, 113]);
    const noIdb = concat([shb(true), idb(1), shb(true), epb(0, T, pkt(4))]);
    expect(read([noIdb]).skipped).toEqual(['pcapng-unknown-interface']);
  });

  it('steps over NRB, ISB, custom blocks and EPB options; counts unknown blocks', () => {
    const file = concat([
      shb(),
      idb(1),
      pcapngBlock(4, new Uint8Array(12)),
      pcapngBlock(5, new Uint8Array(20)),
      pcapngBlock(0x0bad, new Uint8Array(9)),
      epb(0, T, pkt(7), { options: Uint8Array.of(1, 0, 3, 0, 97, 98, 99, 0, 0, 0, 0, 0) }),
      pcapngBlock(0x77, new Uint8Array(4)),
    ]);
    const log = read([file]);
    expect(log.packets.map((p) => p.data)).toEqual([[...pkt(7)]]);
    expect(log.skipped).toEqual(['pcapng-block-0x77']);
  });

  it('gives the same packets whatever the chunking', () => {
    const file = concat([
      shb(),
      idb(1, { tsresol: 9 }),
      epb(0, T, pkt(9)),
      spb(pkt(3)),
      dsb(1, pkt(5)),
      epb(0, T, pkt(1)),
    ]);
    const whole = read([file]);
    expect(whole.packets).toHaveLength(3);
    for (const chunks of everySplit(file)) expect(read(chunks)).toEqual(whole);
    expect(read(oneByteAtATime(file))).toEqual(whole);
  });

  it('reports a corrupt block length and a truncated block', () => {
    const good = concat([shb(), idb(1), epb(0, T, pkt(8))]);
    const bad = concat([good, epb(0, T, pkt(8))]);
    new DataView(bad.buffer).setUint32(good.length + 4, 13, true);
    expect(read([bad])).toMatchObject({ skipped: ['corrupt-block'] });
    expect(read([bad]).packets).toHaveLength(1);
    const trailer = concat([good, epb(0, T, pkt(8))]);
    new DataView(trailer.buffer).setUint32(trailer.length - 4, 16, true);
    expect(read([trailer]).skipped).toEqual(['corrupt-block']);
    expect(read([good.subarray(0, good.length - 3)])).toMatchObject({ skipped: ['truncated-record'] });
  });

  it('never throws on mutated or cut files, however chunked', () => {
    const file = concat([
      shb(),
      idb(1, { tsresol: 0x85 }),
      epb(0, T, pkt(20)),
      spb(pkt(9)),
      dsb(1, pkt(3)),
      opb(0, T, pkt(4)),
    ]);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(file.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.nat(file.length),
        (muts, cuts, len) => {
          const b = file.slice(0, len);
          for (const [at, v] of muts) if (at < b.length) b[at] = v;
          expect(read(splitAt(b, cuts)).packets.length).toBeLessThanOrEqual(3);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads the real lo capture converted by editcap to the same packets as the pcap', () => {
    const ng = read([readFileSync('test/data/capture/lo.pcapng')]);
    const pcap = readAll((ev) => new PcapReader(ev), [readFileSync('test/data/capture/lo.pcap')]);
    expect(ng.skipped).toEqual([]);
    expect(ng.packets).toEqual(pcap.packets);
  });
});

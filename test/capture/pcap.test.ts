import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PcapReader } from '../../src/capture/pcap.ts';
import { pcapFile, tcpConversation } from '../../testkit/pcap-writer.ts';
import { everySplit, oneByteAtATime, splitAt } from '../helpers/splits.ts';
import { readAll } from './reader-log.ts';

const read = (chunks: Uint8Array[]) => readAll((ev) => new PcapReader(ev), chunks);
const frames = tcpConversation({
  client: '127.0.0.2',
  server: '127.0.0.1',
  cport: 40000,
  sport: 80,
  exchanges: [['up', 'GET / HTTP/1.1\r\n\r\n']],
});

describe('PcapReader', () => {
  for (const bigEndian of [false, true]) {
    for (const nanos of [false, true]) {
      it(`reads ${bigEndian ? 'big' : 'little'}-endian ${nanos ? 'nanosecond' : 'microsecond'} pcap`, () => {
        const log = read([pcapFile(frames, { bigEndian, nanos, linkType: 1 })]);
        expect(log.skipped).toEqual([]);
        expect(log.packets.map((p) => p.ts)).toEqual(frames.map((f) => f.ts));
        expect(log.packets.map((p) => p.data)).toEqual(frames.map((f) => [...f.data]));
        expect(log.packets.every((p) => p.linkType === 1 && p.interfaceId === 0)).toBe(true);
      });
    }
  }

  it('counts a nonsense header (version 0xffff, snap length 2^32 - 1) as skipped and reads the records on', () => {
    const file = pcapFile(frames);
    const v = new DataView(file.buffer, file.byteOffset);
    v.setUint16(4, 0xffff, true);
    v.setUint32(16, 0xffffffff, true);
    const log = read([file]);
    expect(log.skipped).toEqual(['pcap-version-65535.4', 'pcap-bad-snaplen']);
    expect(log.packets).toHaveLength(frames.length);
  });

  it('keeps the original length of cut records', () => {
    const data = new Uint8Array(10).fill(7);
    const log = read([pcapFile([{ ts: 5_000_001, data, origLen: 1500 }])]);
    expect(log.packets[0]).toMatchObject({ ts: 5_000_001, origLen: 1500, data: [...data] });
  });

  it('gives the same packets whatever the chunking', () => {
    const file = pcapFile(frames.slice(0, 4));
    const whole = read([file]);
    for (const chunks of everySplit(file)) expect(read(chunks)).toEqual(whole);
    expect(read(oneByteAtATime(file))).toEqual(whole);
  });

  it('completes a large record fed one byte at a time', () => {
    const big = pcapFile([{ ts: 1, data: new Uint8Array(65_000).fill(9) }]);
    const log = read(oneByteAtATime(big));
    expect(log.packets[0]!.data.length).toBe(65_000);
  });

  it('reports a truncated record and keeps the packets before it', () => {
    const file = pcapFile(frames);
    for (const cut of [file.length - 1, file.length - 30, 30]) {
      const log = read([file.subarray(0, cut)]);
      expect(log.skipped).toEqual(['truncated-record']);
      expect(log.packets.length).toBeLessThan(frames.length);
    }
    expect(read([file.subarray(0, 10)]).skipped).toEqual(['truncated-file-header']);
  });

  it('stops at a record with an absurd length', () => {
    const file = pcapFile(frames);
    const bad = file.slice();
    new DataView(bad.buffer).setUint32(24 + 8, 0x7fffffff, true);
    expect(read([bad])).toMatchObject({ packets: [], skipped: ['corrupt-record'] });
  });

  it('never throws on mutated or cut files, however chunked', () => {
    const file = pcapFile(frames);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(file.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.nat(file.length),
        (muts, cuts, len) => {
          const b = file.slice(0, len);
          for (const [at, v] of muts) if (at < b.length) b[at] = v;
          const log = read(splitAt(b, cuts));
          expect(log.packets.length).toBeLessThanOrEqual(frames.length + 1);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads a real tcpdump capture of curl on lo, the same in nanosecond pcap', () => {
    const micro = read([readFileSync('test/data/capture/lo.pcap')]);
    const nano = read([readFileSync('test/data/capture/lo-nanos.pcap')]);
    const tshark = readFileSync('test/data/capture/lo.tshark.tsv', 'utf8').trim().split('\n');
    expect(micro.skipped).toEqual([]);
    expect(micro.packets.length).toBe(tshark.length);
    expect(nano).toEqual(micro);
  });
});

/**
 * Writes a SYN-flood capture for memory tests: `count` connections of one bare TCP SYN each, from distinct client
 * addresses and ports (raw IPv4, 10 µs apart) to one server, streamed to the file in batches so the writer stays
 * small.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { ipv4, pcapHeader, pcapRecord, SYN, tcp } from '../../testkit/pcap-writer.ts';

const LINKTYPE_RAW = 101;
const BATCH = 10_000;

export function writeSynFlood(file: string, count: number): void {
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, pcapHeader({ linkType: LINKTYPE_RAW }));
    for (let start = 0; start < count; start += BATCH) {
      const records: Uint8Array[] = [];
      for (let i = start; i < Math.min(count, start + BATCH); i++) {
        const src = `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}`;
        const syn = tcp(new Uint8Array(0), { sport: 1024 + (i % 60000), dport: 443, seq: i * 7919, flags: SYN });
        records.push(
          pcapRecord({ ts: 1_700_000_000_000_000 + i * 10, data: ipv4(syn, { src, dst: '127.0.0.1', proto: 6 }) }),
        );
      }
      writeSync(fd, Buffer.concat(records));
    }
  } finally {
    closeSync(fd);
  }
}

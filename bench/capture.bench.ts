/**
 * Capture replay hot path: a ≥ 200 MB synthetic pcap of many interleaved HTTP uploads (made once in the OS temp
 * directory, not committed), read in 1 MiB chunks, through each stage in turn: a plain read of the bytes, the
 * pcap reader alone, + link and IP decoding, + TCP reassembly. The reader figure is set beside pcap-parser (a dev
 * dependency: it reads classic pcap, records only) timed in the same run on the same chunks.
 */

import { EventEmitter } from 'node:events';
import { closeSync, existsSync, openSync, readSync, renameSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PacketDecoder } from '../src/capture/packet-decoder.ts';
import { PcapReader } from '../src/capture/pcap.ts';
import { TcpReassembler } from '../src/capture/tcp-reassembly.ts';
import { type Frame, pcapHeader, pcapRecord, tcpConversation } from '../testkit/pcap-writer.ts';
import { mbPerSec, peakRssMiB, plainRead, round } from './measure.ts';
import type { Bench } from './run.ts';

const FILE = join(tmpdir(), 'toyscope-bench-capture-v1.pcap');
const TARGET_BYTES = 210 * 1024 * 1024;
const CONCURRENT = 64;
const CHUNK = 1024 * 1024;

/** pcap-parser 0.2.1 (CommonJS, no types): `parse(stream)` emits `packet` per record, `end` at the stream's end. */
type PcapParser = { parse(input: EventEmitter): EventEmitter };
const pcapParser = createRequire(import.meta.url)('pcap-parser') as PcapParser;

/** Writes the corpus: waves of CONCURRENT connections, each a 24 KiB POST in 1448-byte segments and a reply. */
function makeCorpus(): void {
  if (existsSync(FILE) && statSync(FILE).size >= TARGET_BYTES) return;
  const tmp = `${FILE}.${process.pid}`;
  const fd = openSync(tmp, 'w');
  writeSync(fd, pcapHeader());
  const body = new Uint8Array(24 * 1024).map((_, i) => 97 + (i % 26));
  let written = 24;
  let ts = 1_700_000_000_000_000;
  for (let wave = 0; written < TARGET_BYTES; wave++) {
    const convs = Array.from({ length: CONCURRENT }, (_, i) => {
      const n = wave * CONCURRENT + i;
      const segs: Array<['up' | 'down', Uint8Array | string]> = [
        ['up', `POST /v1/upload/${n} HTTP/1.1\r\nHost: cloud.example\r\nContent-Length: ${body.length}\r\n\r\n`],
      ];
      for (let at = 0; at < body.length; at += 1448) segs.push(['up', body.subarray(at, at + 1448)]);
      segs.push(['down', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok']);
      return tcpConversation({
        client: `10.${(n >> 16) & 0xff}.${(n >> 8) & 0xff}.${n & 0xff}`,
        server: '127.0.0.1',
        cport: 20000 + (n % 40000),
        sport: 80,
        isn: (n * 2654435761) >>> 0,
        exchanges: segs,
      });
    });
    const frames: Frame[] = [];
    for (let k = 0; k < convs[0]!.length; k++) for (const c of convs) if (c[k]) frames.push(c[k]!);
    const recs = frames.map((f) => pcapRecord({ ts: ts++, data: f.data }));
    const buf = Buffer.concat(recs);
    writeSync(fd, buf);
    written += buf.length;
  }
  closeSync(fd);
  renameSync(tmp, FILE);
}

/** Streams the file in fresh 1 MiB chunks (as a read stream would hand them) to `feed`. */
function stream(feed: (chunk: Uint8Array) => void): void {
  const fd = openSync(FILE, 'r');
  for (;;) {
    const buf = Buffer.allocUnsafe(CHUNK);
    const n = readSync(fd, buf, 0, CHUNK, null);
    if (n === 0) break;
    feed(n === CHUNK ? buf : buf.subarray(0, n));
  }
  closeSync(fd);
}

const bench: Bench = async (emit) => {
  makeCorpus();
  const bytes = statSync(FILE).size;
  const corpus = `http-pcap-${Math.round(bytes / 1024 / 1024)}mb`;
  let sink = 0;
  const plain = mbPerSec(bytes, () => stream((c) => (sink += plainRead([c]))), 2);
  emit({ bench: 'capture', corpus, stage: 'plain-read', mb_per_s: plain });

  // pcap-parser listens to a stream's `data`: a bare emitter fed the same chunks synchronously.
  const parserRun = () => {
    const input = Object.assign(new EventEmitter(), { pause() {}, resume() {} });
    pcapParser.parse(input).on('packet', (p: { data: Uint8Array }) => (sink += p.data.length));
    stream((c) => input.emit('data', c));
    input.emit('end');
  };
  const parserMb = mbPerSec(bytes, parserRun, 2);
  emit({
    bench: 'capture',
    corpus,
    stage: 'pcap-parser',
    mb_per_s: parserMb,
    reference_mb_per_s: plain,
    ratio: round(parserMb / plain, 3),
  });

  const stages: Array<[string, () => void]> = [
    [
      'pcap-reader',
      () => {
        const r = new PcapReader({ packet: (p) => (sink += p.data.length), skipped: () => sink++ });
        stream((c) => r.write(c));
        r.end();
      },
    ],
    [
      'pcap+link+ip',
      () => {
        const d = new PacketDecoder({
          tcp: (s) => (sink += s.len),
          udp: () => sink++,
          skipped: () => sink++,
          violation: () => sink++,
        });
        const r = new PcapReader({ packet: (p) => d.packet(p), skipped: () => sink++ });
        stream((c) => r.write(c));
        r.end();
      },
    ],
    [
      'pcap+link+ip+tcp',
      () => {
        const t = new TcpReassembler({
          open: () => sink++,
          data: (_c, _d, b) => (sink += b.length),
          gap: () => sink--,
          close: () => sink++,
        });
        const d = new PacketDecoder({
          tcp: (s) => t.segment(s),
          udp: () => sink++,
          skipped: () => sink++,
          violation: () => sink++,
        });
        let last = 0;
        const r = new PcapReader({
          packet: (p) => {
            last = p.ts;
            d.packet(p);
          },
          skipped: () => sink++,
        });
        stream((c) => r.write(c));
        r.end();
        t.end(last);
      },
    ],
  ];
  for (const [stage, fn] of stages) {
    const mb = mbPerSec(bytes, fn, 2);
    const fig = {
      bench: 'capture',
      corpus,
      stage,
      mb_per_s: mb,
      reference_mb_per_s: plain,
      ratio: round(mb / plain, 3),
    };
    emit(
      stage === 'pcap-reader'
        ? { ...fig, pcap_parser_mb_per_s: parserMb, vs_pcap_parser: round(mb / parserMb, 2) }
        : fig,
    );
  }
  emit({ bench: 'capture', corpus, stage: 'all', peak_rss_mib: peakRssMiB(), checksum: sink % 1000 });
};
export default bench;

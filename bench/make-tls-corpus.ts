/**
 * Makes the TLS bench's capture and its key log: ≥ 200 MB of the mixed toy uploads of make-corpus.ts (the same
 * requests and replies), each keep-alive connection a real TLS session between Node's client and server on
 * loopback (test/helpers/tls-loopback.ts), recorded in wire order and written as a classic pcap (Ethernet, IPv4,
 * 1448-byte segments, 48 connections interleaved packet by packet), with the client's NSS key log beside it. The
 * suites rotate: TLS 1.3 AES-128-GCM and ChaCha20-Poly1305, TLS 1.2 ECDHE AES-128-GCM and AES-128-CBC-SHA.
 * In the OS temp directory, never committed, reused while its name (version + size stamp) matches. Run directly
 * (`npx tsx bench/make-tls-corpus.ts`) it prints both paths.
 */
import { appendFileSync, closeSync, existsSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Frame, pcapHeader } from '../testkit/pcap-writer.ts';
import { TEST_CERTS, type TlsExchange, TlsRecorder } from '../testkit/tls-loopback.ts';
import { kindOf, rng } from './corpus.ts';
import {
  CONCURRENT,
  deviceConversation,
  HOSTS,
  interleave,
  MSS,
  replyBytes,
  requestBytes,
  TARGET_MB,
  uploadCache,
  VARIANTS,
} from './make-corpus.ts';

/** Bump when the traffic changes, so a cached file of the old shape is not reused. */
const VERSION = 2;
export const TLS_PCAP = join(tmpdir(), `toyscope-bench-tls-v${VERSION}-${TARGET_MB}mb.pcap`);
export const TLS_KEYLOG = `${TLS_PCAP}.keylog.txt`;

/** The client side of each suite in the rotation (the server accepts all of them). */
export const SUITES: ReadonlyArray<{ name: string; client: TlsExchange['client'] }> = [
  { name: 'TLS_AES_128_GCM_SHA256', client: { minVersion: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256' } },
  { name: 'TLS_CHACHA20_POLY1305_SHA256', client: { minVersion: 'TLSv1.3', ciphers: 'TLS_CHACHA20_POLY1305_SHA256' } },
  {
    name: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    client: { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' },
  },
  {
    name: 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA',
    client: { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA' },
  },
];

/** A recorder whose server takes every suite of {@link SUITES}. */
export const openRecorder = (): Promise<TlsRecorder> => TlsRecorder.open({ ...TEST_CERTS.ec, ciphers: 'ALL' });

/** One keep-alive connection of 2–8 requests, recorded as a TLS session; frames of its TCP conversation. */
async function connection(
  recorder: TlsRecorder,
  n: number,
  draw: () => number,
  uploads: ReturnType<typeof uploadCache>,
): Promise<{ frames: Frame[]; keyLog: string }> {
  const host = HOSTS[draw() % HOSTS.length] as string;
  const requests = 2 + (draw() % 7);
  const up: Buffer[] = [];
  const down: Buffer[] = [];
  for (let r = 0; r < requests; r++) {
    up.push(Buffer.from(requestBytes(uploads(kindOf(draw()), draw() % VARIANTS), host, n + r, r === requests - 1)));
    down.push(Buffer.from(replyBytes(n + r)));
  }
  const suite = SUITES[n % SUITES.length]!;
  const rec = await recorder.record({ client: { ...suite.client, servername: host }, upload: up, download: down });
  const exchanges: Array<['up' | 'down', Uint8Array]> = [];
  for (const [dir, bytes] of rec.exchanges) {
    for (let at = 0; at < bytes.length; at += MSS) exchanges.push([dir, bytes.subarray(at, at + MSS)]);
  }
  const frames = deviceConversation(n, host, 443, exchanges);
  return { frames, keyLog: rec.keyLog };
}

/** Returns the capture's and the key log's paths, writing them first unless complete ones are already there. */
export async function ensureTlsPcap(
  file = TLS_PCAP,
  keyLog = TLS_KEYLOG,
  targetBytes = TARGET_MB * 1024 * 1024,
): Promise<{ pcap: string; keyLog: string }> {
  if (existsSync(file) && existsSync(keyLog) && statSync(file).size >= targetBytes) return { pcap: file, keyLog };
  const uploads = uploadCache();
  const draw = rng(2025);
  const recorder = await openRecorder();
  const tmp = `${file}.${process.pid}`;
  const tmpKeys = `${keyLog}.${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, pcapHeader());
    let written = 24;
    let ts = 1_700_000_000_000_000;
    for (let wave = 0; written < targetBytes; wave++) {
      const convs: Frame[][] = [];
      let keys = '';
      for (let i = 0; i < CONCURRENT; i++) {
        const c = await connection(recorder, wave * CONCURRENT + i, draw, uploads);
        convs.push(c.frames);
        keys += c.keyLog;
      }
      const w = interleave(convs, ts);
      ts = w.ts;
      writeSync(fd, w.records);
      appendFileSync(tmpKeys, keys);
      written += w.records.length;
    }
  } finally {
    closeSync(fd);
    recorder.close();
  }
  renameSync(tmpKeys, keyLog);
  renameSync(tmp, file);
  return { pcap: file, keyLog };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { pcap, keyLog } = await ensureTlsPcap();
  process.stdout.write(`${pcap}\n${keyLog}\n`);
}

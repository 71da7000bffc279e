/**
 * Makes the replay bench's capture: ≥ 200 MB of mixed HTTP/1.1 in a classic pcap (Ethernet, IPv4) in the OS temp
 * directory, never committed, reused while its name (version + size stamp) matches. Eight devices (127.0.0.2–9,
 * each its own MAC) talk to real-looking cloud hosts (Host headers; servers on 127.1.0.x) over keep-alive
 * connections, 48 at a time interleaved packet by packet: JSON telemetry, gzip JSON batches, chunked WAV uploads,
 * multipart forms with JPEG-like and WAV-like parts, base64 audio in JSON, raw binary; replies are small JSON.
 * PHOTOS_PCAP is the same traffic but for two of the eight multipart variants, which carry real photos (REAL_PHOTOS,
 * one form in four), so the face detector runs, fast pass and second pass, as on a toy's real uploads (ADR 0027).
 * Bodies are cut in 1448-byte segments and about one connection in three has two segments swapped (out of order).
 * Run directly (`npx tsx bench/make-corpus.ts`) it prints the file's path.
 */
import { closeSync, existsSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Frame, pcapHeader, pcapRecord, tcpConversation } from '../testkit/pcap-writer.ts';
import { type BodyKind, kindOf, realPhoto, rng, type Upload, upload } from './corpus.ts';

/** Bump when the traffic changes, so a cached file of the old shape is not reused. */
const VERSION = 1;
export const TARGET_MB = 210;
export const MIXED_PCAP = join(tmpdir(), `toyscope-bench-replay-v${VERSION}-${TARGET_MB}mb.pcap`);
export const PHOTOS_PCAP = join(tmpdir(), `toyscope-bench-replay-photos-v${VERSION}-${TARGET_MB}mb.pcap`);

/** Connections interleaved packet by packet, segment size, body variants per kind. */
export const CONCURRENT = 48;
export const MSS = 1448;
export const VARIANTS = 8;
const CHUNKED_PIECE = 4096;

/** Cloud hosts a toy talks to, first party and third party. */
export const HOSTS = [
  'api.toycloud.cn',
  'a3kx9example-ats.iot.us-east-1.amazonaws.com',
  'openapi.tuyaus.com',
  'firebaseinstallations.googleapis.com',
  'api.mixpanel.com',
  'toy-media.oss-cn-shanghai.aliyuncs.com',
  'speech.platform.bing.com',
  'log.umsns.com',
];

const enc = new TextEncoder();

/** The bytes of one request on the wire: head, then the body framed by Content-Length or chunked encoding. */
export function requestBytes(u: Upload, host: string, n: number, last: boolean): Uint8Array {
  const chunked = u.kind === 'chunked-wav';
  const lines = [
    `POST ${u.path}?sn=TOY${n % 100000} HTTP/1.1`,
    `Host: ${host}`,
    'User-Agent: ToyOS/2.3 (okhttp/3.12.1)',
    ...u.headers.map(([k, v]) => `${k}: ${v}`),
    chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${u.body.length}`,
    ...(last ? ['Connection: close'] : []),
  ];
  const head = enc.encode(`${lines.join('\r\n')}\r\n\r\n`);
  if (!chunked) return Buffer.concat([head, u.body]);
  const parts: Uint8Array[] = [head];
  for (let at = 0; at < u.body.length; at += CHUNKED_PIECE) {
    const piece = u.body.subarray(at, at + CHUNKED_PIECE);
    parts.push(enc.encode(`${piece.length.toString(16)}\r\n`), piece, enc.encode('\r\n'));
  }
  parts.push(enc.encode('0\r\n\r\n'));
  return Buffer.concat(parts);
}

/** A small JSON reply. */
export function replyBytes(n: number): Uint8Array {
  const body = `{"code":0,"msg":"ok","seq":${n}}`;
  return enc.encode(
    `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  );
}

/** Connection `n` of device 127.0.0.(2 + n % 8) (its own MAC) to `host`'s server on 127.1.0.x, as frames. */
export function deviceConversation(
  n: number,
  host: string,
  sport: number,
  exchanges: Array<['up' | 'down', Uint8Array]>,
): Frame[] {
  const dev = 2 + (n % 8);
  return tcpConversation({
    client: `127.0.0.${dev}`,
    server: `127.1.0.${1 + HOSTS.indexOf(host)}`,
    cport: 32768 + (n % 28000),
    sport,
    isn: Math.imul(n + 1, 2654435761) >>> 0,
    exchanges,
    eth: { src: `02:00:00:00:00:0${dev}`, dst: '02:00:00:00:01:01' },
  });
}

/** One keep-alive connection of 2–8 request/reply pairs, as frames; some upload segments swapped. */
function connection(n: number, draw: () => number, uploads: (k: BodyKind, v: number) => Upload): Frame[] {
  const host = HOSTS[draw() % HOSTS.length] as string;
  const requests = 2 + (draw() % 7);
  const exchanges: Array<['up' | 'down', Uint8Array]> = [];
  for (let r = 0; r < requests; r++) {
    const bytes = requestBytes(uploads(kindOf(draw()), draw() % VARIANTS), host, n + r, r === requests - 1);
    for (let at = 0; at < bytes.length; at += MSS) exchanges.push(['up', bytes.subarray(at, at + MSS)]);
    exchanges.push(['down', replyBytes(n + r)]);
  }
  const frames = deviceConversation(n, host, 80, exchanges);
  if (n % 3 === 0) {
    // frames[2 + k] carries exchange k: swap two adjacent upload segments in the middle of the connection.
    for (let k = exchanges.length >> 1; k + 1 < exchanges.length; k++) {
      if (exchanges[k]?.[0] === 'up' && exchanges[k + 1]?.[0] === 'up') {
        [frames[2 + k], frames[3 + k]] = [frames[3 + k] as Frame, frames[2 + k] as Frame];
        break;
      }
    }
  }
  return frames;
}

/**
 * Upload bodies by kind and variant, each made once and reused; the first `photos.length` multipart variants carry
 * those real photos instead of a JPEG-like part.
 */
export function uploadCache(photos: readonly string[] = []): (k: BodyKind, v: number) => Upload {
  const cache = new Map<string, Upload>();
  return (k, v) => {
    const key = `${k}/${v}`;
    const photo = photos[v];
    const u = cache.get(key) ?? upload(k, 1000 + v, k === 'multipart' && photo ? realPhoto(photo) : undefined);
    cache.set(key, u);
    return u;
  };
}

/** Concurrent connections' frames interleaved packet by packet as pcap records, 7 µs apart from `ts` on. */
export function interleave(convs: Frame[][], ts: number): { records: Buffer; ts: number } {
  const longest = Math.max(...convs.map((c) => c.length));
  const recs: Uint8Array[] = [];
  for (let k = 0; k < longest; k++) {
    for (const c of convs) {
      const f = c[k];
      if (!f) continue;
      ts += 7;
      recs.push(pcapRecord({ ts, data: f.data }));
    }
  }
  return { records: Buffer.concat(recs), ts };
}

/**
 * Returns the capture's path, writing it first unless a complete one is already there; `photos` as uploadCache's
 * (PHOTOS_PCAP: REAL_PHOTOS).
 */
export function ensureMixedPcap(
  file = MIXED_PCAP,
  targetBytes = TARGET_MB * 1024 * 1024,
  photos: readonly string[] = [],
): string {
  if (existsSync(file) && statSync(file).size >= targetBytes) return file;
  const uploads = uploadCache(photos);
  const draw = rng(2024);
  const tmp = `${file}.${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, pcapHeader());
    let written = 24;
    let ts = 1_700_000_000_000_000;
    for (let wave = 0; written < targetBytes; wave++) {
      const convs = Array.from({ length: CONCURRENT }, (_, i) => connection(wave * CONCURRENT + i, draw, uploads));
      const w = interleave(convs, ts);
      ts = w.ts;
      writeSync(fd, w.records);
      written += w.records.length;
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  return file;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.stdout.write(`${ensureMixedPcap()}\n`);

/**
 * Records the replay bench's small-message captures: a chatty device's shape, many small HTTP/1.1 requests on
 * keep-alive connections. Recorded, not generated: a local origin (node:http on 127.1.0.1), keep-alive clients
 * (node:http agents, 4 sockets per device, eight devices bound to 127.0.0.2–9, real-looking cloud Host headers) and
 * tcpdump on the loopback interface filtered to the origin's port. Requests are GETs with a query string (7 in 10)
 * and small JSON telemetry POSTs (200–800 bytes). Two shapes differ only in the replies (CHATTY_SHAPES):
 * - `status`: a one-line JSON status (≈ 60 bytes), ≈ 620 bytes of capture per exchange: per-message costs alone;
 * - `feed`: a device's content feed, 18–24 items of JSON (≈ 3 KB), ≈ 3.6 KB per exchange: the shape of the capture
 *   issue 20 measured (359 MB for 99,462 requests).
 * Bounded: CHATTY_REQUESTS requests (BENCH_CHATTY_REQUESTS) within RECORD_TIMEOUT_MS. Each file is kept in the OS
 * temp directory and reused while its name (shape, version, request count) matches. Run directly
 * (`npx tsx bench/record-chatty-corpus.ts`) it records both and prints their paths.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { rng } from './corpus.ts';
import { HOSTS } from './make-corpus.ts';

/** Bump when the traffic changes, so a cached file of the old shape is not reused. */
const VERSION = 1;
export const CHATTY_REQUESTS = Number(process.env.BENCH_CHATTY_REQUESTS ?? 20_000);
/** What the origin replies, by shape (see the header). */
export const CHATTY_SHAPES = {
  status: (k: number) => ({ code: 0, msg: 'ok', ts: Date.now(), next: k }),
  feed: (k: number) => ({
    code: 0,
    msg: 'ok',
    ts: Date.now(),
    next: k,
    items: Array.from({ length: 18 + k }, (_, i) => ({
      id: `c${1000 + i * 7 + k}`,
      title: `Bedtime story ${i}`,
      url: `https://cdn.example-toy.com/stories/${1000 + i}.mp3`,
      dur: 120 + i * 13,
      tags: ['sleep', 'calm'],
    })),
  }),
} as const;
export type ChattyShape = keyof typeof CHATTY_SHAPES;
export const chattyPcap = (shape: ChattyShape, requests = CHATTY_REQUESTS): string =>
  join(tmpdir(), `toyscope-bench-chatty-${shape}-v${VERSION}-${requests}.pcap`);
const ORIGIN = '127.1.0.1';
const DEVICES = 8;
const SOCKETS_PER_DEVICE = 4;
const RECORD_TIMEOUT_MS = 300_000;

/** What the recording says about itself. */
export interface ChattyCorpus {
  shape: ChattyShape;
  file: string;
  requests: number;
  /** Packets tcpdump reported dropped by the kernel (0 on a complete capture); undefined for a cached file. */
  dropped?: number;
}

/** The capture of one shape, recorded when missing. Needs tcpdump and the right to capture on `lo` (root). */
export async function ensureChattyPcap(shape: ChattyShape, requests = CHATTY_REQUESTS): Promise<ChattyCorpus> {
  const file = chattyPcap(shape, requests);
  if (existsSync(file)) return { shape, file, requests };
  const tmp = `${file}.${process.pid}`;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify(CHATTY_SHAPES[shape]((req.url?.length ?? 0) % 7));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((ok) => server.listen(0, ORIGIN, ok));
  const { port } = server.address() as AddressInfo;
  let dump: ChildProcess | undefined;
  const deadline = setTimeout(() => {
    server.closeAllConnections();
    dump?.kill('SIGKILL');
  }, RECORD_TIMEOUT_MS);
  try {
    const started = await startTcpdump(tmp, port);
    dump = started.proc;
    await sendAll(port, requests);
    const dropped = await stopTcpdump(started);
    renameSync(tmp, file);
    return { shape, file, requests, dropped };
  } finally {
    clearTimeout(deadline);
    server.closeAllConnections();
    server.close();
    rmSync(tmp, { force: true });
  }
}

/** `requests` requests from DEVICES devices, SOCKETS_PER_DEVICE at a time each, on keep-alive agents. */
async function sendAll(port: number, requests: number): Promise<void> {
  const next32 = rng(2026);
  const draw = () => next32() / 2 ** 32;
  const agents = Array.from(
    { length: DEVICES },
    (_, d) => new Agent({ keepAlive: true, maxSockets: SOCKETS_PER_DEVICE, localAddress: `127.0.0.${2 + d}` }),
  );
  let next = 0;
  const lane = async (device: number): Promise<void> => {
    while (next < requests) {
      const n = next++;
      await send(port, agents[device]!, HOSTS[device % HOSTS.length]!, n, draw);
    }
  };
  const lanes: Promise<void>[] = [];
  for (let d = 0; d < DEVICES; d++) for (let s = 0; s < SOCKETS_PER_DEVICE; s++) lanes.push(lane(d));
  await Promise.all(lanes);
  for (const a of agents) a.destroy();
}

function send(port: number, agent: Agent, host: string, n: number, draw: () => number): Promise<void> {
  const sn = `TS${(100000 + (n % 997)).toString()}`;
  const post = draw() < 0.3;
  const body = post ? telemetry(n, sn, draw) : '';
  const path = post ? '/v1/telemetry' : `/v1/device/status?sn=${sn}&seq=${n}&fw=2.4.${n % 9}&t=${1_700_000_000 + n}`;
  return new Promise((ok, fail) => {
    const req = request(
      {
        host: ORIGIN,
        port,
        agent,
        method: post ? 'POST' : 'GET',
        path,
        headers: {
          host,
          'user-agent': 'toy-fw/2.4 (rtos)',
          ...(post ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', ok);
        res.on('error', fail);
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

/** A small JSON telemetry body, 200–800 bytes: battery, signal, a few counters, padded with an event list. */
function telemetry(n: number, sn: string, draw: () => number): string {
  const events = Array.from({ length: 1 + Math.floor(draw() * 12) }, (_, i) => ({
    e: ['wake', 'play', 'sleep', 'button'][i % 4],
    at: 1_700_000_000 + n + i,
  }));
  return JSON.stringify({ sn, seq: n, battery: Math.floor(draw() * 100), rssi: -40 - Math.floor(draw() * 50), events });
}

interface Tcpdump {
  proc: ChildProcess;
  stderr: () => string;
}

/** tcpdump on lo for the origin's port, resolved once it says it is listening. */
function startTcpdump(file: string, port: number): Promise<Tcpdump> {
  const proc = spawn('tcpdump', ['-i', 'lo', '-n', '-s', '0', '-B', '32768', '-w', file, `tcp port ${port}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  return new Promise((ok, fail) => {
    proc.on('error', fail);
    proc.on('exit', (code) => fail(new Error(`tcpdump exited ${code}: ${err.trim()}`)));
    proc.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('listening on')) ok({ proc, stderr: () => err });
    });
  });
}

/** Stops tcpdump (SIGINT flushes the file) and returns the packets it says the kernel dropped. */
async function stopTcpdump(t: Tcpdump): Promise<number> {
  // Let the last segments (FINs after the agents are destroyed) reach the capture.
  await new Promise((ok) => setTimeout(ok, 500));
  t.proc.removeAllListeners('exit');
  const exited = new Promise((ok) => t.proc.once('exit', ok));
  t.proc.kill('SIGINT');
  await exited;
  return Number(/(\d+) packets? dropped by kernel/.exec(t.stderr())?.[1] ?? 0);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const shape of Object.keys(CHATTY_SHAPES) as ChattyShape[]) {
    const c = await ensureChattyPcap(shape);
    process.stdout.write(`${c.file}${c.dropped ? ` (${c.dropped} packets dropped by the kernel)` : ''}\n`);
  }
}

/**
 * The live proxy against its peers, in one run on loopback (issue 14's goals): the direct path, a minimal Node
 * TLS-terminating relay (the floor), toyscope in three stages (TLS relay only; + stream layer; + pipeline and
 * every analyzer), mitmdump from Debian's mitmproxy (explicit mode, and with `stream_large_bodies=1m`) and
 * http-mitm-proxy. Figures per peer: small HTTPS requests/s and p99 at concurrency 16; one large upload (1 GiB,
 * and 64 MiB) MB/s with the proxy's peak RSS over its idle RSS; 100 parallel 1 MiB uploads MB/s and peak RSS; a
 * new host's handshake cost over a known host's; RSS of 1,000 idle connections. Every proxy runs in its own
 * process (bench/proxy-child.ts, or mitmdump), started fresh where a peak RSS is measured. mitmdump is installed
 * with `fixtures/make/tools.sh`-style apt-get when missing; without it its figures say `skipped`.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { caCertificate, forgePublicKey, issuerOf, leafCertificate } from '../proxy/x509.ts';
import { round } from './measure.ts';
import { handshakeMs, idleConnections, type Route, smallRequests, uploads } from './proxy-load.ts';
import type { Bench, Emit } from './run.ts';

const here = dirname(fileURLToPath(import.meta.url));
const env = (k: string, d: number) => Number(process.env[k] ?? d);
const SMALL_REQUESTS = env('BENCH_PROXY_REQUESTS', 4000);
const BIG_MIB = env('BENCH_PROXY_BIG_MIB', 1024);
const IDLE = env('BENCH_PROXY_IDLE', 1000);
const PARALLEL = env('BENCH_PROXY_PARALLEL', 100);
const MAX_MS = 60_000;
const NAME = 'api.bench-cloud.example';

interface Peer {
  name: string;
  /** How to start it (undefined: the direct path, no proxy). */
  start?: (dir: string) => Promise<Running>;
  /** Peers that buffer whole bodies get the small upload only. */
  buffers?: boolean;
}

interface Running {
  port: number;
  pid: number;
  stop(): void;
}

const child = (mode: string, envOf?: (dir: string) => Record<string, string>) => (dir: string) =>
  startProcess(
    process.execPath,
    ['--import', 'tsx', join(here, 'proxy-child.ts'), mode, dir],
    envOf?.(dir) ?? {},
    true,
  );

const mitmdump = (extra: string[]) => async (dir: string) => {
  const port = await freePort();
  const args = ['-q', '--listen-host', '127.0.0.1', '-p', String(port), '--set', `confdir=${join(dir, 'mitm')}`];
  args.push('--set', `ssl_verify_upstream_trusted_ca=${join(dir, 'cloud-ca.pem')}`, ...extra);
  const r = await startProcess('mitmdump', args, {}, false);
  await waitForPort(port);
  return { ...r, port };
};

const PEERS: Peer[] = [
  { name: 'direct' },
  { name: 'node-relay', start: child('node-relay') },
  { name: 'toyscope-relay', start: child('toyscope-relay') },
  { name: 'toyscope-streams', start: child('toyscope-streams') },
  { name: 'toyscope-full', start: child('toyscope-full') },
  { name: 'mitmdump', start: mitmdump([]), buffers: true },
  { name: 'mitmdump-stream-1m', start: mitmdump(['--set', 'stream_large_bodies=1m']) },
  // Its upstream requests trust the cloud CA through node's extra CA file, read at start.
  {
    name: 'http-mitm-proxy',
    start: child('http-mitm-proxy', (dir) => ({ NODE_EXTRA_CA_CERTS: join(dir, 'cloud-ca.pem') })),
  },
];

const bench: Bench = async (emit) => {
  const dir = mkdtempSync(join(tmpdir(), 'toyscope-bench-proxy-'));
  writeCerts(dir);
  const hasMitmdump = ensureMitmdump();
  const origin = await child('origin')(dir);
  const chunk = randomBytes(1024 * 1024);
  try {
    const only = process.env.BENCH_PROXY_PEERS?.split(',');
    for (const peer of PEERS.filter((p) => !only || only.includes(p.name))) {
      if (peer.name.startsWith('mitmdump') && !hasMitmdump) {
        emit({ bench: 'proxy', peer: peer.name, skipped: 'mitmdump not installed (apt-get install mitmproxy)' });
        continue;
      }
      process.stderr.write(`#   ${peer.name}\n`);
      await measurePeer(peer, dir, origin.port, chunk, emit);
    }
  } finally {
    origin.stop();
  }
};
export default bench;

async function measurePeer(peer: Peer, dir: string, originPort: number, chunk: Buffer, emit: Emit): Promise<void> {
  const base = { bench: 'proxy', peer: peer.name };
  const withProxy = async <T>(fn: (route: Route, p?: Running) => Promise<T>): Promise<T> => {
    const p = peer.start ? await peer.start(dir) : undefined;
    try {
      return await fn({ originPort, ...(p ? { proxyPort: p.port } : {}) }, p);
    } finally {
      p?.stop();
    }
  };
  await withProxy(async (route, p) => {
    const idle = p ? rssMiB(p.pid).rss : 0;
    const names = Array.from({ length: 20 }, (_, i) => `h${i}-${peer.name}.bench-cloud.example`);
    const hs = await handshakeMs(route, names, NAME);
    emit({
      ...base,
      figure: 'new-host',
      new_host_ms: round(hs.newHostMs, 2),
      known_host_ms: round(hs.knownHostMs, 2),
      cert_ms: round(hs.newHostMs - hs.knownHostMs, 2),
    });
    const small = await smallRequests(route, NAME, 16, SMALL_REQUESTS, MAX_MS);
    emit({
      ...base,
      figure: 'small-https',
      concurrency: 16,
      req_per_s: round(small.reqPerSec),
      p99_ms: round(small.p99Ms, 2),
      requests: small.requests,
      failed: small.failed,
    });
    if (p) {
      const conns = await idleConnections(route, NAME, IDLE).catch(() => undefined);
      const held = rssMiB(p.pid).rss;
      emit({
        ...base,
        figure: 'idle-connections',
        connections: conns?.length ?? 0,
        idle_rss_mib: idle,
        rss_mib: held,
        rss_delta_mib: round(held - idle),
      });
      for (const c of conns ?? []) c.destroy();
    }
  });
  const sizes = peer.buffers ? [64] : [64, BIG_MIB];
  for (const mib of sizes) {
    await withProxy(async (route, p) => {
      const idle = p ? rssMiB(p.pid).rss : 0;
      const r = await uploads(route, NAME, 1, mib * 1024 * 1024, chunk, MAX_MS * 2);
      const peak = p ? rssMiB(p.pid).hwm : 0;
      emit({
        ...base,
        figure: 'upload',
        mib,
        ...result(r),
        idle_rss_mib: idle,
        peak_rss_mib: peak,
        rss_over_idle_mib: round(peak - idle),
      });
    });
  }
  await withProxy(async (route, p) => {
    const idle = p ? rssMiB(p.pid).rss : 0;
    const r = await uploads(route, NAME, PARALLEL, 1024 * 1024, chunk, MAX_MS * 2);
    const peak = p ? rssMiB(p.pid).hwm : 0;
    emit({
      ...base,
      figure: 'parallel-uploads',
      uploads: PARALLEL,
      mib_each: 1,
      ...result(r),
      idle_rss_mib: idle,
      peak_rss_mib: peak,
    });
  });
}

function result(r: Awaited<ReturnType<typeof uploads>>): Record<string, number | boolean> {
  return r.timedOut
    ? { timed_out: true, seconds: round(r.seconds) }
    : { mb_per_s: round(r.mbPerSec), seconds: round(r.seconds), failed: r.failed };
}

/** The origin's certificate (`*.bench-cloud.example`, from a test cloud CA every proxy is told to trust). */
function writeCerts(dir: string): void {
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const caPem = caCertificate(keys, 'bench cloud root', 7);
  const leafKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const leaf = leafCertificate(
    issuerOf(caPem, keys.privateKey),
    '*.bench-cloud.example',
    forgePublicKey(leafKeys.publicKey),
    new Date(Date.now() + 7 * 86400e3),
  );
  writeFileSync(join(dir, 'cloud-ca.pem'), caPem);
  writeFileSync(join(dir, 'origin-cert.pem'), leaf.pem);
  writeFileSync(join(dir, 'origin-key.pem'), leafKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
}

/** mitmdump on PATH, installing Debian's mitmproxy once if it is missing (bench tools install themselves). */
function ensureMitmdump(): boolean {
  if (spawnSync('mitmdump', ['--version'], { stdio: 'ignore' }).status === 0) return true;
  const apt = join(here, '..', '.ci', 'apt-install.sh');
  spawnSync('bash', [apt, 'mitmproxy'], { stdio: 'inherit', timeout: 600_000 });
  return spawnSync('mitmdump', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Starts a process; with `announces`, waits for its `{"port":N}` line. */
function startProcess(
  cmd: string,
  args: string[],
  extraEnv: Record<string, string>,
  announces: boolean,
): Promise<Running> {
  return new Promise((resolve, reject) => {
    const p: ChildProcess = spawn(cmd, args, {
      cwd: join(here, '..'),
      env: { ...process.env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const stop = () => p.kill('SIGKILL');
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`${cmd} did not start`));
    }, 60_000);
    if (!announces) {
      clearTimeout(timer);
      resolve({ port: 0, pid: p.pid!, stop });
      return;
    }
    let out = '';
    p.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /\{"port":(\d+)\}/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), pid: p.pid!, stop });
      }
    });
    p.once('exit', (code) => reject(new Error(`${cmd} exited ${code}`)));
  });
}

/** Current and peak resident set size of a process, MiB (from /proc). */
function rssMiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: round(kib('VmRSS') / 1024), hwm: round(kib('VmHWM') / 1024) };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((r) => {
      const s = netConnect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`nothing listens on ${port}`);
}

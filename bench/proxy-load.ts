/**
 * The load the proxy bench puts through each peer, as a device would: CONNECT to the proxy (or straight to the
 * origin for the direct path), TLS with an SNI name, then HTTP/1.1 keep-alive requests written by hand and
 * answers read by Content-Length (no HTTP library in the measured path). Every loop is bounded in count and time.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';

/** Where connections go: through a proxy's CONNECT, or directly to the origin. */
export interface Route {
  proxyPort?: number;
  originPort: number;
}

/** A TLS connection to the origin (through the proxy when it has one), SNI `name`, certificate not checked. */
export async function openTls(route: Route, name: string, timeoutMs = 30_000): Promise<TLSSocket> {
  let raw: Socket | undefined;
  if (route.proxyPort !== undefined) {
    raw = await connectTunnel(route.proxyPort, route.originPort, timeoutMs);
  }
  return new Promise((resolve, reject) => {
    const s = raw
      ? tlsConnect({ socket: raw, servername: name, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] })
      : tlsConnect({
          host: '127.0.0.1',
          port: route.originPort,
          servername: name,
          rejectUnauthorized: false,
          ALPNProtocols: ['http/1.1'],
        });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('TLS handshake timed out'));
    }, timeoutMs);
    s.once('secureConnect', () => {
      clearTimeout(timer);
      s.setNoDelay(true);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

function connectTunnel(proxyPort: number, originPort: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect(proxyPort, '127.0.0.1', () =>
      s.write(`CONNECT 127.0.0.1:${originPort} HTTP/1.1\r\nHost: 127.0.0.1:${originPort}\r\n\r\n`),
    );
    let head = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('CONNECT timed out'));
    }, timeoutMs);
    const onData = (b: Buffer) => {
      head += b.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      s.off('data', onData);
      clearTimeout(timer);
      if (!/^HTTP\/1\.[01] 200/.test(head)) reject(new Error(`CONNECT answered ${head.split('\r\n')[0]}`));
      else resolve(s);
    };
    s.on('data', onData);
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Reads one HTTP response (Content-Length framed) from `s`; resolves with its status. */
function readResponse(s: TLSSocket, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    let need = -1;
    let status = 0;
    const done = (err?: Error) => {
      clearTimeout(timer);
      s.off('data', onData);
      s.off('close', onClose);
      if (err) reject(err);
      else resolve(status);
    };
    const onData = (b: Buffer) => {
      buf = buf.length === 0 ? b : Buffer.concat([buf, b]);
      if (need < 0) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        status = Number(head.slice(9, 12));
        need = end + 4 + Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      }
      if (buf.length >= need) done();
    };
    const onClose = () => done(new Error('connection closed before the response'));
    const timer = setTimeout(() => done(new Error('response timed out')), timeoutMs);
    s.on('data', onData);
    s.once('close', onClose);
  });
}

/** One request on a kept-alive connection (`host`: the Host field): head, then `bodyBytes` of `chunk`s with backpressure. */
export async function request(
  s: TLSSocket,
  host: string,
  bodyBytes: number,
  chunk: Buffer,
  timeoutMs = 120_000,
): Promise<number> {
  const answer = readResponse(s, timeoutMs);
  answer.catch(() => {}); // awaited below; a body still being written when it fails must not leave it unhandled
  s.on('error', () => {});
  const head =
    bodyBytes > 0
      ? `POST /upload HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${bodyBytes}\r\n\r\n`
      : `GET /status?sn=TY12345 HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: toy/1.0\r\n\r\n`;
  s.write(head);
  for (let sent = 0; sent < bodyBytes; ) {
    const part = bodyBytes - sent >= chunk.length ? chunk : chunk.subarray(0, bodyBytes - sent);
    sent += part.length;
    if (!s.write(part)) await new Promise<void>((r) => s.once('drain', () => r()));
  }
  return answer;
}

/** Small GETs from `concurrency` kept-alive connections until `total` are done or `maxMs` passed. */
export async function smallRequests(route: Route, name: string, concurrency: number, total: number, maxMs: number) {
  const latencies: number[] = [];
  const deadline = Date.now() + maxMs;
  let started = 0;
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      const s = await openTls(route, name);
      while (started < total && Date.now() < deadline) {
        started++;
        const t = performance.now();
        const status = await request(s, `${name}:${route.originPort}`, 0, Buffer.alloc(0), 10_000).catch(() => 0);
        if (status !== 200) failed++;
        latencies.push(performance.now() - t);
      }
      s.destroy();
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    reqPerSec: latencies.length / seconds,
    p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? 0,
    requests: latencies.length,
    failed,
  };
}

/** `count` parallel uploads of `bytes` each, one connection each; MB/s of body bytes. */
export async function uploads(route: Route, name: string, count: number, bytes: number, chunk: Buffer, maxMs: number) {
  const t0 = performance.now();
  let failed = 0;
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), maxMs).unref());
  const open: TLSSocket[] = [];
  const work = Promise.all(
    Array.from({ length: count }, async () => {
      const s = await openTls(route, name);
      open.push(s);
      const status = await request(s, `${name}:${route.originPort}`, bytes, chunk, maxMs).catch(() => 0);
      if (status !== 200) failed++;
      s.destroy();
    }),
  );
  work.catch(() => {});
  const r = await Promise.race([work, timeout]);
  const seconds = (performance.now() - t0) / 1000;
  if (r === 'timeout') {
    for (const s of open) s.destroy();
    return { timedOut: true as const, seconds };
  }
  return { timedOut: false as const, mbPerSec: (count * bytes) / (1024 * 1024) / seconds, seconds, failed };
}

/** Handshake time (ms, median) for connections with new SNI names, and with one name seen before. */
export async function handshakeMs(route: Route, names: string[], known: string) {
  const fresh: number[] = [];
  const seen: number[] = [];
  for (const name of names) {
    for (const [n, into] of [
      [name, fresh],
      [known, seen],
    ] as const) {
      const t = performance.now();
      const s = await openTls(route, n);
      into.push(performance.now() - t);
      s.destroy();
    }
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { newHostMs: median(fresh), knownHostMs: median(seen) };
}

/** Opens `count` idle TLS connections through the route (in batches); returns them to be closed later. */
export async function idleConnections(route: Route, name: string, count: number, batch = 50): Promise<TLSSocket[]> {
  const open: TLSSocket[] = [];
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    open.push(...(await Promise.all(Array.from({ length: n }, () => openTls(route, name)))));
  }
  return open;
}

/**
 * One process of the proxy bench (`node --import tsx bench/proxy-child.ts MODE DIR`), so each proxy's memory is
 * its own: the HTTPS origin, the toyscope proxy in three stages (TLS relay with a tap that does nothing; + the
 * stream layer; + the analysis pipeline with every analyzer), a minimal Node TLS-terminating relay (the floor
 * this runtime allows) and http-mitm-proxy. It prints `{"port":N}` once listening and runs until killed.
 * DIR holds the origin's key and certificate and the cloud CA (written by proxy.bench.ts).
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer, connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { createSecureContext, TLSSocket, connect as tlsConnect } from 'node:tls';
import { createCa, loadCa } from '../proxy/ca.ts';
import { CertCache } from '../proxy/cert-cache.ts';
import { startProxy } from '../proxy/server.ts';
import { type OpenTap, streamTaps } from '../proxy/tap.ts';
import { analysisPipeline } from '../src/analysis.ts';
import { defaultConfig } from '../src/config.ts';
import { DEFAULT_LIMITS } from '../src/model/limits.ts';
import type { PipelineOutput } from '../src/pipeline/output.ts';

const [mode, dir] = process.argv.slice(2) as [string, string];
const ready = (port: number) => process.stdout.write(`${JSON.stringify({ port })}\n`);
const cloudCa = () => readFileSync(join(dir, 'cloud-ca.pem'), 'utf8');
const toyscopeCa = () => loadCa(join(dir, 'toyscope-ca')) ?? createCa(join(dir, 'toyscope-ca'));

/** Discards everything the pipeline outputs: the figure is the analysis, not a sink. */
const NULL_OUTPUT: PipelineOutput = { flow() {}, message() {}, finding() {}, violation() {}, evidence() {} };

if (mode === 'origin') {
  const server = createHttpsServer(
    { key: readFileSync(join(dir, 'origin-key.pem')), cert: readFileSync(join(dir, 'origin-cert.pem')) },
    (req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => {
        n += c.length;
      });
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(`{"ok":true,"bytes":${n}}`);
      });
    },
  );
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => ready((server.address() as AddressInfo).port));
} else if (mode.startsWith('toyscope-')) {
  const limits = DEFAULT_LIMITS;
  let openTap: OpenTap;
  if (mode === 'toyscope-relay') openTap = () => ({ data() {}, close() {} });
  else {
    const emit =
      mode === 'toyscope-full'
        ? (
            (p) => (ev: Parameters<typeof p.push>[0]) =>
              p.push(ev)
          )(analysisPipeline(defaultConfig, NULL_OUTPUT))
        : () => {};
    openTap = streamTaps({ emit, violation: () => {}, limits });
  }
  const proxy = await startProxy({
    listen: { host: '127.0.0.1', port: 0 },
    ca: toyscopeCa(),
    limits,
    upstream: { resolve: new Map(), extraCa: [cloudCa()], insecure: false, clientCerts: [] },
    passthrough: [],
    openTap,
  });
  ready(proxy.address.port);
} else if (mode === 'node-relay') {
  // CONNECT, 200, terminate TLS with one certificate per SNI (cached), TLS to the origin, pipe both ways.
  const certs = new CertCache(toyscopeCa(), 1000);
  const ca = cloudCa();
  const upstreamCtx = createSecureContext({ ca });
  const server = createServer((sock) => {
    sock.once('data', (head: Buffer) => {
      const m = /^CONNECT ([^:\s]+):(\d+) /.exec(head.toString('latin1'));
      if (!m) return sock.destroy();
      const cloud = netConnect(Number(m[2]), m[1], () => {
        sock.write('HTTP/1.1 200 OK\r\n\r\n');
        const dev = new TLSSocket(sock, {
          isServer: true,
          ALPNProtocols: ['http/1.1'],
          SNICallback: (name, cb) => cb(null, certs.contextFor(name)),
        });
        dev.once('secure', () => {
          const up = tlsConnect({
            socket: cloud,
            servername: dev.servername || 'localhost',
            secureContext: upstreamCtx,
          });
          dev.pipe(up).pipe(dev);
          up.on('error', () => dev.destroy());
          dev.on('error', () => up.destroy());
        });
        dev.on('error', () => cloud.destroy());
      });
      cloud.on('error', () => sock.destroy());
    });
    sock.on('error', () => {});
  });
  server.listen(0, '127.0.0.1', () => ready((server.address() as AddressInfo).port));
} else if (mode === 'http-mitm-proxy') {
  const hmp = await import('http-mitm-proxy');
  const proxy = new hmp.Proxy();
  proxy.onError(() => {});
  // No name resolves here: pin every host to the origin's address (what --resolve does for toyscope).
  proxy.onRequest((ctx, callback) => {
    ctx.proxyToServerRequestOptions!.host = '127.0.0.1';
    callback();
  });
  await new Promise<void>((resolve) =>
    proxy.listen({ port: 0, host: '127.0.0.1', sslCaDir: join(dir, 'hmp-ca'), forceSNI: true }, () => resolve()),
  );
  ready((proxy.httpServer!.address() as AddressInfo).port);
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}

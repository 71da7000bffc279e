/**
 * Real sockets on 127.0.0.1 for the proxy tests: local origin servers that answer for real cloud host names
 * (HTTPS with a certificate from a test "cloud CA" the proxy is told to trust, like `--upstream-ca`), a proxy
 * started in-process on the analysis pipeline as `toyscope proxy` builds it, and curl run asynchronously (the
 * proxy and the origins live in this process: a synchronous child would block them).
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { createCa } from '../../proxy/ca.ts';
import { type ProxyOptions, type RunningProxy, startProxy } from '../../proxy/server.ts';
import { streamTaps } from '../../proxy/tap.ts';
import { caCertificate, forgePublicKey, issuerOf, leafCertificate } from '../../proxy/x509.ts';
import { analysisPipeline } from '../../src/analysis.ts';
import type { Config } from '../../src/config.ts';
import { defaultConfig } from '../../src/config.ts';
import { type Limits, resolveLimits } from '../../src/model/limits.ts';
import { CollectingOutput } from '../../src/pipeline/output.ts';
import type { Pipeline } from '../../src/pipeline/pipeline.ts';

/** A test root that signs the origins' certificates ("the cloud's CA"), and its PEM file. */
export interface CloudCa {
  pem: string;
  file: string;
  /** Key and certificate (PEM, leaf + nothing else) for a host. */
  leaf(host: string): { key: string; cert: string };
}

export function makeCloudCa(dir: string): CloudCa {
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = caCertificate(keys, 'test cloud root', 30);
  const file = join(dir, 'cloud-ca.pem');
  writeFileSync(file, pem);
  writeFileSync(join(dir, 'cloud-ca-key.pem'), keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const issuer = issuerOf(pem, keys.privateKey);
  const leafKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = leafKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const pub = forgePublicKey(leafKeys.publicKey);
  return {
    pem,
    file,
    leaf: (host) => ({ key, cert: leafCertificate(issuer, host, pub, new Date(Date.now() + 86400e3)).pem }),
  };
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** An HTTP (or HTTPS for `tls`) origin on 127.0.0.1, any free port. */
export async function origin(
  handler: Handler,
  tls?: { key: string; cert: string },
): Promise<{ server: Server; port: number }> {
  const server = tls ? createHttpsServer(tls, handler) : createHttpServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

/** An origin handler that reads the whole request (counting bytes) and answers JSON `{ok, bytes, path}`. */
export const echoSize: Handler = (req, res) => {
  let bytes = 0;
  req.on('data', (c: Buffer) => {
    bytes += c.length;
  });
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ok: true, bytes, path: req.url }));
  });
};

export interface TestProxy {
  proxy: RunningProxy;
  port: number;
  out: CollectingOutput;
  pipeline: Pipeline;
  dataDir: string;
  caFile: string;
  /** Closes the proxy and finishes the pipeline (every flow closed, deferred work drained). */
  stop(): Promise<void>;
}

/** A proxy on 127.0.0.1 feeding the analysis pipeline into a CollectingOutput. */
export async function testProxy(
  opts: Partial<Omit<ProxyOptions, 'upstream' | 'limits'>> & {
    upstream?: Partial<ProxyOptions['upstream']>;
    limits?: Partial<Limits>;
    config?: Config;
  } = {},
): Promise<TestProxy> {
  const { limits: overrides, config, upstream, ...rest } = opts;
  const dataDir = mkdtempSync(join(tmpdir(), 'toyscope-proxy-'));
  const ca = createCa(join(dataDir, 'ca'));
  const out = new CollectingOutput();
  const limits = resolveLimits(overrides);
  const pipeline = analysisPipeline(config ?? defaultConfig, out);
  const proxy = await startProxy({
    listen: { host: '127.0.0.1', port: 0 },
    ca,
    limits,
    passthrough: [],
    openTap: streamTaps({ emit: (ev) => pipeline.push(ev), violation: (v) => out.violation(v), limits }),
    ...rest,
    upstream: { resolve: new Map(), extraCa: [], insecure: false, clientCerts: [], ...upstream },
  });
  return {
    proxy,
    port: proxy.address.port,
    out,
    pipeline,
    dataDir,
    caFile: ca.certFile,
    async stop() {
      await proxy.close();
      pipeline.finish();
      await pipeline.drain();
    },
  };
}

export interface CurlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** curl with `args`, asynchronously, at most 30 s. */
export function curl(...args: string[]): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', '30', ...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

/** Waits until `cond()` holds (polling every 20 ms, at most `ms`): for effects that land after a socket closes. */
export async function until(cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A CONNECT tunnel through the proxy to `host:port` (what an app's HTTP client does before TLS). */
export function tunnel(proxyPort: number, host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: proxyPort, method: 'CONNECT', path: `${host}:${port}` });
    req.on('connect', (res, socket) => {
      if (res.statusCode === 200) resolve(socket);
      else reject(new Error(`CONNECT answered ${res.statusCode}`));
    });
    req.on('error', reject);
    req.end();
  });
}

/** TLS over a tunnel, trusting `ca` (the device trusts the toyscope CA). */
export function tlsOver(socket: Socket, servername: string, ca: string): TLSSocket {
  return tlsConnect({ socket, servername, ca, ALPNProtocols: ['http/1.1'] });
}

/**
 * A minimal MQTT 3.1.1 broker for one connection (the origin a device's MQTT client talks to): CONNACK to
 * CONNECT, PUBACK to QoS 1 PUBLISH, PINGRESP to PINGREQ; it counts the publishes it got.
 */
export class TinyBroker {
  publishes = 0;
  /** Feeds bytes from the client; `send` writes the broker's answers. */
  handler(send: (b: Buffer) => void): (chunk: Buffer) => void {
    let buf = Buffer.alloc(0);
    return (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        let len = 0;
        let mul = 1;
        let i = 1;
        for (; i < buf.length && i < 5; i++) {
          len += (buf[i]! & 0x7f) * mul;
          mul *= 128;
          if ((buf[i]! & 0x80) === 0) break;
        }
        if (i >= buf.length || buf.length < i + 1 + len) return;
        const type = buf[0]! >> 4;
        const qos = (buf[0]! >> 1) & 3;
        const body = buf.subarray(i + 1, i + 1 + len);
        buf = buf.subarray(i + 1 + len);
        if (type === 1) send(Buffer.from([0x20, 2, 0, 0]));
        else if (type === 3) {
          this.publishes++;
          if (qos > 0) {
            const topicLen = body.readUInt16BE(0);
            send(Buffer.from([0x40, 2, body[2 + topicLen]!, body[3 + topicLen]!]));
          }
        } else if (type === 12) send(Buffer.from([0xd0, 0]));
      }
    };
  }
}

/** Setup and teardown budget of the proxy suites: keys are made and processes started on a loaded machine. */
export const HOOK_MS = 120_000;

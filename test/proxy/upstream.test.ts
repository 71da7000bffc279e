/**
 * Reaching the cloud: through a lab's outbound proxy (--upstream-proxy), with a client certificate for an mTLS
 * cloud (tls.clientCerts), and ignored hosts relayed unread (--ignore-hosts / tls.passthrough).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CloudCa,
  curl,
  echoSize,
  HOOK_MS,
  makeCloudCa,
  origin,
  type TestProxy,
  testProxy,
  until,
} from './harness.ts';

describe('upstream options', () => {
  let cloud: CloudCa;
  let cloudDir: string;
  let plain: Awaited<ReturnType<typeof origin>>;
  let mtls: { server: ReturnType<typeof createHttpsServer>; port: number };
  let outbound: Server;
  let tunnels: string[];
  let p: TestProxy;

  beforeAll(async () => {
    cloudDir = mkdtempSync(join(tmpdir(), 'toyscope-cloud-'));
    cloud = makeCloudCa(cloudDir);
    plain = await origin(echoSize, cloud.leaf('api.tuyaus.com'));
    // An mTLS cloud: only clients with a certificate from the cloud CA get an answer.
    const server = createHttpsServer(
      {
        ...cloud.leaf('a1-ats.iot.eu-west-1.amazonaws.com'),
        ca: cloud.pem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
        res.end(JSON.stringify({ client: peer.subject?.CN ?? null }));
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    mtls = { server, port: (server.address() as AddressInfo).port };
    // A lab's outbound proxy: CONNECT only, it records what it was asked for.
    tunnels = [];
    outbound = createServer((sock) =>
      sock.once('data', (head: Buffer) => {
        const m = /^CONNECT (\S+):(\d+) /.exec(head.toString('latin1'));
        if (!m) return sock.destroy();
        tunnels.push(`${m[1]}:${m[2]}`);
        const up = connect(Number(m[2]), m[1], () => {
          sock.write('HTTP/1.1 200 Connection established\r\n\r\n');
          sock.pipe(up).pipe(sock);
        });
        up.on('error', () => sock.destroy());
      }),
    );
    await new Promise<void>((r) => outbound.listen(0, '127.0.0.1', r));
    const client = clientCertificate(cloudDir, 'toy-0001');
    p = await testProxy({
      upstream: {
        resolve: new Map([
          ['api.tuyaus.com', '127.0.0.1'],
          ['a1-ats.iot.eu-west-1.amazonaws.com', '127.0.0.1'],
          ['pinned.tuyaus.com', '127.0.0.1'],
        ]),
        extraCa: [cloud.pem],
        clientCerts: [{ hosts: ['*.amazonaws.com'], cert: client.cert, key: client.key }],
      },
      passthrough: ['pinned.tuyaus.com'],
    });
  }, HOOK_MS);
  afterAll(async () => {
    await p.stop();
    plain.server.close();
    mtls.server.close();
    outbound.close();
  }, HOOK_MS);

  it('presents the configured client certificate to an mTLS cloud', async () => {
    const r = await curl(
      '--proxy',
      `http://127.0.0.1:${p.port}`,
      '--cacert',
      p.caFile,
      `https://a1-ats.iot.eu-west-1.amazonaws.com:${mtls.port}/`,
    );
    expect(r.stdout).toBe('{"client":"toy-0001"}');
  });

  it('relays ignored hosts unread, recorded as passthrough with their SNI', async () => {
    // The device sees the cloud's own certificate: it trusts the cloud CA, not toyscope's.
    const pinned = await origin(echoSize, cloud.leaf('pinned.tuyaus.com'));
    const r = await curl(
      '--proxy',
      `http://127.0.0.1:${p.port}`,
      '--cacert',
      cloud.file,
      `https://pinned.tuyaus.com:${pinned.port}/p`,
    );
    pinned.server.close();
    expect(r.stdout, r.stderr).toContain('"path":"/p"');
    await until(() => [...p.out.flows.values()].some((f) => f.tls === 'passthrough' && f.closed));
    const flow = [...p.out.flows.values()].find((f) => f.tls === 'passthrough')!;
    expect(flow.server.host).toBe('pinned.tuyaus.com');
    expect(flow.tlsInfo?.sni).toBe('pinned.tuyaus.com');
    expect(flow.bytesUp).toBeGreaterThan(0);
  });

  it('chains through an upstream proxy', async () => {
    const chained = await testProxy({
      upstream: {
        resolve: new Map([['api.tuyaus.com', '127.0.0.1']]),
        extraCa: [cloud.pem],
        proxy: { host: '127.0.0.1', port: (outbound.address() as AddressInfo).port },
      },
    });
    try {
      const r = await curl(
        '--proxy',
        `http://127.0.0.1:${chained.port}`,
        '--cacert',
        chained.caFile,
        `https://api.tuyaus.com:${plain.port}/via`,
      );
      expect(r.stdout).toContain('"path":"/via"');
      expect(tunnels).toContain(`127.0.0.1:${plain.port}`);
    } finally {
      await chained.stop();
    }
  });
});

/** A device's client certificate (clientAuth) signed by the cloud CA, made with openssl as a lab would extract one. */
function clientCertificate(dir: string, cn: string): { cert: string; key: string } {
  const f = (n: string) => join(dir, n);
  writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  const run = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  run(
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('client-key.pem'),
    '-out',
    f('client.csr'),
    '-subj',
    `/CN=${cn}`,
  );
  run(
    'x509',
    '-req',
    '-in',
    f('client.csr'),
    '-CA',
    f('cloud-ca.pem'),
    '-CAkey',
    f('cloud-ca-key.pem'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    f('client.ext'),
    '-out',
    f('client.pem'),
  );
  return { cert: readFileSync(f('client.pem'), 'utf8'), key: readFileSync(f('client-key.pem'), 'utf8') };
}

/**
 * Failure is per flow: a device that refuses the certificate (its alert recorded), a dead cloud (502 on the
 * CONNECT), a cloud that never answers (504), malformed (400) and oversized (431) requests, a device that resets
 * mid-upload — each answered, recorded on its flow where there is one, and the next request still works.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionProblem } from '../../proxy/context.ts';
import {
  type CloudCa,
  curl,
  echoSize,
  HOOK_MS,
  makeCloudCa,
  origin,
  type TestProxy,
  testProxy,
  tlsOver,
  tunnel,
  until,
} from './harness.ts';

const HOSTS = ['api.tuyaus.com', 'dead.tuyaus.com', 'slow.tuyaus.com'];

describe('per-flow failures', () => {
  let cloud: CloudCa;
  let https: Awaited<ReturnType<typeof origin>>;
  let slow: ReturnType<typeof createServer>;
  let slowPort: number;
  let deadPort: number;
  let p: TestProxy;
  const problems: ConnectionProblem[] = [];
  const proxyArg = () => ['--proxy', `http://127.0.0.1:${p.port}`];

  beforeAll(async () => {
    cloud = makeCloudCa(mkdtempSync(join(tmpdir(), 'toyscope-cloud-')));
    https = await origin(echoSize, cloud.leaf('api.tuyaus.com'));
    slow = createServer(() => {}); // accepts, never answers
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    slowPort = (slow.address() as AddressInfo).port;
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    deadPort = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    p = await testProxy({
      upstream: { resolve: new Map(HOSTS.map((h) => [h, '127.0.0.1'])), extraCa: [cloud.pem] },
      limits: { PROXY_RESPONSE_TIMEOUT_MS: 500, MAX_HTTP_HEADER_BYTES: 4096 },
      onProblem: (pr) => problems.push(pr),
    });
  }, HOOK_MS);
  afterAll(async () => {
    await p.stop();
    https.server.close();
    slow.close();
  }, HOOK_MS);

  it('records a device that refuses the certificate with its alert, and still serves the next one', async () => {
    const r = await curl(...proxyArg(), `https://api.tuyaus.com:${https.port}/`);
    expect(r.code).toBe(60); // curl: certificate problem
    await until(() => flows(p).some((f) => f.tls === 'device-rejected-cert' && f.closed));
    const flow = flows(p).find((f) => f.tls === 'device-rejected-cert')!;
    expect(flow.server.host).toBe('api.tuyaus.com');
    expect(flow.error?.code).toBe('tls-device-alert');
    expect(flow.tlsInfo?.alerts?.[0]).toMatchObject({ from: 'client', name: 'unknown_ca', description: 48 });
    expect(flow.tlsInfo?.sni).toBe('api.tuyaus.com');
    const ok = await curl(...proxyArg(), '--cacert', p.caFile, `https://api.tuyaus.com:${https.port}/after`);
    expect(ok.stdout).toContain('"path":"/after"');
  });

  it('answers 502 to a CONNECT whose cloud refuses, and records the flow', async () => {
    const r = await curl(...proxyArg(), '--cacert', p.caFile, `https://dead.tuyaus.com:${deadPort}/`);
    expect(r.stderr).toMatch(/502/);
    await until(() => flows(p).some((f) => f.error?.code === 'upstream-refused'));
    const refused = flows(p).find((f) => f.error?.code === 'upstream-refused')!;
    expect(refused.server.host).toBe('dead.tuyaus.com');
    // The device that asked, though it had closed by the time the flow was recorded (it was 0.0.0.0).
    expect(refused.device.ip).toBe('127.0.0.1');
    expect(refused.deviceId).toBe('127.0.0.1');
  });

  it('names the device of a connection it cannot route, after the device closed it', async () => {
    await raw(p.port, 'GARBAGE\r\n\r\n');
    await until(() => problems.some((x) => x.code === 'unroutable'));
    expect(problems.find((x) => x.code === 'unroutable')!.client).toBe('127.0.0.1');
  });

  it('answers 504 when the cloud does not answer an HTTP request in time', async () => {
    const r = await curl(...proxyArg(), '-w', '%{http_code}', `http://slow.tuyaus.com:${slowPort}/`);
    expect(r.stdout).toMatch(/504$/);
    await until(() => flows(p).some((f) => f.error?.code === 'upstream-response-timeout'));
  });

  it('answers 400 to a malformed request and 431 to an oversized head', async () => {
    expect(await raw(p.port, 'GET http://api.tuyaus.com/ HTTP/1.1\r\nno colon here\r\n\r\n')).toMatch(
      /^HTTP\/1\.1 400/,
    );
    const big = `GET http://api.tuyaus.com/ HTTP/1.1\r\nX-Pad: ${'a'.repeat(8000)}\r\n\r\n`;
    expect(await raw(p.port, big)).toMatch(/^HTTP\/1\.1 431/);
    expect(await raw(p.port, 'CONNECT not a target HTTP/1.1\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
  });

  it('records a device that resets mid-upload; other flows keep working', async () => {
    const sock = await tunnel(p.port, 'api.tuyaus.com', https.port);
    const tls = tlsOver(sock, 'api.tuyaus.com', readFileSync(p.caFile, 'utf8'));
    await new Promise<void>((r) => tls.once('secureConnect', () => r()));
    tls.write('POST /upload HTTP/1.1\r\nHost: api.tuyaus.com\r\nContent-Length: 1000000\r\n\r\n');
    tls.write(Buffer.alloc(10_000));
    await new Promise((r) => setTimeout(r, 100));
    sock.resetAndDestroy();
    await until(() => flows(p).some((f) => f.error?.code === 'device-reset'));
    const ok = await curl(...proxyArg(), '--cacert', p.caFile, `https://api.tuyaus.com:${https.port}/still`);
    expect(ok.stdout).toContain('"path":"/still"');
  });
});

function flows(p: TestProxy) {
  return [...p.out.flows.values()];
}

/** Sends `text` to the proxy and returns what it answered before closing. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(text));
    let got = '';
    s.on('data', (b) => {
      got += b.toString('latin1');
    });
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
}

/**
 * curl through the proxy to local origins named by real cloud host names: plain HTTP (explicit proxy requests,
 * keep-alive, several hosts on one connection), HTTPS through CONNECT with the proxy's CA, and the findings the
 * shared stream layer and pipeline make of what was relayed.
 */

import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
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

const IMEI_BODY = JSON.stringify({ imei: '490154203237518', battery: 80 });

describe('curl through toyscope proxy', () => {
  let cloud: CloudCa;
  let https: { server: Server; port: number };
  let http: { server: Server; port: number };
  let p: TestProxy;

  beforeAll(async () => {
    cloud = makeCloudCa(mkdtempSync(join(tmpdir(), 'toyscope-cloud-')));
    https = await origin(echoSize, cloud.leaf('api.tuyaus.com'));
    http = await origin(echoSize);
    p = await testProxy({
      upstream: {
        resolve: new Map([
          ['api.tuyaus.com', '127.0.0.1'],
          ['log.umeng.com', '127.0.0.1'],
          ['a1.tuyaus.com', '127.0.0.1'],
        ]),
        extraCa: [cloud.pem],
      },
    });
  }, HOOK_MS);
  afterAll(async () => {
    await p.stop();
    https.server.close();
    http.server.close();
  }, HOOK_MS);

  it('intercepts HTTPS through CONNECT and finds what was uploaded', async () => {
    const r = await curl(
      '--proxy',
      `http://127.0.0.1:${p.port}`,
      '--cacert',
      p.caFile,
      '-H',
      'content-type: application/json',
      '--data',
      IMEI_BODY,
      `https://api.tuyaus.com:${https.port}/d.json`,
    );
    expect(r.stderr, r.stdout).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, bytes: IMEI_BODY.length, path: '/d.json' });
    await until(() => [...p.out.flows.values()].some((f) => f.server.host === 'api.tuyaus.com' && f.closed));
    const flow = [...p.out.flows.values()].find((f) => f.server.host === 'api.tuyaus.com')!;
    expect(flow).toMatchObject({ transport: 'http', tls: 'intercepted', source: 'live' });
    expect(flow.tlsInfo).toMatchObject({
      sni: 'api.tuyaus.com',
      serverVersion: expect.stringMatching(/^TLSv1\.[23]$/),
      cipher: expect.stringMatching(/^0x[0-9a-f]{4}$/),
    });
    expect(flow.tlsInfo?.certIssuer).toContain('test cloud root');
    const f = p.out.findings.find((x) => x.flowId === flow.id && x.category === 'identifiers');
    expect(f).toMatchObject({ subtype: 'imei', encrypted: true, destination: { host: 'api.tuyaus.com' } });
  });

  it('forwards plain HTTP proxy requests, one flow per host on a kept-alive connection', async () => {
    const r = await curl(
      '--proxy',
      `http://127.0.0.1:${p.port}`,
      '-H',
      'content-type: application/json',
      '--data',
      IMEI_BODY,
      `http://log.umeng.com:${http.port}/a`,
      '--next',
      '--proxy',
      `http://127.0.0.1:${p.port}`,
      `http://log.umeng.com:${http.port}/b`,
      '--next',
      '--proxy',
      `http://127.0.0.1:${p.port}`,
      `http://a1.tuyaus.com:${http.port}/c`,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('"path":"/a"');
    expect(r.stdout).toContain('"path":"/b"');
    expect(r.stdout).toContain('"path":"/c"');
    await until(() => [...p.out.flows.values()].filter((f) => f.tls === 'none' && f.closed).length >= 2);
    const flows = [...p.out.flows.values()].filter((f) => f.tls === 'none');
    const umeng = flows.find((f) => f.server.host === 'log.umeng.com')!;
    expect(umeng.transport).toBe('http');
    expect(p.out.messages.filter((m) => m.flowId === umeng.id && m.direction === 'upload').map((m) => m.url)).toEqual([
      '/a',
      '/b',
    ]);
    expect(flows.some((f) => f.server.host === 'a1.tuyaus.com')).toBe(true);
    expect(p.out.findings.some((x) => x.flowId === umeng.id && x.subtype === 'imei' && !x.encrypted)).toBe(true);
  });

  it('refuses a certificate the cloud cannot prove with 502 inside the tunnel', async () => {
    const bad = await origin(echoSize, cloud.leaf('wrong.example.com'));
    try {
      const r = await curl(
        '--proxy',
        `http://127.0.0.1:${p.port}`,
        '--cacert',
        p.caFile,
        `https://api.tuyaus.com:${bad.port}/`,
        '-w',
        '%{http_code}',
      );
      expect(r.stdout, r.stderr).toMatch(/502$/);
      expect(r.stdout).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
      await until(() => [...p.out.flows.values()].some((f) => f.error?.code === 'upstream-tls'));
      const flow = [...p.out.flows.values()].find((f) => f.error?.code === 'upstream-tls')!;
      expect(flow).toMatchObject({ transport: 'http', tls: 'intercepted', server: { host: 'api.tuyaus.com' } });
    } finally {
      bad.server.close();
    }
  });
});

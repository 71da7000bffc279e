/**
 * Certificate-validation probing in explicit mode (issue 16) with real clients through a CONNECT proxy on
 * 127.0.0.1: curl (refuses every forgery; after two refusals passes through and still works), curl -k (accepts
 * all), `openssl s_client -verify_return_error -verify_hostname` given the test root (refuses a wrong name), curl
 * given the test root (accepts the trusted chain for the right name only) or a probe CA (refuses names and expiry
 * from a CA it trusts), curl pinning a key (refuses even the trusted chain, closing before any data). Each case
 * uses its own host name, so each (device, host) starts fresh.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WRONG_NAME } from '../../proxy/cert-cache.ts';
import { caCertificate } from '../../proxy/x509.ts';
import type { Finding } from '../../src/model/finding.ts';
import type { FlowRecord } from '../../src/model/records.ts';
import { FORGERIES } from '../../src/model/tls.ts';
import { type CertTableRow, certTable } from '../../src/report/cert-table.ts';
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

const HOSTS = [
  'refuse.toycloud.example',
  'insecure.toycloud.example',
  'p-refuse.toycloud.example',
  'p-insecure.toycloud.example',
  'p-root.toycloud.example',
  'p-openssl.toycloud.example',
  'p-pinned.toycloud.example',
  'p-labroot.toycloud.example',
];
const PIN = 'sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

describe('certificate checks (explicit proxy)', () => {
  let dir: string;
  let cloud: CloudCa;
  let https: Awaited<ReturnType<typeof origin>>;
  let plain: TestProxy;
  let probe: TestProxy;
  let labProbe: TestProxy;
  let labRootFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'toyscope-certprobe-'));
    cloud = makeCloudCa(dir);
    // One origin answers for every name: the proxy does not verify it (--upstream-insecure); clients in
    // passthrough reach it with SNI 'refuse…' and trust the cloud root, whose leaf is for that name.
    https = await origin(echoSize, cloud.leaf('refuse.toycloud.example'));
    const resolve = new Map(HOSTS.map((h) => [h, '127.0.0.1']));
    plain = await testProxy({ upstream: { resolve, insecure: true } });
    const lab = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const labPem = caCertificate(lab, 'lab root', 30);
    labRootFile = join(dir, 'lab-root.pem');
    writeFileSync(labRootFile, labPem);
    probe = await testProxy({ upstream: { resolve, insecure: true }, certChecks: { probe: true } });
    labProbe = await testProxy({
      upstream: { resolve, insecure: true },
      certChecks: { probe: true },
      probeCa: { certPem: labPem, key: lab.privateKey },
    });
  }, HOOK_MS);
  afterAll(async () => {
    await plain.stop();
    await probe.stop();
    await labProbe.stop();
    https.server.close();
  }, HOOK_MS);

  const via = (p: TestProxy) => ['--proxy', `http://127.0.0.1:${p.port}`];
  const url = (host: string, path = '/') => `https://${host}:${https.port}${path}`;

  it('curl refuses toyscope’s leaf twice, then the host passes through and still works', async () => {
    const host = 'refuse.toycloud.example';
    for (let i = 0; i < 2; i++) {
      const r = await curl(...via(plain), '--cacert', cloud.file, url(host));
      expect(r.code).toBe(60);
    }
    await until(() => checked(plain, host).length === 2);
    const ok = await curl(...via(plain), '--cacert', cloud.file, url(host, '/through'));
    expect(ok.stdout).toContain('"path":"/through"');
    await until(() => flowsTo(plain, host).some((f) => f.tls === 'passthrough' && f.closed));
    const rejected = findings(plain, host, 'device-rejected-cert');
    expect(rejected).toHaveLength(2);
    expect(rejected[0]!.detail).toMatchObject({ forgery: 'toyscope-ca', cause: 'alert', alert: 'unknown_ca' });
    expect(findings(plain, host, 'device-accepted-forged-cert')).toHaveLength(0);
    expect(row(plain, host)).toMatchObject({ passthrough: 1, accepted: [] });
  });

  it('curl -k accepts toyscope’s leaf: one finding naming the forgery, however many connections', async () => {
    const host = 'insecure.toycloud.example';
    for (const path of ['/k', '/again'])
      expect((await curl(...via(plain), '-k', url(host, path))).stdout).toContain(path);
    await until(() => flowsTo(plain, host).filter((f) => f.closed).length === 2);
    await until(() => findings(plain, host, 'device-accepted-forged-cert').length === 1);
    const f = findings(plain, host, 'device-accepted-forged-cert')[0]!;
    expect(f.detail).toMatchObject({ forgery: 'toyscope-ca', issuer: 'toyscope' });
    expect(f.evidence.excerpt).toBe(`accepted a toyscope-ca certificate for ${host}`);
  });

  it('--probe-tls: curl refuses every forgery, then passes through and works', async () => {
    const host = 'p-refuse.toycloud.example';
    for (let i = 0; i < FORGERIES.length; i++) {
      expect((await curl(...via(labProbe), '--cacert', cloud.file, url(host))).code).not.toBe(0);
    }
    await until(() => checked(labProbe, host).length === FORGERIES.length);
    // Passed through, curl meets the cloud itself (whose leaf is for another name in this test: -k).
    const ok = await curl(...via(labProbe), '-k', url(host, '/after'));
    expect(ok.stdout).toContain('"path":"/after"');
    await until(() => flowsTo(labProbe, host).some((f) => f.tls === 'passthrough'));
    const r = row(labProbe, host);
    expect(r.accepted).toEqual([]);
    for (const f of FORGERIES) expect(r.forgeries[f]).toMatchObject({ outcome: 'rejected', cause: 'alert' });
    // The lab root signed wrong-name and expired: curl does not trust it, so these are refusals of the issuer.
    expect(r.forgeries['wrong-name']!.issuer).toBe('probe-ca');
  });

  it('--probe-tls: curl -k accepts all four', async () => {
    const host = 'p-insecure.toycloud.example';
    for (let i = 0; i < FORGERIES.length; i++) {
      expect((await curl(...via(labProbe), '-k', url(host, `/${i}`))).stdout).toContain(`"path":"/${i}"`);
    }
    await until(() => checked(labProbe, host).length === FORGERIES.length);
    expect(row(labProbe, host)).toMatchObject({ verdict: 'accepts-forgeries', accepted: [...FORGERIES] });
    const named = findings(labProbe, host, 'device-accepted-forged-cert').map((f) => f.detail?.forgery);
    expect(named.sort()).toEqual([...FORGERIES].sort());
  });

  it('--probe-tls: a client given the lab root refuses a wrong name and an expired leaf from it', async () => {
    const host = 'p-labroot.toycloud.example';
    for (let i = 0; i < FORGERIES.length; i++) await curl(...via(labProbe), '--cacert', labRootFile, url(host));
    await until(() => checked(labProbe, host).length === FORGERIES.length);
    const r = row(labProbe, host);
    expect(r.verdict).toBe('validates');
    expect(r.forgeries.expired).toMatchObject({ outcome: 'rejected', alert: 'certificate_expired' });
    expect(r.forgeries['wrong-name']).toMatchObject({ outcome: 'rejected', issuer: 'probe-ca' });
  });

  it('--probe-tls: a client given toyscope’s root accepts its leaf for the right name only', async () => {
    const host = 'p-root.toycloud.example';
    for (let i = 0; i < FORGERIES.length; i++) await curl(...via(probe), '--cacert', probe.caFile, url(host));
    await until(() => checked(probe, host).length === FORGERIES.length);
    const r = row(probe, host);
    expect(r.accepted).toEqual(['toyscope-ca']);
    for (const f of ['self-signed', 'wrong-name', 'expired'] as const) expect(r.forgeries[f]?.outcome).toBe('rejected');
    // After the probe, the proxy intercepts with the leaf it accepted.
    const after = await curl(...via(probe), '--cacert', probe.caFile, url(host, '/read'));
    expect(after.stdout).toContain('"path":"/read"');
  });

  it('--probe-tls: openssl s_client -verify_return_error -verify_hostname refuses the wrong name', async () => {
    const host = 'p-openssl.toycloud.example';
    for (let i = 0; i < FORGERIES.length; i++) await sClient(probe.port, host, https.port, probe.caFile);
    await until(() => checked(probe, host).length === FORGERIES.length);
    const r = row(probe, host);
    expect(r.forgeries['toyscope-ca']?.outcome).toBe('accepted');
    expect(r.forgeries['wrong-name']).toMatchObject({ outcome: 'rejected', cause: 'alert' });
    expect(WRONG_NAME).not.toBe(host);
  });

  it('--probe-tls: a client pinning a key refuses even the trusted chain, closing before any data', async () => {
    const host = 'p-pinned.toycloud.example';
    for (let i = 0; i < FORGERIES.length; i++)
      await curl(...via(probe), '--cacert', probe.caFile, '--pinnedpubkey', PIN, url(host));
    await until(() => checked(probe, host).length === FORGERIES.length);
    const r = row(probe, host);
    expect(r.accepted).toEqual([]);
    expect(r.verdict).toBe('validates');
    expect(r.forgeries['toyscope-ca']).toMatchObject({ outcome: 'rejected', cause: 'closed-before-data' });
    // Refusing toyscope's CA, its refusal of a wrong name from that CA shows nothing about name checks.
    expect(r.forgeries['wrong-name']?.inconclusive).toBe(true);
    const own = findings(probe, host, 'device-rejected-cert').find((f) => f.detail?.forgery === 'toyscope-ca')!;
    expect(own.detail).toMatchObject({ cause: 'closed-before-data', probe: true });
  });
});

function flowsTo(p: TestProxy, host: string): FlowRecord[] {
  return [...p.out.flows.values()].filter((f) => f.server.host === host);
}

/** Closed flows to `host` carrying a decided certificate check. */
function checked(p: TestProxy, host: string): FlowRecord[] {
  return flowsTo(p, host).filter(
    (f) => f.closed && f.tlsInfo?.certCheck && f.tlsInfo.certCheck.outcome !== 'undecided',
  );
}

function findings(p: TestProxy, host: string, subtype: string): Finding[] {
  return p.out.findings.filter((f) => f.destination.host === host && f.subtype === subtype);
}

function row(p: TestProxy, host: string): CertTableRow {
  return certTable(p.out.flows.values()).find((r) => r.host === host)!;
}

/** `openssl s_client` through a CONNECT proxy, verifying the name, sending one request; its exit code. */
function sClient(proxyPort: number, host: string, port: number, caFile: string): Promise<number> {
  return new Promise((resolve) => {
    const child = execFile(
      'openssl',
      [
        's_client',
        '-proxy',
        `127.0.0.1:${proxyPort}`,
        '-connect',
        `${host}:${port}`,
        '-servername',
        host,
        '-verify_return_error',
        '-verify_hostname',
        host,
        '-CAfile',
        caFile,
        '-quiet',
      ],
      { timeout: 30_000 },
      (err) => resolve(err ? ((err as { code?: number }).code ?? 1) : 0),
    );
    child.stdin?.end(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  });
}

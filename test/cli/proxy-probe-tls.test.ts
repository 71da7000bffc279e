/**
 * `toyscope proxy --probe-tls` as a lab runs it (issue 16), in a child process on 127.0.0.1: one device (config
 * `tls.caInstalled` lists it: accepting toyscope's leaf is no finding) running curl given toyscope's root on one
 * host and `curl -k` on another; at Ctrl-C the `cert-checks` NDJSON record gives the per-host table; the store gives it again
 * (`destinations --certs`), the findings list names the forgeries, the policy gate fails on the accepted ones,
 * and replaying what `--save` wrote gives the same certificate findings.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.ts';
import { FORGERIES } from '../../src/model/tls.ts';
import type { CertTableRow } from '../../src/report/cert-table.ts';
import { startLiveProxy, toyscope } from '../helpers/toyscope-process.ts';
import { curl, echoSize, makeCloudCa, origin, until } from '../proxy/harness.ts';

const TRUSTING = 'app.toycloud.example';
const INSECURE = 'cam.toycloud.example';

describe('toyscope proxy --probe-tls (process)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toyscope-cli-probe-'));
  const data = join(dir, 'data');
  const config = join(dir, 'toyscope.yaml');
  let https: Awaited<ReturnType<typeof origin>>;
  let run: { code: number | null; out: string; err: string };

  beforeAll(async () => {
    const cloud = makeCloudCa(dir);
    https = await origin(echoSize, cloud.leaf(TRUSTING));
    writeFileSync(
      config,
      'devices:\n  - {name: tablet, ip: 127.0.0.1}\ntls:\n  caInstalled: [tablet]\n  forceIntercept: ["*.never.example"]\n',
    );
    const proxy = await startLiveProxy(
      '--data-dir',
      data,
      '--config',
      config,
      'proxy',
      '--listen',
      '127.0.0.1:0',
      '--json',
      '--probe-tls',
      '--upstream-insecure',
      '--resolve',
      `${TRUSTING}:127.0.0.1`,
      '--resolve',
      `${INSECURE}:127.0.0.1`,
      '--save',
      join(dir, 'live.pcapng'),
    );
    const { port } = proxy;
    const ca = join(data, 'ca', 'toyscope-ca.pem');
    const via = ['--proxy', `http://127.0.0.1:${port}`];
    for (let i = 0; i < FORGERIES.length; i++) {
      await curl(...via, '--cacert', ca, `https://${TRUSTING}:${https.port}/`);
      await curl(...via, '-k', `https://${INSECURE}:${https.port}/`);
    }
    const flowLines = () =>
      proxy
        .out()
        .split('\n')
        .filter((l) => l.includes('"type":"flow"') && l.includes('certCheck'));
    await until(() => flowLines().length >= 2 * FORGERIES.length, 60_000).catch(() => {
      throw new Error(`flows not printed: ${proxy.out()} ${proxy.err()}`);
    });
    proxy.child.kill('SIGINT');
    run = { code: await proxy.exited, out: proxy.out(), err: proxy.err() };
  }, 240_000);
  afterAll(() => {
    https.server.close();
  });

  it('prints the per-host table as a cert-checks record at exit', () => {
    expect(run.code, run.err).toBe(0);
    const line = run.out.split('\n').find((l) => l.includes('"type":"cert-checks"'));
    const rows = (JSON.parse(line!) as { rows: CertTableRow[] }).rows;
    const trusting = rows.find((r) => r.host === TRUSTING)!;
    expect(trusting.forgeries['toyscope-ca']).toMatchObject({ outcome: 'accepted', caInstalled: true });
    expect(trusting).toMatchObject({ accepted: [], verdict: 'validates' });
    expect(rows.find((r) => r.host === INSECURE)).toMatchObject({ verdict: 'accepts-forgeries' });
  });

  it('gives the table from the store (destinations --certs) and names the forgeries in findings', async () => {
    const table = await toyscope('--data-dir', data, '--config', config, 'destinations', '--certs');
    expect(table.code, table.err).toBe(0);
    expect(table.out).toMatch(/tablet\s+app\.toycloud\.example\s+accepted \(CA installed\)\s+refused/);
    expect(table.out).toMatch(
      /cam\.toycloud\.example\s+accepted \(CA installed\)\s+ACCEPTED.*ACCEPTS self-signed, wrong-name, expired/,
    );
    const found = await toyscope('--data-dir', data, 'findings', '--json', '--category', 'tls');
    const findings = (JSON.parse(found.out) as { findings: Finding[] }).findings;
    const accepted = findings.filter((f) => f.subtype === 'device-accepted-forged-cert');
    expect(accepted.map((f) => `${f.destination.host} ${f.detail?.forgery}`).sort()).toEqual(
      FORGERIES.filter((f) => f !== 'toyscope-ca')
        .map((f) => `${INSECURE} ${f}`)
        .sort(),
    );
    expect(
      findings.filter((f) => f.subtype === 'device-rejected-cert' && f.destination.host === TRUSTING),
    ).toHaveLength(3);
  });

  it('fails the policy gate on the accepted forgeries', async () => {
    const policy = join(dir, 'policy.yaml');
    writeFileSync(
      policy,
      'version: 1\nrules:\n  - {id: validates-certificates, category: tls, subtype: device-accepted-forged-cert, allow: none}\n  - {category: "*", allow: any}\n',
    );
    const r = await toyscope('--data-dir', data, 'policy', 'check', '--policy', policy);
    expect(r.code, r.err).toBe(1);
    expect(r.out).toContain('validates-certificates');
    expect(r.out).toContain(INSECURE);
  });

  it('replays what --save wrote to the same certificate findings', async () => {
    const replayed = await toyscope('--db', join(dir, 'replay.db'), 'replay', join(dir, 'live.pcapng'), '--json');
    expect(replayed.code, replayed.err).toBe(0);
    const live = await toyscope('--data-dir', data, 'findings', '--json', '--category', 'tls');
    const certs = (fs: Finding[]) =>
      fs
        .filter((f) => f.subtype.startsWith('device-'))
        .map((f) => `${f.subtype} ${f.destination.host} ${f.detail?.forgery} ${f.detail?.cause ?? ''}`)
        .sort();
    const liveCerts = certs((JSON.parse(live.out) as { findings: Finding[] }).findings);
    expect(liveCerts.length).toBe(6);
    expect(certs((JSON.parse(replayed.out) as { findings: Finding[] }).findings)).toEqual(liveCerts);
  });
});

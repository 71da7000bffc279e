/**
 * `toyscope gateway up --probe-tls` for real, in a namespace lab (issue 16 behind the transparent gateway): two
 * devices reach a cloud whose certificates come from a test root. One runs curl trusting only that root (not
 * toyscope's CA): each forgery the probe offers is refused, then the host is passed through and curl reaches the
 * real cloud. The other runs `curl -k`, which accepts every forgery. After Ctrl-C the store holds the refused,
 * accepted and passed-through flows and the tls findings naming each forgery, per device MAC.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.ts';
import type { FlowRecord } from '../../src/model/records.ts';
import { FORGERIES } from '../../src/model/tls.ts';
import { openStore } from '../../src/store/db.ts';
import { startGateway, startLabCloud, writeLabConfig } from '../helpers/gateway-lab.ts';
import { makeTestPki, PKI } from '../helpers/lab-cloud.ts';
import { createLab, describeNetns, LAB, type Lab } from '../helpers/netns.ts';

const _ROOT = join(import.meta.dirname, '../..');
const VALIDATING = { name: 'api.teddy.example', ip: LAB.cloud(30) };
const INSECURE = { name: 'cam.teddy.example', ip: LAB.cloud(31) };

describeNetns('toyscope gateway up --probe-tls (namespace lab, two devices)', () => {
  let lab: Lab;
  let flows: FlowRecord[];
  let findings: Finding[];
  const validating: { code: number; out: string }[] = [];
  const insecure: { code: number; out: string }[] = [];
  let exit: number | null = null;

  beforeAll(async () => {
    lab = await createLab({ tag: 'gwprobe', devices: 2 });
    const dir = mkdtempSync(join(tmpdir(), 'toyscope-gwprobe-'));
    makeTestPki(dir, [VALIDATING.name, INSECURE.name], ['nosni.teddy.example']);
    const [d1, d2] = lab.devices as [Lab['devices'][0], Lab['devices'][0]];
    const config = writeLabConfig(
      dir,
      [
        { name: 'teddy', mac: d1.mac },
        { name: 'robot', mac: d2.mac },
      ],
      {
        [VALIDATING.name]: VALIDATING.ip,
        [INSECURE.name]: INSECURE.ip,
      },
    );
    await startLabCloud(lab, dir);
    const data = join(dir, 'data');
    const gateway = await startGateway(lab, dir, config, ['--probe-tls']);
    const curl = (host: { name: string; ip: string }, ...args: string[]) => [
      'curl',
      '-sS',
      '--connect-timeout',
      '10',
      '--max-time',
      '20',
      '--resolve',
      `${host.name}:443:${host.ip}`,
      ...args,
      `https://${host.name}/v1/hello`,
    ];
    const call = async (ns: string, argv: string[]) => {
      const r = await lab.exec(ns, argv, { timeoutMs: 30_000 });
      return { code: r.code, out: r.stdout || r.stderr };
    };
    // teddy trusts the cloud's root only: each forgery is refused, then the host is relayed unread.
    for (let i = 0; i < FORGERIES.length + 2; i++)
      validating.push(await call(d1.ns, curl(VALIDATING, '--cacert', join(dir, PKI.caCert))));
    // robot checks nothing: every forgery is accepted.
    for (let i = 0; i < FORGERIES.length; i++) insecure.push(await call(d2.ns, curl(INSECURE, '-k')));

    gateway.kill('SIGINT');
    exit = await new Promise((resolve) => gateway.once('exit', resolve));
    const store = await openStore(join(data, 'toyscope.db'));
    flows = store.listFlows();
    findings = store.listFindings({});
    store.close();
  }, 300_000);
  afterAll(() => lab?.destroy());

  const cloudAnswer = (out: string) => JSON.parse(out) as { host: string; path: string };

  it('stops on Ctrl-C with exit 0', () => {
    expect(exit).toBe(0);
  });

  it('passes a host through once the device refused every forgery, and the device then reaches the cloud', () => {
    const refused = validating.slice(0, FORGERIES.length);
    // curl 60: "SSL certificate problem" (toyscope's CA and the self-signed leaf are unknown to it).
    expect(refused.map((r) => r.code)).toEqual(FORGERIES.map(() => 60));
    for (const r of validating.slice(FORGERIES.length)) {
      expect(r.code, r.out).toBe(0);
      expect(cloudAnswer(r.out)).toMatchObject({ host: VALIDATING.name, path: '/v1/hello' });
    }
    const teddy = lab.devices[0]!.mac;
    const mine = flows.filter((f) => f.deviceId === teddy && f.server.ip === VALIDATING.ip);
    expect(mine.filter((f) => f.tls === 'device-rejected-cert')).toHaveLength(FORGERIES.length);
    const through = mine.filter((f) => f.tls === 'passthrough');
    expect(through).toHaveLength(2);
    expect(through[0]!.server).toMatchObject({ port: 443, host: VALIDATING.name });
    const rejected = findings.filter((f) => f.subtype === 'device-rejected-cert');
    expect(rejected.map((f) => `${f.deviceId} ${f.destination.host} ${f.detail?.forgery}`).sort()).toEqual(
      FORGERIES.map((g) => `${teddy} ${VALIDATING.name} ${g}`).sort(),
    );
    expect(findings.filter((f) => f.destination.host === VALIDATING.name && f.subtype.includes('accepted'))).toEqual(
      [],
    );
  });

  it('records each forgery a device that checks nothing accepted', () => {
    for (const r of insecure) {
      expect(r.code, r.out).toBe(0);
      expect(cloudAnswer(r.out)).toMatchObject({ host: INSECURE.name, path: '/v1/hello' });
    }
    const robot = lab.devices[1]!.mac;
    const mine = flows.filter((f) => f.deviceId === robot && f.server.ip === INSECURE.ip);
    expect(mine.map((f) => f.tls)).toEqual(FORGERIES.map(() => 'intercepted'));
    const accepted = findings.filter((f) => f.subtype === 'device-accepted-forged-cert');
    expect(accepted.map((f) => `${f.deviceId} ${f.destination.host} ${f.detail?.forgery}`).sort()).toEqual(
      FORGERIES.map((g) => `${robot} ${INSECURE.name} ${g}`).sort(),
    );
    expect(
      findings.filter((f) => f.destination.host === INSECURE.name && f.subtype === 'device-rejected-cert'),
    ).toEqual([]);
  });
});

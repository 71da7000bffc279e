/**
 * `toyscope proxy` as a lab runs it, in a child process, with curl as the device: NDJSON records per flow and
 * finding, the key log (mode 0600), Ctrl-C (SIGINT) draining into the store with exit 0, and the findings stored
 * live equal to those of replaying the capture `--save` wrote — the plaintext with connection notes, and with
 * `--save-tls` the device leg's real TLS, decrypted in replay from the file's own Decryption Secrets Blocks.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PcapngReader } from '../../src/capture/pcapng.ts';
import { DSB_TLS_KEY_LOG } from '../../src/decode/tls-keylog.ts';
import type { Finding } from '../../src/model/finding.ts';
import { readAll } from '../capture/reader-log.ts';
import { startLiveProxy, toyscope } from '../helpers/toyscope-process.ts';
import { curl, echoSize, makeCloudCa, origin, until } from '../proxy/harness.ts';

const BODY = JSON.stringify({ imei: '490154203237518', lat: 31.2304, lng: 121.4737, phone: '+8613812345678' });

describe.each([
  { save: [] as string[], replayedTls: 'intercepted' },
  { save: ['--save-tls'], replayedTls: 'decrypted' },
])('toyscope proxy (process) --save $save', ({ save, replayedTls }) => {
  const dir = mkdtempSync(join(tmpdir(), 'toyscope-cli-proxy-'));
  let https: Awaited<ReturnType<typeof origin>>;
  let http: Awaited<ReturnType<typeof origin>>;
  let run: { code: number | null; out: string; err: string };

  beforeAll(async () => {
    const cloud = makeCloudCa(dir);
    https = await origin(echoSize, cloud.leaf('api.tuyaus.com'));
    http = await origin(echoSize);
    const proxy = await startLiveProxy(
      '--data-dir',
      join(dir, 'data'),
      'proxy',
      '--listen',
      '127.0.0.1:0',
      '--json',
      '--resolve',
      'api.tuyaus.com:127.0.0.1',
      '--resolve',
      'log.umeng.com:127.0.0.1',
      '--upstream-ca',
      cloud.file,
      '--save',
      join(dir, 'live.pcapng'),
      ...save,
      '--keylog',
    );
    const { port } = proxy;
    const ca = join(dir, 'data', 'ca', 'toyscope-ca.pem');
    const proxyArgs = ['--proxy', `http://127.0.0.1:${port}`, '-H', 'content-type: application/json', '--data', BODY];
    const a = await curl(...proxyArgs, '--cacert', ca, `https://api.tuyaus.com:${https.port}/v1/report`);
    const b = await curl(...proxyArgs, `http://log.umeng.com:${http.port}/app_logs`);
    expect([a.stderr, b.stderr]).toEqual(['', '']);
    await until(
      () =>
        proxy
          .out()
          .split('\n')
          .filter((l) => l.includes('"type":"flow"')).length >= 2,
      60_000,
    ).catch(() => {
      throw new Error(`flows not printed: ${proxy.out()} ${proxy.err()}`);
    });
    proxy.child.kill('SIGINT');
    run = { code: await proxy.exited, out: proxy.out(), err: proxy.err() };
  }, 240_000);
  afterAll(() => {
    https.server.close();
    http.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints NDJSON flows and findings and exits 0 on Ctrl-C', () => {
    expect(run.code, run.err).toBe(0);
    const records = run.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string } & Record<string, unknown>);
    const flows = records.filter((r) => r.type === 'flow');
    expect(flows.map((f) => [f.host, f.tls]).sort()).toEqual([
      ['api.tuyaus.com', 'intercepted'],
      ['log.umeng.com', 'none'],
    ]);
    const findings = records.filter((r) => r.type === 'finding') as unknown as Finding[];
    expect(findings.some((f) => f.subtype === 'imei' && f.destination.host === 'api.tuyaus.com')).toBe(true);
    // Masked: the excerpt is redacted. (The contacts and location analyzers' `detail` carries the number and the
    // coordinates, in replay --json as here: a shared-output matter outside the proxy.)
    expect(run.out).not.toContain('490154203237518');
    // The hint repeats the data directory: what it says to run reads this run's database.
    const data = join(dir, 'data');
    expect(run.err).toMatch(
      new RegExp(`Done: 2 flows, \\d+ findings\\. See them with '(npx )?toyscope --data-dir ${data} findings'\\.`),
    );
  });

  it('writes the key log with mode 0600', () => {
    const file = join(dir, 'data', 'keylog.txt');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toMatch(/^(CLIENT_RANDOM|CLIENT_HANDSHAKE_TRAFFIC_SECRET) /m);
  });

  it('stores findings equal to those of replaying what --save wrote', async () => {
    const live = await toyscope('--data-dir', join(dir, 'data'), 'findings', '--json', '--limit', '1000');
    const replayed = await toyscope('--db', join(dir, 'replay.db'), 'replay', join(dir, 'live.pcapng'), '--json');
    expect(replayed.code, replayed.err).toBe(0);
    const liveDoc = JSON.parse(live.out) as { findings: Finding[] };
    const replayDoc = JSON.parse(replayed.out) as { findings: Finding[]; flows: Array<{ host: string; tls: string }> };
    expect(liveDoc.findings.length).toBeGreaterThan(0);
    expect(summary(replayDoc.findings)).toEqual(summary(liveDoc.findings));
    expect(replayDoc.flows.map((f) => [f.host, f.tls]).sort()).toEqual([
      ['api.tuyaus.com', replayedTls],
      ['log.umeng.com', 'none'],
    ]);
  });

  if (save.length > 0) {
    it('writes the device leg as TLS, its secrets in a Decryption Secrets Block', () => {
      const log = readAll((ev) => new PcapngReader(ev), [readFileSync(join(dir, 'live.pcapng'))]);
      expect(log.skipped).toEqual([]);
      expect(log.secrets.map((s) => s.type)).toContain(DSB_TLS_KEY_LOG);
      const secrets = Buffer.from(log.secrets.flatMap((s) => s.data)).toString('latin1');
      expect(secrets).toMatch(/^(CLIENT_TRAFFIC_SECRET_0|CLIENT_RANDOM) [0-9a-f]{64} /m);
      // The intercepted upload is in the file only encrypted; the plain HTTP one is as sent.
      const packets = Buffer.from(log.packets.flatMap((p) => p.data));
      expect(packets.includes('/v1/report')).toBe(false);
      expect(packets.includes('/app_logs')).toBe(true);
    });
  }
});

describe('toyscope proxy arguments', () => {
  it('lists --save-tls among the options of --help', async () => {
    const r = await toyscope('proxy', '--help');
    const options = r.out.slice(r.out.indexOf('Options:'), r.out.indexOf('Examples:'));
    expect(options).toMatch(/^ {2}--save-tls {2,}\S/m);
  });

  it('says a port is out of range, and an address in use in the same words as the dashboard, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toyscope-cli-proxy-'));
    const range = await toyscope('--data-dir', dir, 'proxy', '--listen', '127.0.0.1:99999');
    expect([range.code, range.err.split('\n')[0]]).toEqual([
      2,
      'toyscope: --listen: port 99999 is out of range (0–65535)',
    ]);
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as AddressInfo).port;
    for (const command of ['proxy', 'dashboard']) {
      const r = await toyscope('--data-dir', dir, command, '--listen', `127.0.0.1:${port}`);
      expect([command, r.code, r.err]).toEqual([
        command,
        2,
        `toyscope: cannot listen on 127.0.0.1:${port}: address already in use\n`,
      ]);
    }
    busy.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses --save-tls without --save in one line, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toyscope-cli-proxy-'));
    const r = await toyscope('--data-dir', dir, 'proxy', '--save-tls');
    rmSync(dir, { recursive: true, force: true });
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')[0]).toMatch(/--save-tls needs --save FILE\.pcapng/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});

/** What a finding says, without the ids and times that differ between a live run and its replay. */
function summary(findings: Finding[]): string[] {
  return findings
    .map((f) =>
      JSON.stringify([f.category, f.subtype, f.deviceId, f.destination.host, f.encrypted, f.path, f.evidence.excerpt]),
    )
    .sort();
}

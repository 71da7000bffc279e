/** `toyscope destinations` over a real store filled by `toyscope replay` (child processes, as a tester runs them). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, toyscope } from '../helpers/toyscope-process.ts';

describe('toyscope destinations', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toyscope-destinations-'));
  const data = ['--data-dir', dir];

  beforeAll(async () => {
    // teddy's own cloud is first party; the multipart fixture's device (127.0.0.2) uploads to ai.xiaoyu-toys.com.
    writeFileSync(
      join(dir, 'toyscope.yaml'),
      'devices: [{name: teddy, ip: 127.0.0.31}, {name: robot, ip: 127.0.0.2}]\n' +
        'firstParty: {devices: {robot: ["*.xiaoyu-toys.com"]}, global: ["*.teddy-toys.example"]}\n',
    );
    for (const f of ['voice-ws-xfyun', 'curl-multipart']) {
      expect((await toyscope(...data, 'replay', join(FIXTURES, f, 'capture.pcap'))).code).toBe(0);
    }
  }, 120_000);

  it('lists each device, whom it sent data to, and which kinds, third parties marked', async () => {
    const r = await toyscope(...data, 'destinations');
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^DEVICE\s+SENT TO\s+FLOWS\s+UP KiB\s+DOWN KiB\s+FINDINGS$/);
    expect(r.out).toMatch(/^teddy\s+iFlytek · ws-api\.xfyun\.cn \(3p\)\s+1\s+[\d.]+\s+[\d.]+\s+tls 1, voice 1$/m);
    expect(r.out).toMatch(/^robot\s+ai\.xiaoyu-toys\.com\s+1\s+.*child-profile 2, tls 1$/m);
  });

  it('filters by device and third party, and prints JSON', async () => {
    const third = await toyscope(...data, 'destinations', '--third-party');
    expect(third.out).toContain('ws-api.xfyun.cn');
    expect(third.out).not.toContain('xiaoyu-toys');
    const none = await toyscope(...data, 'destinations', '--device', 'robot', '--third-party');
    expect(none.out).toBe('No destinations match (1 stored).\n');
    const doc = JSON.parse((await toyscope(...data, 'destinations', '--device', 'robot', '--json')).out);
    expect(doc.destinations).toEqual([
      expect.objectContaining({
        device: 'robot',
        host: 'ai.xiaoyu-toys.com',
        thirdParty: false,
        flows: 1,
        findings: { 'child-profile': 2, tls: 1 },
      }),
    ]);
  });

  it('says how to collect data when there is none, and rejects unknown flags', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'toyscope-destinations-empty-'));
    // The hint names the same data directory, so what it says to run fills the database asked about.
    expect((await toyscope('--data-dir', empty, 'destinations')).out).toMatch(
      new RegExp(
        `^No destinations yet\\. Replay a capture with '(npx )?toyscope --data-dir ${empty} replay capture\\.pcapng' first\\.$`,
        'm',
      ),
    );
    const bad = await toyscope(...data, 'destinations', '--bogus');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/Try '(npx )?toyscope destinations --help'\./);
  });
});

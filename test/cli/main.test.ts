import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.ts';
import { captureRecord as makeCapture, finding as makeFinding, flowRecord as makeFlow } from '../../testkit/records.ts';
import { toyscope } from '../helpers/toyscope-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'toyscope-main-'));
const dbClean = join(dir, 'clean.db');
const dbLeak = join(dir, 'leak.db');
const policy = join(dir, 'policy.yaml');

beforeAll(() => {
  writeFileSync(
    policy,
    'version: 1\nfirstParty: ["*.toycloud.example"]\nrules:\n  - {id: voice-1p, category: voice, allow: first-party}\n',
  );
  for (const [file, host] of [
    [dbClean, 'api.toycloud.example'],
    [dbLeak, 'asr.speech-vendor.example'],
  ] as const) {
    const store = openStore(file);
    const w = store.writer();
    const destination = { host, etld1: host, thirdParty: host !== 'api.toycloud.example' };
    w.capture(makeCapture());
    w.flow(makeFlow({ destination, server: { ip: '127.0.0.1', port: 443, host } }));
    w.finding(makeFinding({ destination, evidence: { excerpt: 'ch••••en', value: 'children' } }));
    w.close();
    store.close();
  }
});

describe('bin/toyscope.js (child process)', () => {
  it('--help, bare toyscope and --version exit 0', async () => {
    const help = await toyscope('--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: toyscope');
    expect(await toyscope()).toEqual({ code: 0, out: help.out, err: '' }); // a newcomer's first try: the help
    expect((await toyscope('--version')).out).toMatch(/^toyscope \d+\.\d+\.\d+\n$/);
  });

  it('an unknown flag exits 2 with one line and a hint, no stack', async () => {
    const r = await toyscope('findings', '--bogus');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    // The hint is spelled as the user can run it: `toyscope` on the PATH, else `npx toyscope`, as every hint.
    expect(r.err).toMatch(/^toyscope: unknown option '--bogus'\nTry '(npx )?toyscope findings --help'\.\n$/);
  });

  it('lists findings from a real database, redacted', async () => {
    const r = await toyscope('--db', dbLeak, 'findings');
    expect(r.code).toBe(0);
    expect(r.out).toContain('asr.speech-vendor.example (3p)');
    expect(r.out).toContain('ch••••en');
    expect(r.out).not.toContain('children');
  });

  it('policy check exits 0 clean, 1 on violations (JUnit written), 2 on bad input', async () => {
    const clean = await toyscope('--db', dbClean, 'policy', 'check', '--policy', policy);
    expect(clean.code).toBe(0);
    const junit = join(dir, 'policy.xml');
    const leak = await toyscope('policy', 'check', '--policy', policy, '--db', dbLeak, '--junit', junit);
    expect(leak.code).toBe(1);
    expect(leak.out).toContain('FAIL  voice-1p');
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('<failure message="voice/raw-pcm sent to third party asr.speech-vendor.example');
    expect(xml).not.toContain('children');
    const missing = await toyscope('--db', dbLeak, 'policy', 'check', '--policy', join(dir, 'nope.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^toyscope: .*nope\.yaml: cannot read policy: no such file\n$/);
  });
});

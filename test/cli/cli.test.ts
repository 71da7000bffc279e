import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/cli.ts';
import type { CliIo } from '../../src/cli/command.ts';
import { COMMANDS } from '../../src/cli/commands/index.ts';
import { ensureDataDir } from '../../src/data-dir.ts';
import {
  MAC,
  captureRecord as makeCapture,
  finding as makeFinding,
  flowRecord as makeFlow,
} from '../../testkit/records.ts';
import { runCliInProcess } from '../helpers/cli-run.ts';
import { FakeStore } from '../helpers/fake-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'toyscope-cli-'));
const db = join(dir, 'fake.db');
writeFileSync(db, '');
const cfg = join(dir, 'toyscope.yaml');
writeFileSync(cfg, `devices: [{name: teddy, mac: '${MAC}'}]\nfirstParty: {global: ['*.toycloud.example']}\n`);
const POLICY = join(dir, 'policy.yaml');
writeFileSync(POLICY, 'version: 1\nrules:\n  - {id: voice-1p, category: voice, allow: first-party}\n');

/** An io that discards everything (tests that only look at files or exit codes). */
function quietIo(): CliIo {
  const none = () => {};
  return {
    out: none,
    outBytes: none,
    err: none,
    stdoutIsTerminal: false,
    interactive: false,
    ask: async () => '',
    env: {},
  };
}

const run = (argv: string[], store = new FakeStore(), opts: { interactive?: boolean; answer?: string } = {}) =>
  runCliInProcess(['--db', db, '--config', cfg, ...argv], { store, ...opts });

const third = makeFinding({
  id: 'f-3p',
  firstTs: 1_700_000_100_000_000,
  category: 'location',
  subtype: 'wifi-scan',
  destination: { host: 'geo.tracker.example', etld1: 'tracker.example', thirdParty: true },
  evidence: { excerpt: 'aa••••ff', value: 'aa:bb:cc:dd:ee:ff' },
});
const evil = makeFinding({
  id: 'f-evil',
  destination: { host: 'x\u001b[2J.example', etld1: 'x', thirdParty: true },
  evidence: { excerpt: 'line1\nline2\u0007' },
});

describe('toyscope (in process)', () => {
  it('prints help for the top level and every command', async () => {
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    for (const c of COMMANDS) expect(top.out).toContain(c.name);
    for (const c of COMMANDS) {
      const r = await run([c.name, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/Usage: toyscope/);
      expect(r.out).toMatch(/Exit codes:/);
      expect(r.out).toMatch(/Examples:/);
    }
    expect((await run(['policy', 'check', '--help'])).out).toContain('--junit FILE');
    expect((await run(['help', 'purge'])).out).toContain('--older-than');
  });

  it.each([
    [['nope'], "toyscope: unknown command 'nope'", 'toyscope --help'],
    [['--frob'], "toyscope: unknown option '--frob'", 'toyscope --help'],
    [['findings', '--frob'], "toyscope: unknown option '--frob'", 'toyscope findings --help'],
    [['findings', '--limit'], "toyscope: option '--limit' needs a value", 'toyscope findings --help'],
    [['findings', '--limit', '0'], 'toyscope: --limit: expected a whole number', 'toyscope findings --help'],
    [['findings', 'extra'], "toyscope: unexpected argument 'extra'", 'toyscope findings --help'],
    [['findings', '--json=1'], "toyscope: option '--json' takes no value", 'toyscope findings --help'],
    [['policy'], 'toyscope: missing subcommand', 'toyscope policy --help'],
    [['policy', 'run'], "toyscope: unknown subcommand 'policy run'", 'toyscope policy --help'],
    [['purge', '--older-than', '3 days'], 'toyscope: --older-than: expected an age', 'toyscope purge --help'],
    [['findings', '--db'], "toyscope: option '--db' needs a value", 'toyscope --help'],
  ])('%j is a usage error: exit 2, one line and a hint', async (argv, message, help) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe(`${r.err.split('\n')[0]}\nTry 'npx ${help}'.\n`); // no toyscope on this PATH: npx
    expect(r.err.split('\n')[0]).toContain(message);
  });

  it('lists findings as a table with names, 3p marks and redacted, printable excerpts', async () => {
    const r = await run(['findings'], new FakeStore([makeFinding(), third, evil]));
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME \(UTC\)\s+DEVICE\s+WHAT\s+SENT TO\s+EXCERPT$/);
    expect(lines[1]).toMatch(
      /^2023-11-14 22:13:20\s+teddy\s+voice\/raw-pcm\s+ToyCo · api\.toycloud\.example\s+RI••••VE$/,
    );
    expect(lines[2]).toContain('geo.tracker.example (3p)');
    expect(lines[2]).toContain('aa••••ff');
    expect(r.out).not.toContain('aa:bb:cc:dd:ee:ff');
    expect(r.out).not.toContain('\u001b');
    expect(r.out).toContain('x\\x1b[2J.example (3p)');
    expect(lines).toHaveLength(4);
    expect((await run(['findings', '--reveal'], new FakeStore([third]))).out).toContain('aa:bb:cc:dd:ee:ff');
  });

  it('filters by category, device name and host, and says when nothing matches', async () => {
    const store = new FakeStore([makeFinding(), third], [{ id: MAC, firstTs: 0, lastTs: 0 }]);
    expect((await run(['findings', '--category', 'location'], store)).out).not.toContain('voice/raw-pcm');
    expect((await run(['findings', '--device', 'teddy'], store)).out).toContain('voice/raw-pcm');
    expect((await run(['findings', '--host', 'GEO.tracker.example'], store)).out).toContain('wifi-scan');
    const unknown = await run(['findings', '--device', '10.9.9.9'], store);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/^toyscope: no device '10\.9\.9\.9' in the database; known devices: teddy \(/);
    expect((await run(['findings', '--category', 'face'], store)).out).toBe('No findings match (2 stored in all).\n');
    expect((await run(['findings', '--limit', '1'], store)).out).toContain('(1 of 2 shown; use --limit to see more)');
  });

  it('explains how to get findings when the store is empty or absent, repeating the global options', async () => {
    expect((await run(['findings'])).out).toBe(
      `No findings yet. Replay a capture with 'npx toyscope --config ${cfg} --db ${db} replay capture.pcapng', ` +
        `then run 'npx toyscope --config ${cfg} --db ${db} findings' again.\n`,
    );
    const absent = join(dir, 'absent.db');
    const r = await runCliInProcess(['findings', '--data-dir', join(dir, 'lab data'), '--db', absent]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      `'npx toyscope --data-dir "${join(dir, 'lab data')}" --db ${absent} replay capture.pcapng'`,
    );
    expect(r.out).toContain('no database at');
  });

  it('prints the JSON document with --json, values only with --reveal', async () => {
    const store = new FakeStore(
      [third],
      [],
      [makeCapture({ skipped: { 'bad-frame': 2 } })],
      [makeFlow(), makeFlow({ id: 'other' })],
    );
    const doc = JSON.parse((await run(['findings', '--json'], store)).out);
    expect(Object.keys(doc)).toEqual([
      'captures',
      'devices',
      'flows',
      'findings',
      'violations',
      'skipped',
      'shed',
      'tls',
    ]);
    expect(doc.flows.map((f: { id: string }) => f.id)).toEqual(['flow-1']);
    expect(doc.findings[0].evidence.value).toBeUndefined();
    expect(doc.skipped).toEqual([{ file: 'teddy.pcapng', reason: 'bad-frame', count: 2 }]);
    const shown = JSON.parse((await run(['findings', '--json', '--reveal'], store)).out);
    expect(shown.findings[0].evidence.value).toBe('aa:bb:cc:dd:ee:ff');
  });

  it('policy check: 0 clean, 1 violations (with JUnit), 2 bad policy or missing database', async () => {
    const clean = await run(['policy', 'check', '--policy', POLICY], new FakeStore([makeFinding()]));
    expect(clean.code).toBe(0);
    expect(clean.out).not.toContain('voice-1p');
    expect(clean.out).toMatch(/: passed \(1 passing rule check not listed: --verbose\)\.\n$/);
    const verbose = await run(['policy', 'check', '--policy', POLICY, '--verbose'], new FakeStore([makeFinding()]));
    expect(verbose.out).toContain('pass  voice-1p');
    const junit = join(dir, 'out.xml');
    const store = new FakeStore([makeFinding(), makeFinding({ id: 'leak', destination: third.destination })]);
    const bad = await run(['policy', 'check', '--policy', POLICY, '--junit', junit], store);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('FAIL  voice-1p');
    expect(bad.out).toContain('1 violation in 1 failing rule');
    expect(store.closed).toBe(true);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('<testsuite name="teddy" tests="1" failures="1"');
    // The reason and the destination line use the policy's word for the host: third party.
    expect(xml).toMatch(
      /sent to third party geo\.tracker\.example[^\n]*\n[\s\S]*destination: geo\.tracker\.example \(third party/,
    );
    expect(bad.out).not.toContain('…');
    const json = JSON.parse((await run(['policy', 'check', '--policy', POLICY, '--json'], store)).out);
    expect(json.violations.map((v: { findingId: string }) => v.findingId)).toEqual(['leak']);
    const badPolicy = join(dir, 'bad-policy.yaml');
    writeFileSync(badPolicy, 'version: 1\nrules: [{category: voice, allow: sometimes}]\n');
    const invalid = await run(['policy', 'check', '--policy', badPolicy], store);
    expect(invalid.code).toBe(2);
    expect(invalid.err).toBe(
      'toyscope: bad-policy.yaml: rules[0].allow: expected one of first-party, third-party, any, none\n',
    );
    const nodb = await run(['policy', 'check', '--policy', POLICY, '--db', join(dir, 'none.db')]);
    expect(nodb.code).toBe(2);
    expect(nodb.err).toMatch(/^toyscope: no database at .*none\.db/);
  });

  it('purge asks on a terminal, refuses without --yes elsewhere, and passes filters to the store', async () => {
    const store = new FakeStore([], [{ id: MAC, name: 'teddy', firstTs: 0, lastTs: 0 }], [makeCapture()]);
    const refused = await run(['purge', '--older-than', '30d'], store);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('without --yes');
    expect(store.purges).toHaveLength(0);
    const declined = await run(['purge', '--device', 'teddy'], store, { interactive: true, answer: 'n' });
    expect(declined.asked[0]).toMatch(/^Purge captured personal data of device teddy of all time\?/);
    expect(declined.out).toBe('Nothing purged.\n');
    expect(store.purges).toHaveLength(0);
    const yes = await run(['purge', '--before', '2024-05-01', '--capture', 'aaaa', '--everything'], store, {
      interactive: true,
      answer: 'y',
    });
    expect(yes.code).toBe(0);
    expect(store.purges[0]).toEqual({
      beforeTs: new Date(2024, 4, 1).getTime() * 1000, // local midnight, as --help says
      captureId: 'a'.repeat(64),
      everything: true,
    });
    expect(yes.out).toBe('Deleted 3 findings, 1 flow with their messages, and 2 evidence blobs.\n');
    const values = await run(['purge', '--yes', '--device', 'teddy'], store);
    expect(store.purges[1]).toEqual({ deviceId: MAC });
    expect(values.out).toBe(
      'Removed 2 evidence blobs and the captured values of 0 findings; the findings, flows and messages remain, masked (--everything deletes them too).\n',
    );
    const unknown = await run(['purge', '--yes', '--capture', 'bbbb'], store);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/^toyscope: no capture bbbb/);
  });

  it('config check prints the resolved config, and names the key of an error', async () => {
    const ok = await run(['config', 'check']);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain(`# ${cfg}: valid`);
    expect(ok.out).toContain('name: teddy');
    expect(ok.out).toContain('MAX_EVIDENCE_BYTES: 8388608');
    const badCfg = join(dir, 'bad.yaml');
    writeFileSync(badCfg, 'devices:\n  - name: a\n  - name: b\n    mac: 12:34\n');
    const bad = await run(['--config', badCfg, 'config', 'check']);
    expect(bad.code).toBe(2);
    expect(bad.err).toBe('toyscope: bad.yaml: devices[1].mac: expected a MAC address like aa:bb:cc:dd:ee:ff\n');
  });

  it('creates the data directory with mode 0700, and reading commands create nothing', async () => {
    const dataDir = join(dir, 'data');
    const io: CliIo = { ...quietIo(), err: () => {} };
    await runCli(['--data-dir', dataDir, 'findings'], io, { openStore: async () => new FakeStore() });
    expect(() => statSync(dataDir)).toThrow();
    ensureDataDir(join(dataDir, 'nested'));
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'nested')).mode & 0o777).toBe(0o700);
    expect(() => ensureDataDir(db)).toThrow('is not a folder');
  });

  it('turns an unexpected error into one line and exit 3', async () => {
    const io = { ...quietIo(), err: (t: string) => errs.push(t) };
    const errs: string[] = [];
    const code = await runCli(['--db', db, 'findings'], io, {
      openStore: async () => {
        throw new TypeError('boom');
      },
    });
    expect(code).toBe(2); // a store that cannot be opened is bad input
    expect(errs.join('')).toBe(`toyscope: cannot open database ${db}: boom\n`);
    const store = new FakeStore();
    store.listFindings = () => {
      throw new RangeError('kaput');
    };
    errs.length = 0;
    expect(await runCli(['--db', db, 'findings'], io, { openStore: async () => store })).toBe(3);
    expect(errs.join('')).toBe('toyscope: internal error: kaput (run with TOYSCOPE_DEBUG=1 for the stack)\n');
  });
});

/**
 * No personal value reaches output unless --reveal: every fixture is replayed through the real CLI, and the
 * terminal summary, --json, JUnit (replay --policy, policy check), `findings` and `findings --json` are searched
 * for each fixture's known personal values (copied from its make script, fixtures/make/<case>.sh) and for every
 * personal value the analyzers reported (read back with --reveal). None may appear; with --reveal they do.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.ts';
import { FIXTURES, toyscope } from '../helpers/toyscope-process.ts';

/** Values each fixture's make script sends (fixtures/make/<case>.sh), personal by any reading. */
const KNOWN: Record<string, string[]> = {
  'binary-bodies': ['+8613812345678', '39.9042', '116.4074', 'Doudou'],
  'contacts-family-sync': [
    '+8613812345678',
    '13912345678',
    '15912345678',
    'mia.parent@example.com',
    '王小雨',
    '2018-05-02',
    '阳光幼儿园',
    '大班二班',
    'TY2023A0019283',
    'd4:a6:51:0b:7e:21',
    'D4:A6:51:0B:7E:21',
    'HomeNet-5G',
    'correct-horse-42',
    'xiaoyu.png',
  ],
  'curl-keepalive': ['2019-04-02'],
  'decompression-bombs': ['2019-04-02'],
  'protocol-bombs': ['31.230416', '121.473701'],
  'curl-multipart': ['Doudou'],
  'ipv6-loopback': ['02:00:5e:10:00:01', 'parent@example.com'],
  'loc-amap-wifi': [
    '352315052834187',
    '3c:37:86:5d:75:d4',
    '30:86:2d:c4:29:d0',
    'e8:94:f6:68:0c:2a',
    '116.481488',
    '39.990464',
    '39.915119',
    '116.403963',
    '460,0,4566,6758',
  ],
  'mqtt-iot-topics': ['30.2741', '120.1551', '47.6062', '-122.3321', 'Lily'],
  'mqtt-tcp': ['31.2304', '121.4737'],
  'mqtt-ws': ['31.2304', '121.4737', 'Doudou'],
  pipelined: ['31.2304', '121.4737'],
  'sll2-any': ['+8613800138000', '+86 138 0013 8000'],
  vlan: ['22.5431', '114.0579'],
};

/** A policy that every finding breaks, so JUnit carries every excerpt. */
const EVERYTHING_FAILS = 'version: 1\nrules:\n  - id: nothing-may-leave\n    category: "*"\n    allow: none\n';

const captures = readdirSync(FIXTURES).flatMap((d) => {
  if (!existsSync(join(FIXTURES, d, 'expected.json'))) return [];
  const file = readdirSync(join(FIXTURES, d)).find((f) => /^capture\.(pcap|pcapng)$/.test(f));
  return file ? [join(FIXTURES, d, file)] : [];
});

let dir: string;
const outputs: Record<string, string> = {};
let revealed: Finding[] = [];
let masked: Finding[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'toyscope-leak-'));
  const db = ['--db', join(dir, 't.db')];
  const policy = join(dir, 'policy.yaml');
  writeFileSync(policy, EVERYTHING_FAILS);
  const run = async (name: string, ...args: string[]) => {
    const r = await toyscope(...db, ...args);
    expect(r.err).not.toMatch(/internal error|\n\s+at /);
    outputs[name] = `${r.out}\n${r.err}`;
    return r;
  };
  const junit = join(dir, 'replay.xml');
  const first = await run('replay summary', 'replay', ...captures, '--policy', policy, '--junit', junit);
  expect(first.code).toBe(1); // every finding breaks the policy
  outputs['replay junit'] = readFileSync(junit, 'utf8');
  await run('replay --json', 'replay', ...captures, '--json');
  const checkJunit = join(dir, 'check.xml');
  await run('policy check', 'policy', 'check', '--policy', policy, '--junit', checkJunit);
  outputs['policy check junit'] = readFileSync(checkJunit, 'utf8');
  await run('policy check --json', 'policy', 'check', '--policy', policy, '--json');
  await run('findings', 'findings', '--limit', '100000');
  const json = await run('findings --json', 'findings', '--json', '--limit', '100000');
  masked = (JSON.parse(json.out) as { findings: Finding[] }).findings;
  const reveal = await toyscope(...db, 'findings', '--json', '--reveal', '--limit', '100000');
  revealed = (JSON.parse(reveal.out) as { findings: Finding[] }).findings;
  outputs['--reveal'] = reveal.out;
}, 600_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Values short enough to occur by chance (an age, a one-character gender) are not searched for. */
const searchable = (v: string) => [...v].length >= (/^[\x00-\x7f]*$/.test(v) ? 4 : 3);

/** The personal values the analyzers reported: masked parts of excerpts (unmasked) and personal detail values. */
function reportedValues(findings: Finding[]): string[] {
  const values = new Set<string>();
  for (const f of findings) {
    const { excerpt, value, detail } = f.evidence;
    if (value !== undefined && value !== excerpt) values.add(value);
    for (const v of Object.values(detail ?? {})) values.add(String(v));
  }
  return [...values].filter(searchable);
}

describe('personal data stays masked unless --reveal', () => {
  it('has every fixture and a finding with a personal value to look for', () => {
    expect(captures.length).toBeGreaterThan(20);
    expect(reportedValues(revealed).length).toBeGreaterThan(30);
  });

  it("no fixture's known personal value appears in the summary, --json, JUnit or findings output", () => {
    const leaks: string[] = [];
    for (const [fixture, values] of Object.entries(KNOWN)) {
      for (const v of values.filter(searchable)) {
        for (const [name, text] of Object.entries(outputs)) {
          if (name !== '--reveal' && text.includes(v)) leaks.push(`${fixture}: ${v} in ${name}`);
        }
      }
    }
    expect(leaks).toEqual([]);
  });

  it('no value an analyzer reported as personal appears there either, and --reveal shows them', () => {
    const values = reportedValues(revealed);
    const leaks = values.flatMap((v) =>
      Object.entries(outputs)
        .filter(([name, text]) => name !== '--reveal' && text.includes(v))
        .map(([name]) => `${v} in ${name}`),
    );
    expect(leaks).toEqual([]);
    for (const v of ['+8613812345678', '39.915119', 'HomeNet-5G']) expect(outputs['--reveal']).toContain(v);
  });

  it('keeps what is not personal readable: kinds, key paths, sizes, durations and reasons', () => {
    const voice = masked.find((f) => f.category === 'voice' && f.subtype === 'raw-pcm');
    expect(voice?.evidence.excerpt).toMatch(/^raw-pcm \d+ Hz, \d+\.\d s, \d+ bytes$/);
    const wifi = masked.find((f) => f.subtype === 'wifi-credentials');
    expect(wifi?.evidence.excerpt).toMatch(/^ssid=.*•.* password=.*•/);
    expect(wifi?.path).toBe('$.wifi.passwd');
    const countries = masked.filter((f) => f.subtype === 'phone-number').map((f) => f.detail?.country);
    expect(countries).toContain('CN');
    expect(countries).toContain('US');
    expect(outputs['findings']).toMatch(/face\/face\s.*1 face in image\/jpeg \d+x\d+/);
  });
});

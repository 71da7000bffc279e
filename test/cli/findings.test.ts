/**
 * `toyscope findings` over a real store filled by `toyscope replay` (child processes, as CI runs them): the table
 * shows the newest 50 and says how many more there are; `--json` lists every finding unless `--limit` is given.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, toyscope } from '../helpers/toyscope-process.ts';

/** Four fixtures with more findings together than the table's 50. */
const CASES = ['contacts-family-sync', 'mqtt-iot-topics', 'loc-amap-wifi', 'mqtt-connect-ids'];

describe('toyscope findings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toyscope-findings-'));
  const data = ['--data-dir', dir];
  let stored = 0;

  beforeAll(async () => {
    const r = await toyscope(...data, 'replay', ...CASES.map((c) => join(FIXTURES, c, 'capture.pcap')), '--json');
    expect(r.code, r.err).toBe(0);
    stored = JSON.parse(r.out).findings.length;
    expect(stored).toBeGreaterThan(50);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('shows the newest 50 in the table and says how many there are', async () => {
    const r = await toyscope(...data, 'findings');
    expect(r.code).toBe(0);
    expect(r.out.trimEnd().split('\n')).toHaveLength(1 + 50 + 1);
    expect(r.out).toContain(`(50 of ${stored} shown; use --limit to see more)`);
  });

  it('--json lists every finding, with the flows, devices and captures they came from', async () => {
    const r = await toyscope(...data, 'findings', '--json');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const doc = JSON.parse(r.out);
    expect(doc.findings).toHaveLength(stored);
    expect(new Set(doc.findings.map((f: { id: string }) => f.id)).size).toBe(stored);
    const flowIds = new Set(doc.flows.map((f: { id: string }) => f.id));
    expect(doc.findings.every((f: { flowId: string }) => flowIds.has(f.flowId))).toBe(true);
    expect(doc.captures).toHaveLength(CASES.length);
    expect(doc.tls).toEqual(expect.objectContaining({ flows: expect.any(Number) }));
  });

  it('--json --limit N lists the newest N, and the filters apply', async () => {
    const all = JSON.parse((await toyscope(...data, 'findings', '--json')).out).findings;
    const limited = JSON.parse((await toyscope(...data, 'findings', '--json', '--limit', '7')).out);
    expect(limited.findings).toEqual(all.slice(0, 7));
    const location = JSON.parse((await toyscope(...data, 'findings', '--json', '--category', 'location')).out);
    expect(location.findings.length).toBe(all.filter((f: { category: string }) => f.category === 'location').length);
    expect(location.findings.length).toBeGreaterThan(0);
  });
});

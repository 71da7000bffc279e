/**
 * Memory stays bounded by the limits on connection floods: a 400,000-SYN capture, generated here, replays through
 * the real CLI at a peak resident set of at most 300 MiB, measured by the child process itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSynFlood } from '../helpers/flood.ts';
import { toyscopeWith } from '../helpers/toyscope-process.ts';

const REPORT_RSS = join(import.meta.dirname, '../helpers/report-max-rss.mjs');
const MAX_RSS_MIB = 300;
const dir = mkdtempSync(join(tmpdir(), 'toyscope-flood-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('replay memory on floods', () => {
  it(`400,000 single-SYN connections replay under ${MAX_RSS_MIB} MiB peak RSS`, async () => {
    const capture = join(dir, 'syn-flood.pcap');
    writeSynFlood(capture, 400_000);
    const r = await toyscopeWith(
      { nodeArgs: ['--import', REPORT_RSS], timeoutMs: 600_000 },
      '--db',
      join(dir, 't.db'),
      'replay',
      capture,
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Flows: 400000 {2}\(tcp 400000\)$/m);
    const kib = Number(/max-rss-kib (\d+)/.exec(r.err)?.[1]);
    expect(kib / 1024).toBeGreaterThan(50); // measured at all
    expect(kib / 1024).toBeLessThanOrEqual(MAX_RSS_MIB);
  }, 600_000);
});

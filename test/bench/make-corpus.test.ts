import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureMixedPcap, HOSTS } from '../../bench/make-corpus.ts';
import { replayCapture } from '../../testkit/replay.ts';

const dir = mkdtempSync(join(tmpdir(), 'toyscope-make-corpus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the replay bench capture', () => {
  const file = ensureMixedPcap(join(dir, 'mixed.pcap'), 3 * 1024 * 1024);

  it('is written to the size asked, and reused while complete', () => {
    const { size, mtimeMs } = statSync(file);
    expect(size).toBeGreaterThanOrEqual(3 * 1024 * 1024);
    expect(ensureMixedPcap(file, 3 * 1024 * 1024)).toBe(file);
    expect(statSync(file).mtimeMs).toBe(mtimeMs);
  });

  it('replays to every request, from eight devices to the cloud hosts, without violations', () => {
    const posts = readFileSync(file).toString('latin1').split('POST /').length - 1;
    const { out, skipped } = replayCapture(file, []);
    const flows = [...out.flows.values()];
    expect(out.violations).toEqual([]);
    expect(skipped.size).toBe(0);
    expect(new Set(flows.map((f) => f.deviceId)).size).toBe(8);
    for (const f of flows) expect(HOSTS).toContain(f.server.host);
    expect(out.messages.filter((m) => m.direction === 'upload' && m.method === 'POST')).toHaveLength(posts);
    expect(out.messages.every((m) => m.gapBytes === 0)).toBe(true);
    const chunked = out.messages.filter((m) => m.url?.startsWith('/speech/'));
    expect(chunked.length).toBeGreaterThan(0);
    for (const m of chunked) expect(m.bodyBytes).toBe(160_000);
  });
});

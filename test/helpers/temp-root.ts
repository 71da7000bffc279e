/**
 * vitest's global setup: the run gets a temporary directory of its own, TMPDIR for the test workers and every process
 * they start (the CLI, servers, Chromium), removed when the run ends. Tests make their directories with
 * `mkdtemp(tmpdir())`; whatever one leaves behind goes with the run instead of piling up in the machine's /tmp.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const saved = process.env.TMPDIR;
  const root = mkdtempSync(join(tmpdir(), 'toyscope-test-'));
  process.env.TMPDIR = root;
  return () => {
    rmSync(root, { recursive: true, force: true });
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  };
}

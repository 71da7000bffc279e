/**
 * A replay of large captures runs in a second process started with the memory settings of bin/replay-process.js
 * (docs/adr/0035-replay-process-memory.md): the same output and exit code as in one process, the settings really
 * on the second process, and the second process gone when the first is killed with SIGKILL.
 * TOYSCOPE_LARGE_REPLAY_BYTES=0 makes every replay large.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPLAY_ENV, REPLAY_NODE_FLAGS } from '../../bin/replay-process.js';
import { FIXTURES } from '../helpers/toyscope-process.ts';

const BIN = join(import.meta.dirname, '../../bin/toyscope.js');
const dir = mkdtempSync(join(tmpdir(), 'toyscope-replay-process-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const capture = join(FIXTURES, 'contacts-family-sync', 'capture.pcap');

/** Runs the CLI with `env` added; resolves with its exit code and standard output. */
function run(env: Record<string, string>, ...args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('exit', (code) => resolve({ code, out }));
  });
}

/** The `--json` document without what differs between two runs of the same replay (the import time). */
function comparable(json: string): unknown {
  return JSON.parse(json.replace(/"importedAt":\s*\d+/g, '"importedAt":0'));
}

/** The pids of `pid`'s children (from /proc). */
function childrenOf(pid: number): number[] {
  const file = `/proc/${pid}/task/${pid}/children`;
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number) : [];
}

async function until(test: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (test()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return test();
}

describe('a large replay in a process of its own', () => {
  it('gives the same document and exit code as one process', async () => {
    const large = { TOYSCOPE_LARGE_REPLAY_BYTES: '0' };
    const one = await run({}, '--data-dir', join(dir, 'one'), 'replay', capture, '--json');
    const two = await run(large, '--data-dir', join(dir, 'two'), 'replay', capture, '--json');
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(comparable(two.out)).toEqual(comparable(one.out));
    const missing = await run(large, '--data-dir', join(dir, 'three'), 'replay', join(dir, 'no-such.pcap'));
    expect(missing.code).toBe(2);
  }, 60_000);

  it('starts it with the memory settings, and it ends when the first is killed with SIGKILL', async () => {
    // Reading a capture from a pipe that stays open: the replay waits for more until it is killed.
    const first = spawn(process.execPath, [BIN, '--data-dir', join(dir, 'kill'), 'replay', '-'], {
      env: { ...process.env, TOYSCOPE_LARGE_REPLAY_BYTES: '0' },
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    first.stdin.write(readFileSync(capture).subarray(0, 4096));
    const pid = first.pid!;
    expect(await until(() => childrenOf(pid).length > 0, 20_000)).toBe(true);
    const second = childrenOf(pid)[0]!;
    const cmdline = readFileSync(`/proc/${second}/cmdline`, 'utf8').split('\0');
    const environ = readFileSync(`/proc/${second}/environ`, 'utf8').split('\0');
    for (const flag of REPLAY_NODE_FLAGS) expect(cmdline).toContain(flag);
    for (const [k, v] of Object.entries(REPLAY_ENV)) expect(environ).toContain(`${k}=${v}`);
    first.kill('SIGKILL');
    expect(
      await until(
        () => !existsSync(`/proc/${second}`) || /\) Z /.test(readFileSync(`/proc/${second}/stat`, 'utf8')),
        10_000,
      ),
    ).toBe(true);
  }, 60_000);
});

/**
 * The processes the end-to-end benches time: one replay in a child (bench/replay-child.ts, so its peak RSS is its
 * own) and tshark on the same file as the reference. Bounded: each has a timeout.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildResult } from './replay-child.ts';

const here = dirname(fileURLToPath(import.meta.url));
const CHILD_TIMEOUT_MS = 600_000;
/** tshark decrypting the 218 MB TLS corpus took 320 s on a loaded 2-core machine. */
const TSHARK_TIMEOUT_MS = 900_000;

/** Wall seconds of `fn`. */
export function seconds(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** One replay in a child process; `keyLog` is passed as `--keylog` would be. */
export function replayInChild(file: string, mode: ChildResult['mode'], keyLog?: string): ChildResult {
  const args = ['--import', 'tsx', join(here, 'replay-child.ts'), file, mode, ...(keyLog ? [keyLog] : [])];
  const r = spawnSync(process.execPath, args, {
    cwd: join(here, '..'),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: CHILD_TIMEOUT_MS,
  });
  if (r.status !== 0) throw new Error(`replay-child ${mode} exited ${r.status ?? r.signal}`);
  return JSON.parse(r.stdout) as ChildResult;
}

/** Wall time of tshark with `args`, and its stdout lines; undefined when tshark is not installed. */
export function tshark(args: string[]): { seconds: number; lines: number } | undefined {
  let out = '';
  let status: number | null = null;
  let missing = false;
  const s = seconds(() => {
    const r = spawnSync('tshark', args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 256 * 2 ** 20,
      timeout: TSHARK_TIMEOUT_MS,
    });
    missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
    out = r.stdout ?? '';
    status = r.status;
  });
  if (missing) return undefined;
  if (status !== 0) throw new Error(`tshark ${args.join(' ')} exited ${status}`);
  return { seconds: s, lines: out.split('\n').filter((l) => l !== '').length };
}

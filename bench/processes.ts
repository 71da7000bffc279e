/**
 * The processes the end-to-end benches time: one replay in a child (bench/replay-child.ts, so its peak RSS is its
 * own) and tshark on the same file as the reference. Bounded: each has a timeout.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPLAY_ENV, REPLAY_NODE_FLAGS } from '../bin/replay-process.js';
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

/**
 * One replay in a child process, started as `toyscope replay` starts its process (bin/replay-process.js); `keyLog`
 * is passed as `--keylog` would be.
 */
export function replayInChild(file: string, mode: ChildResult['mode'], keyLog?: string): ChildResult {
  const args = [
    ...REPLAY_NODE_FLAGS,
    '--import',
    'tsx',
    join(here, 'replay-child.ts'),
    file,
    mode,
    ...(keyLog ? [keyLog] : []),
  ];
  const r = spawnSync(process.execPath, args, {
    cwd: join(here, '..'),
    env: { ...process.env, ...REPLAY_ENV },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: CHILD_TIMEOUT_MS,
  });
  if (r.status !== 0) throw new Error(`replay-child ${mode} exited ${r.status ?? r.signal}`);
  return JSON.parse(r.stdout) as ChildResult;
}

/** A process timed: wall seconds, CPU seconds (user + system, from /usr/bin/time; undefined without it), stdout lines. */
export interface Timed {
  seconds: number;
  cpuSeconds: number | undefined;
  lines: number;
}

const TIME = '/usr/bin/time';
const hasTime = existsSync(TIME);

/** Runs `cmd args` to the end (bounded by TSHARK_TIMEOUT_MS); undefined when `cmd` is not installed. */
export function timed(cmd: string, args: string[]): Timed | undefined {
  let out = '';
  let err = '';
  let status: number | null = null;
  let missing = false;
  const s = seconds(() => {
    const [file, argv] = hasTime ? [TIME, ['-f', 'cpu %U %S', cmd, ...args]] : [cmd, args];
    const r = spawnSync(file, argv, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 256 * 2 ** 20,
      timeout: TSHARK_TIMEOUT_MS,
    });
    missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' || r.status === 127;
    out = r.stdout ?? '';
    err = r.stderr ?? '';
    status = r.status;
  });
  if (missing) return undefined;
  if (status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${status}: ${err.trim().split('\n').at(-1)}`);
  const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(err);
  return {
    seconds: s,
    cpuSeconds: cpu ? Number(cpu[1]) + Number(cpu[2]) : undefined,
    lines: out.split('\n').filter((l) => l !== '').length,
  };
}

/** tshark with `args` timed; undefined when tshark is not installed. */
export function tshark(args: string[]): Timed | undefined {
  return timed('tshark', args);
}

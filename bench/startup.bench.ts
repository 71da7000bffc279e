/**
 * Start-up: `node bin/toyscope.js --version` and a replay of a ≈ 100-packet capture (three recorded fixtures joined
 * by mergecap: location, contacts, keep-alive; a fresh data directory each run), the median of RUNS runs beside
 * `node -e 0` (the floor: Node itself) and `tshark -v`, measured in the same run. Wall time on a shared machine says
 * more about the neighbours than about us, so each figure also carries its median CPU seconds (user + system).
 * A bounded loop of RUNS runs, each timed by /usr/bin/time (hyperfine gives the same medians by hand:
 * `hyperfine -N -r 10 'node bin/toyscope.js --version'`).
 * `tsx` runs the same commands with TOYSCOPE_TSX=1: the sources through tsx, as before dist/ existed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { round } from './measure.ts';
import { timed } from './processes.ts';
import type { Bench } from './run.ts';

const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 10);
const GOAL_SECONDS = 0.3;
const FIXTURES = ['loc-amap-wifi', 'contacts-family-sync', 'curl-keepalive'].map((c) => `fixtures/${c}/capture.pcap`);

/** Median wall and CPU seconds of RUNS runs of `argv`, `prepare` run before each. */
function median(argv: string[], env: NodeJS.ProcessEnv, prepare: () => void): { seconds: number; cpu?: number } {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    prepare();
    const [cmd, ...args] = argv as [string, ...string[]];
    const t = withEnv(env, () => timed(cmd, args));
    if (!t) throw new Error(`${cmd} not installed`);
    walls.push(t.seconds);
    if (t.cpuSeconds !== undefined) cpus.push(t.cpuSeconds);
  }
  const mid = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { seconds: mid(walls), ...(cpus.length ? { cpu: mid(cpus) } : {}) };
}

function withEnv<T>(env: NodeJS.ProcessEnv, fn: () => T): T {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return fn();
  } finally {
    for (const k of Object.keys(env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

const bench: Bench = async (emit) => {
  const dir = mkdtempSync(join(tmpdir(), 'toyscope-bench-startup-'));
  try {
    const capture = join(dir, 'small.pcap');
    const merged = spawnSync('mergecap', ['-a', '-F', 'pcap', '-w', capture, ...FIXTURES], { timeout: 30_000 });
    const data = join(dir, 'data');
    const fresh = () => rmSync(data, { recursive: true, force: true });
    const none = () => {};
    const floor = median([process.execPath, '-e', '0'], {}, none);
    emit({ bench: 'startup', corpus: 'none', command: 'node -e 0', ...figure(floor) });
    const tshark = existsSync('/usr/bin/tshark') ? median(['tshark', '-v'], {}, none) : undefined;
    if (tshark) emit({ bench: 'startup', corpus: 'none', command: 'tshark -v', ...figure(tshark) });
    const cases: Array<[string, string, string[]]> = [['none', '--version', ['--version']]];
    if (merged.status === 0) cases.push(['small-100-packets', 'replay', ['--data-dir', data, 'replay', capture]]);
    else emit({ bench: 'startup', corpus: 'small-100-packets', skipped: 'mergecap (wireshark-common) missing' });
    for (const [corpus, name, args] of cases) {
      for (const [how, env] of [
        ['dist', {}],
        ['tsx', { TOYSCOPE_TSX: '1' }],
      ] as const) {
        const m = median([process.execPath, 'bin/toyscope.js', ...args], env, fresh);
        emit({
          bench: 'startup',
          corpus,
          command: `toyscope ${name}`,
          how,
          ...figure(m),
          goal_seconds: GOAL_SECONDS,
          vs_node_floor_seconds: round(m.seconds - floor.seconds, 3),
          ...(m.cpu !== undefined && floor.cpu !== undefined ? { vs_node_floor_cpu: round(m.cpu - floor.cpu, 3) } : {}),
        });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
export default bench;

function figure(m: { seconds: number; cpu?: number }): Record<string, number> {
  return {
    median_seconds: round(m.seconds, 3),
    ...(m.cpu !== undefined ? { median_cpu_seconds: round(m.cpu, 3) } : {}),
  };
}

/**
 * A CPU profile hint, not a throughput figure: runs the pipeline bench once under `node --cpu-prof` in a child
 * (mixed corpus, small per-kind corpora) and emits the 10 functions with the most self time, summed by function
 * and file over the .cpuprofile's samples. Idle time, module loading and the bench's own corpus builders (bench/)
 * are left out of the ranking and of the percentages. Line numbers are not given: they are tsx's transformed lines, not source.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { round } from './measure.ts';
import type { Bench } from './run.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const TOP = 10;

/** The parts of a V8 .cpuprofile this summary reads. */
interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string } }>;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Self time in ms by `function (file)`, biggest first, without idle time, the module loader, and frames from
 * `skipUnder`.
 */
export function selfTimes(p: CpuProfile, skipUnder: string): Array<{ fn: string; file: string; ms: number }> {
  const byNode = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const totals = new Map<string, { fn: string; file: string; ms: number }>();
  p.samples.forEach((id, i) => {
    const frame = byNode.get(id);
    if (!frame || frame.functionName === '(idle)') return;
    const path = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url;
    if (path.startsWith(skipUnder) || path.startsWith('node:internal/modules')) return;
    const file = path.startsWith(root) ? relative(root, path) : path.replace(/^.*node_modules\//, '');
    const fn = frame.functionName || '(anonymous)';
    const key = `${fn}\u0000${file}`;
    const t = totals.get(key) ?? { fn, file, ms: 0 };
    t.ms += (p.timeDeltas[i] ?? 0) / 1000;
    totals.set(key, t);
  });
  return [...totals.values()].sort((a, b) => b.ms - a.ms);
}

const bench: Bench = async (emit) => {
  const dir = mkdtempSync(join(tmpdir(), 'toyscope-bench-prof-'));
  try {
    const r = spawnSync(
      process.execPath,
      ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--import', 'tsx', join(here, 'run.ts'), 'pipeline'],
      {
        cwd: root,
        stdio: ['ignore', 'ignore', 'inherit'],
        timeout: 120_000,
        env: { ...process.env, BENCH_PIPELINE_KIND_MB: '1', BENCH_PIPELINE_MIXED_MB: '48', BENCH_ROUNDS: '6' },
      },
    );
    if (r.status !== 0) throw new Error(`profiled pipeline bench exited ${r.status ?? r.signal}`);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('node --cpu-prof wrote no profile');
    const times = selfTimes(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile, here);
    const total = times.reduce((s, t) => s + t.ms, 0);
    times.slice(0, TOP).forEach((t, i) => {
      emit({
        bench: 'profile',
        corpus: 'pipeline-mixed',
        rank: i + 1,
        function: t.fn,
        file: t.file,
        self_ms: round(t.ms),
        self_pct: round((100 * t.ms) / total),
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
export default bench;

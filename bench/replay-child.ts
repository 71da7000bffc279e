/**
 * One replay for bench/replay.bench.ts and bench/tls.bench.ts, in its own process so that its peak RSS is the
 * replay's own: `node --import tsx bench/replay-child.ts FILE store|pipeline [KEYLOG]` (KEYLOG as `--keylog`). Wired as src/cli/commands/replay.ts wires it (src/analysis.ts)
 * (replayFile + Pipeline with the registry's analyzers, default config limits and destinations), plus the bench
 * analyzers so every decoder runs; `store` writes into a fresh SQLite file through openStore().writer() in a bulk
 * write (Store.startBulk, as the CLI),
 * `store-no-images` the same without the face analyzer (no face worker: the replay's memory without images),
 * `pipeline` into an output that drops everything. Prints one JSON object on stdout; not a bench by itself.
 * Like bin/toyscope.js it lets V8's heap grow by at most 20% per collection (docs/adr/0015-heap-growth.md), so its
 * peak RSS is the CLI's, not V8's default controller's (which varied by ±40 MiB from run to run here).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { analyzers } from '../analyzers/index.ts';
import { analysisPipeline } from '../src/analysis.ts';
import { readKeyLogFile, replayFile } from '../src/capture/replay-file.ts';
import { defaultConfig } from '../src/config.ts';
import type { PipelineOutput } from '../src/pipeline/output.ts';
import { openStore } from '../src/store/db.ts';
import { benchAnalyzers } from './analyzers.ts';

/** What the child reports (`store-no-images`: `store` without the face analyzer, so no face worker ever starts). */
export interface ChildResult {
  mode: 'store' | 'store-no-images' | 'pipeline';
  bytes: number;
  packets: number;
  /** Whole replayFile call (sha256 pass + replay) plus the final flush and close. */
  seconds: number;
  hashSeconds: number;
  findings: number;
  flows: number;
  messages: number;
  violations: number;
  tokens: number;
  /**
   * Images the face analyzer reported on: with faces found (`face` findings), and not checked because they did not
   * decode (`face-unchecked`, reason `undecodable`: the detector never ran on them). Images checked and found
   * without a face make no finding.
   */
  imagesWithFaces: number;
  imagesUndecodable: number;
  registryAnalyzers: number;
  /** RSS once everything is loaded, before the replay starts, and the process's peak. */
  startRssMiB: number;
  maxRssMiB: number;
}

setFlagsFromString('--heap-growing-percent=20');
const [file, mode = 'store', keyLogFile] = process.argv.slice(2);
const storing = mode === 'store' || mode === 'store-no-images';
if (!file || (!storing && mode !== 'pipeline')) {
  process.stderr.write('usage: replay-child.ts FILE store|store-no-images|pipeline [KEYLOG]\n');
  process.exit(2);
}

let findings = 0;
let messages = 0;
let violations = 0;
let imagesWithFaces = 0;
let imagesUndecodable = 0;
const flows = new Set<string>();
const counting: PipelineOutput = {
  flow: (r) => void flows.add(r.id),
  message: () => void messages++,
  finding: (f) => {
    findings++;
    if (f.category !== 'face') return;
    if (f.subtype === 'face') imagesWithFaces++;
    if (f.subtype === 'face-unchecked' && f.detail?.reason === 'undecodable') imagesUndecodable++;
  },
  violation: () => void violations++,
  evidence() {},
};
const dir = mkdtempSync(join(tmpdir(), 'toyscope-bench-replay-'));
const store = storing ? openStore(join(dir, 'toyscope.db')) : undefined;
const writer = store?.writer();
// A bulk write, as `toyscope replay` makes one (src/cli/replay-run.ts): bigger transactions, indexes built at the end.
const endBulk = store?.startBulk();
/** Counts, then hands the record to the store writer when there is one. */
function tee(w: PipelineOutput): PipelineOutput {
  return {
    flow(r) {
      counting.flow(r);
      w.flow(r);
    },
    message(r) {
      counting.message(r);
      w.message(r);
    },
    finding(f) {
      counting.finding(f);
      w.finding(f);
    },
    violation(v) {
      counting.violation(v);
      w.violation(v);
    },
    evidence: (e) => w.evidence(e),
  };
}
const output = writer ? tee(writer) : counting;
const config = defaultConfig;
const bench = benchAnalyzers();
const registry = mode === 'store-no-images' ? analyzers.filter((a) => a.name !== 'face') : analyzers;
const pipeline = analysisPipeline(config, output, bench.analyzers, registry);

const startRssMiB = process.memoryUsage.rss() / 2 ** 20;
const t0 = process.hrtime.bigint();
const keyLog = keyLogFile ? await readKeyLogFile(keyLogFile) : undefined;
let hashEnd = t0;
const result = await replayFile(file, {
  pipeline,
  ...(keyLog ? { keyLog } : {}),
  violation: (v) => output.violation(v),
  onProgress: (p) => {
    if (p.phase === 'hash') hashEnd = process.hrtime.bigint();
  },
});
if (writer) {
  writer.capture(result.capture);
  writer.flush();
}
endBulk?.();
store?.close();
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
rmSync(dir, { recursive: true, force: true });

const out: ChildResult = {
  mode,
  bytes: result.capture.bytes,
  packets: result.packets,
  seconds,
  hashSeconds: Number(hashEnd - t0) / 1e9,
  findings,
  flows: flows.size,
  messages,
  violations,
  tokens: bench.consumed.tokens,
  imagesWithFaces,
  imagesUndecodable,
  registryAnalyzers: analyzers.length,
  startRssMiB,
  maxRssMiB: process.resourceUsage().maxRSS / 1024,
};
process.stdout.write(`${JSON.stringify(out)}\n`);

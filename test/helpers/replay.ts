/**
 * Replays a fixture capture through CaptureReplay and a Pipeline in memory (no store), for replay and eval
 * tests, and matches results against a fixture's expected.json (DESIGN.md fixture contract, suricata-verify
 * style partial matches on dotted paths).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { configuredDestinations } from '../../src/analysis.ts';
import { CaptureReplay } from '../../src/capture/replay.ts';
import { defaultConfig } from '../../src/config.ts';
import { KeyLog } from '../../src/decode/tls-keylog.ts';
import type { Analyzer } from '../../src/model/analyzer.ts';
import { CollectingOutput } from '../../src/pipeline/output.ts';
import { Pipeline } from '../../src/pipeline/pipeline.ts';

export interface ReplayResult {
  out: CollectingOutput;
  skipped: Map<string, number>;
  /** `await pipeline.drain()` for the findings of deferred work (face detection); see replayCaptureDrained. */
  pipeline: Pipeline;
}

/** Replays synchronously: findings of deferred work (the face analyzer) are not in `out` yet. */
export function replayCapture(file: string, analyzers: readonly Analyzer[], chunkSize = 64 * 1024): ReplayResult {
  const bytes = readFileSync(file);
  const out = new CollectingOutput();
  // Destinations as `toyscope replay` names them with no toyscope.yaml (a fixture has no configuration).
  const pipeline = new Pipeline({ analyzers, output: out, destination: configuredDestinations(defaultConfig) });
  const captureId = createHash('sha256').update(bytes).digest('hex');
  // A fixture's TLS secrets sit beside its capture (fixtures/<case>/keylog.txt), as `--keylog` would give them.
  const keyLogFile = join(dirname(file), 'keylog.txt');
  const keyLog = new KeyLog();
  if (existsSync(keyLogFile)) keyLog.add(readFileSync(keyLogFile));
  const replay = new CaptureReplay({
    captureId,
    emit: (ev) => pipeline.push(ev),
    violation: (v) => out.violation(v),
    keyLog,
  });
  for (let i = 0; i < bytes.length; i += chunkSize) replay.write(bytes.subarray(i, i + chunkSize));
  replay.end();
  pipeline.finish(replay.lastTs);
  return { out, skipped: replay.skipped, pipeline };
}

/** Replays and waits for deferred work, as `toyscope replay` does: every finding is in `out`. */
export async function replayCaptureDrained(
  file: string,
  analyzers: readonly Analyzer[],
  chunkSize?: number,
): Promise<ReplayResult> {
  const result = replayCapture(file, analyzers, chunkSize);
  await result.pipeline.drain();
  return result;
}

export interface ExpectEntry {
  count: number;
  match: Record<string, unknown>;
}

export interface Expected {
  exhaustive: boolean;
  flows: ExpectEntry[];
  findings: ExpectEntry[];
}

/** The value at a dotted path (`destination.host`, `detail.sampleRate`); flows also answer `host`. */
export function valueAt(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

export function matches(obj: unknown, match: Record<string, unknown>): boolean {
  return Object.entries(match).every(([path, want]) => valueAt(obj, path) === want);
}

/** Problems of `items` against `entries`: wrong counts, and (exhaustive) items that match no entry. */
export function checkExpected(items: unknown[], entries: ExpectEntry[], exhaustive: boolean, what: string): string[] {
  const problems: string[] = [];
  for (const e of entries) {
    const n = items.filter((it) => matches(it, e.match)).length;
    if (n !== e.count) problems.push(`${what} ${JSON.stringify(e.match)}: expected ${e.count}, got ${n}`);
  }
  if (exhaustive) {
    for (const it of items) {
      if (!entries.some((e) => matches(it, e.match)))
        problems.push(`unexpected ${what}: ${JSON.stringify(it).slice(0, 300)}`);
    }
  }
  return problems;
}

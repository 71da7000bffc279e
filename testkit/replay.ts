/**
 * Replays a fixture capture through CaptureReplay and a Pipeline in memory (no store), for replay and eval
 * tests, and matches results against a fixture's expected.json (DESIGN.md fixture contract, suricata-verify
 * style partial matches on dotted paths).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { configuredDestinations } from '../src/analysis.ts';
import { startsLikeJson, startsLikeMitmFlows } from '../src/capture/detect-format.ts';
import { HarReplay, type HarReplayOptions } from '../src/capture/har.ts';
import { HarIndex } from '../src/capture/har-index.ts';
import { MitmFlowsReplay } from '../src/capture/mitm-flows.ts';
import { CaptureReplay } from '../src/capture/replay.ts';
import { defaultConfig } from '../src/config.ts';
import { KeyLog } from '../src/decode/tls-keylog.ts';
import type { Analyzer } from '../src/model/analyzer.ts';
import type { FlowEvent } from '../src/model/events.ts';
import { DEFAULT_LIMITS } from '../src/model/limits.ts';
import { isAnomaly, type Violation } from '../src/model/violation.ts';
import { CollectingOutput } from '../src/pipeline/output.ts';
import { Pipeline } from '../src/pipeline/pipeline.ts';

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
  const emit = (ev: FlowEvent) => pipeline.push(ev);
  const violation = (v: Violation) => out.violation(v);
  const replay = startsLikeJson(bytes)
    ? harReplay(bytes, { captureId, emit, violation, deviceId: `har:${basename(file)}` })
    : startsLikeMitmFlows(bytes)
      ? new MitmFlowsReplay({ captureId, emit, violation, limits: DEFAULT_LIMITS })
      : new CaptureReplay({ captureId, emit, violation, keyLog: fixtureKeyLog(file) });
  for (let i = 0; i < bytes.length; i += chunkSize) replay.write(bytes.subarray(i, i + chunkSize));
  replay.end();
  pipeline.finish(replay.lastTs);
  return { out, skipped: replay.skipped, pipeline };
}

/** A fixture's TLS secrets sit beside its capture (fixtures/<case>/keylog.txt), as `--keylog` would give them. */
function fixtureKeyLog(file: string): KeyLog {
  const keyLog = new KeyLog();
  const keyLogFile = join(dirname(file), 'keylog.txt');
  if (existsSync(keyLogFile)) keyLog.add(readFileSync(keyLogFile));
  return keyLog;
}

/** A HAR's second pass, its first pass run over the whole file first (replay-file.ts runs it while hashing). */
function harReplay(bytes: Uint8Array, o: Omit<HarReplayOptions, 'entries' | 'limits'>): HarReplay {
  const index = new HarIndex(DEFAULT_LIMITS);
  index.write(bytes);
  index.end();
  return new HarReplay({ ...o, entries: index.entries, limits: DEFAULT_LIMITS });
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

/** An anomaly violation with its flow's device and host, so expected.json can name them (`deviceId`, `host`). */
export type AnomalyItem = Violation & { deviceId?: string; host?: string };

/** The anomaly violations of a replay (isAnomaly), each with its flow's device and host. */
export function anomaliesOf(out: CollectingOutput): AnomalyItem[] {
  return out.violations.filter(isAnomaly).map((v) => {
    const flow = v.flowId === undefined ? undefined : out.flows.get(v.flowId);
    return flow ? { ...v, deviceId: flow.deviceId, host: flow.destination.host } : v;
  });
}

export interface ExpectEntry {
  count: number;
  match: Record<string, unknown>;
}

export interface Expected {
  exhaustive: boolean;
  flows: ExpectEntry[];
  findings: ExpectEntry[];
  /**
   * Anomaly violations (`anomaly-*` codes: read one way of several), matched like findings
   * (`{"count": 1, "match": {"code": "anomaly-cl-te"}}`). In an exhaustive case an anomaly matching no entry is
   * a false positive; absent = none expected.
   */
  violations?: ExpectEntry[];
  /**
   * Violations a bound must raise on hostile input (a decompression bomb's `inflate-ratio-exceeded`, JSON's
   * `too-deep` …), matched against every violation of the replay; never exhaustive. Absent = none required.
   */
  bounded?: ExpectEntry[];
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

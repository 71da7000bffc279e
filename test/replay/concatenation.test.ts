/**
 * Captures appended to each other (what `mergecap -a` makes: 4-tuples reused, time going back at every section)
 * give exactly the findings of their parts, and a large one gives the same findings on every replay, whatever the
 * number of face workers. The concatenations are built here from the recorded fixtures (test/helpers/concatenate.ts).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzers } from '../../analyzers/index.ts';
import { analysisPipeline } from '../../src/analysis.ts';
import { replayFile } from '../../src/capture/replay-file.ts';
import { defaultConfig } from '../../src/config.ts';
import { closeSharedFacePool } from '../../src/face/pool.ts';
import type { Finding } from '../../src/model/finding.ts';
import type { Limits } from '../../src/model/limits.ts';
import { type Expected, replayCaptureDrained } from '../../testkit/replay.ts';
import { concatenateCaptures } from '../helpers/concatenate.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures');
const captures = readdirSync(FIXTURES)
  .flatMap((d) => ['capture.pcap', 'capture.pcapng'].map((f) => join(FIXTURES, d, f)))
  .filter((f) => existsSync(f));
const dir = mkdtempSync(join(tmpdir(), 'toyscope-concat-'));
afterAll(async () => {
  await closeSharedFacePool();
  rmSync(dir, { recursive: true, force: true });
});

/** The faces a fixture's expected.json says its capture holds (0 without an expected.json). */
function expectedFaces(capture: string): number {
  const file = join(dirname(capture), 'expected.json');
  if (!existsSync(file)) return 0;
  const { findings } = JSON.parse(readFileSync(file, 'utf8')) as Expected;
  return findings
    .filter((e) => e.match.category === 'face' && e.match.subtype === 'face')
    .reduce((a, e) => a + e.count, 0);
}

/** A finding without what names its flow (ids count flows in the order a capture opens them). */
function signature(f: Finding): string {
  const { id: _id, flowId: _flow, evidence, ...rest } = f;
  const { evidenceId: _evidence, ...kept } = evidence;
  return JSON.stringify({ ...rest, evidence: kept });
}

const signatures = (findings: Finding[]) => findings.map(signature).sort();

describe('concatenated captures', () => {
  it('every fixture appended to every fixture, twice over, gives exactly the union of their findings', async () => {
    expect(captures.length).toBeGreaterThan(20);
    const alone: string[] = [];
    for (const file of captures) alone.push(...signatures((await replayCaptureDrained(file, analyzers)).out.findings));
    const twice = join(dir, 'twice.pcapng');
    concatenateCaptures(twice, [...captures, ...captures]);
    // The fixtures' TLS secrets beside the concatenation, where the replay helper reads a fixture's keylog.txt.
    const keyLogs = captures.map((f) => join(dirname(f), 'keylog.txt')).filter((f) => existsSync(f));
    writeFileSync(join(dir, 'keylog.txt'), Buffer.concat(keyLogs.map((f) => readFileSync(f))));
    const { out } = await replayCaptureDrained(twice, analyzers);
    expect(signatures(out.findings)).toEqual([...alone, ...alone].sort());
  }, 120_000);
});

describe.sequential('a concatenation of at least 50 MB', () => {
  const big = join(dir, 'big.pcapng');
  // Every fixture in the first rounds (face images included), then the fixtures without faces until 50 MB: the face
  // detector's share stays small, so a replay takes a minute or two on two busy cores.
  const ROUNDS = 4;
  const rounds = Array.from({ length: ROUNDS }, () => captures).flat();
  const faces = new Map(captures.map((f) => [f, expectedFaces(f)]));
  const fill = captures.filter((f) => faces.get(f) === 0);
  const facesInRounds = ROUNDS * [...faces.values()].reduce((a, b) => a + b, 0);
  const runs: Finding[][] = [];

  /** `toyscope replay` without the store: the same pipeline and reader, findings by id (last update wins). */
  async function replayBig(limits: Partial<Limits>): Promise<Finding[]> {
    await closeSharedFacePool(); // the next face check starts a pool with these limits
    const byId = new Map<string, Finding>();
    const sink = { flow() {}, message() {}, finding: (f: Finding) => byId.set(f.id, f), violation() {}, evidence() {} };
    const config = { ...defaultConfig, limits: { ...defaultConfig.limits, ...limits } };
    await replayFile(big, { pipeline: analysisPipeline(config, sink), violation: () => {}, limits: config.limits });
    return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  // A queue of 2 images makes the reader wait for the detector again and again (backpressure, nothing dropped).
  // Timeouts are generous: nothing here is timed, and two shared cores can be busy with other work.
  it('replays with 2 face workers', async () => {
    concatenateCaptures(big, rounds, { minBytes: 50 * 1024 * 1024, fill });
    expect(statSync(big).size).toBeGreaterThanOrEqual(50 * 1024 * 1024);
    runs.push(await replayBig({ MAX_FACE_WORKERS: 2, MAX_FACE_QUEUE: 2 }));
  }, 600_000);

  it('replays again with 1 face worker', async () => {
    runs.push(await replayBig({ MAX_FACE_WORKERS: 1, MAX_FACE_QUEUE: 2 }));
  }, 600_000);

  it('gives identical findings both times, every face image checked', () => {
    const [first, second] = runs;
    expect(first?.length).toBeGreaterThan(1000);
    expect(facesInRounds).toBeGreaterThan(0);
    expect(first?.filter((f) => f.category === 'face' && f.subtype === 'face')).toHaveLength(facesInRounds);
    // None shed (queue full, timeout): only an image no decoder can read (face-heif-uploads' cut HEIC) is unchecked.
    expect(first?.filter((f) => f.subtype === 'face-unchecked' && f.detail?.reason !== 'undecodable')).toEqual([]);
    expect(second).toEqual(first);
  });
});

/**
 * `toyscope replay` end to end on two captures: ≥ 200 MB of mixed HTTP with large bodies (bench/make-corpus.ts) and a
 * recorded chatty device, many small keep-alive requests, in two shapes (tiny status replies, and ≈ 3 KB feed replies
 * as in issue 20's capture: bench/record-chatty-corpus.ts), all cached in the OS temp directory. Per capture: MB/s and peak RSS of replayFile + Pipeline + the SQLite store writer, measured in a child process
 * (bench/replay-child.ts) so the RSS is the replay's own; the same without the store, to show its share; and, in
 * the same run, tshark on the same file (`-q -z io,stat,0` and `-Y http.request -T fields -e http.host`) as the
 * references of issue 3's goals (≥ 1× the first, ≥ 1.5× the second, peak RSS ≤ 300 MB). Without tshark those two
 * figures say `skipped`. On the chatty capture, where per-message and start-up costs dominate, the real CLI
 * (`node bin/toyscope.js replay`, whole process) is also timed in CPU seconds beside tshark's (`cpu_ratio` = tshark
 * CPU ÷ toyscope CPU). On the mixed corpus with real photos (PHOTOS_PCAP: 111 of its 491 images decode), peak RSS
 * with and without the face analyzer: issue 20's memory goal where the detector runs, both passes (ADR 0027).
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REAL_PHOTOS } from './corpus.ts';
import { ensureMixedPcap, PHOTOS_PCAP } from './make-corpus.ts';
import { plainRead, round } from './measure.ts';
import { replayInChild, seconds, type Timed, timed, tshark } from './processes.ts';
import { CHATTY_SHAPES, type ChattyShape, ensureChattyPcap } from './record-chatty-corpus.ts';
import type { ChildResult } from './replay-child.ts';
import type { Bench } from './run.ts';

const RUNS = Number(process.env.BENCH_REPLAY_RUNS ?? 1);
const GOAL_RSS_MIB = 300;

/** Best (fastest) of RUNS replays per mode, the modes alternating so that noise hits both; peak RSS is the highest. */
function bestReplays(file: string): Record<'store' | 'pipeline', ChildResult> {
  const best: Partial<Record<'store' | 'pipeline', ChildResult>> = {};
  for (let i = 0; i < RUNS; i++) {
    for (const mode of ['store', 'pipeline'] as const) {
      const r = replayInChild(file, mode);
      const b = best[mode];
      const rss = Math.max(r.maxRssMiB, b?.maxRssMiB ?? 0);
      best[mode] = { ...(b && b.seconds <= r.seconds ? b : r), maxRssMiB: rss };
    }
  }
  return best as Record<'store' | 'pipeline', ChildResult>;
}

const bench: Bench = async (emit) => {
  const mixed = ensureMixedPcap();
  replayFigures(emit, mixed, `mixed-http-pcap-${Math.round(statSync(mixed).size / 2 ** 20)}mb`, false);
  photoFigures(emit, ensureMixedPcap(PHOTOS_PCAP, undefined, REAL_PHOTOS));
  for (const shape of Object.keys(CHATTY_SHAPES) as ChattyShape[]) {
    let chatty: Awaited<ReturnType<typeof ensureChattyPcap>>;
    try {
      chatty = await ensureChattyPcap(shape);
    } catch (err) {
      emit({ bench: 'replay', corpus: `chatty-${shape}`, skipped: `not recorded: ${(err as Error).message}` });
      continue;
    }
    const corpus = `chatty-${shape}-http-pcap-${chatty.requests}-requests-${Math.round(statSync(chatty.file).size / 2 ** 20)}mb`;
    if (chatty.dropped !== undefined) emit({ bench: 'replay', corpus, stage: 'recorded', dropped: chatty.dropped });
    replayFigures(emit, chatty.file, corpus, true);
  }
};
export default bench;

/** Peak RSS of the replay of the corpus with photos, with the face analyzer and without it. */
function photoFigures(emit: Parameters<Bench>[0], file: string): void {
  const corpus = `mixed-http-photos-pcap-${Math.round(statSync(file).size / 2 ** 20)}mb`;
  const store = replayInChild(file, 'store');
  const noImages = replayInChild(file, 'store-no-images');
  emit({
    bench: 'replay',
    corpus,
    stage: 'replay+store with photos',
    peak_rss_mib: round(store.maxRssMiB),
    goal_peak_rss_mib: GOAL_RSS_MIB,
    reference: 'replay+store without images',
    reference_peak_rss_mib: round(noImages.maxRssMiB),
    images_add_mib: round(store.maxRssMiB - noImages.maxRssMiB),
    seconds: round(store.seconds, 2),
    findings: store.findings,
    images_with_faces: store.imagesWithFaces,
    images_undecodable: store.imagesUndecodable,
  });
}

/** The figures of one capture; `cli`: also time the real CLI's whole process in CPU seconds against tshark's. */
function replayFigures(emit: Parameters<Bench>[0], file: string, corpus: string, cli: boolean): void {
  const bytes = statSync(file).size;
  const mb = bytes / 2 ** 20;
  let sink = 0;
  const plainS = seconds(() => {
    const fd = openSync(file, 'r');
    const buf = Buffer.allocUnsafe(2 ** 20);
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) sink += plainRead([buf.subarray(0, n)]);
    closeSync(fd);
  });
  const plain = round(mb / plainS);
  emit({ bench: 'replay', corpus, stage: 'plain-read', mb_per_s: plain, checksum: sink % 1000 });

  const { store, pipeline: pipe } = bestReplays(file);
  const storeMbs = round(mb / store.seconds);
  emit({
    bench: 'replay',
    corpus,
    stage: 'replay+store',
    mb_per_s: storeMbs,
    reference: 'plain-read',
    reference_mb_per_s: plain,
    ratio: round(storeMbs / plain, 3),
    seconds: round(store.seconds, 2),
    hash_seconds: round(store.hashSeconds, 2),
    peak_rss_mib: round(store.maxRssMiB),
    start_rss_mib: round(store.startRssMiB),
    goal_peak_rss_mib: GOAL_RSS_MIB,
    packets: store.packets,
    flows: store.flows,
    messages: store.messages,
    findings: store.findings,
    violations: store.violations,
    // The corpus's JPEG-like parts have no Huffman tables: they never decode, so the detector never runs on them.
    images_with_faces: store.imagesWithFaces,
    images_undecodable: store.imagesUndecodable,
    registry_analyzers: store.registryAnalyzers,
  });
  if (!cli) {
    // The same replay without the face analyzer: what the face worker adds to the peak (its thread and decoder; the
    // detector is loaded only at an image that decodes, and none of this corpus's does: docs/adr/0019).
    const noImages = replayInChild(file, 'store-no-images');
    emit({
      bench: 'replay',
      corpus,
      stage: 'replay+store without images',
      peak_rss_mib: round(noImages.maxRssMiB),
      reference: 'replay+store',
      reference_peak_rss_mib: round(store.maxRssMiB),
      images_add_mib: round(store.maxRssMiB - noImages.maxRssMiB),
      seconds: round(noImages.seconds, 2),
      findings: noImages.findings,
    });
  }
  const pipeMbs = round(mb / pipe.seconds);
  emit({
    bench: 'replay',
    corpus,
    stage: 'replay-pipeline-only',
    mb_per_s: pipeMbs,
    reference: 'replay+store',
    reference_mb_per_s: storeMbs,
    ratio: round(pipeMbs / storeMbs, 3),
    store_share: round(1 - pipe.seconds / store.seconds, 3),
    peak_rss_mib: round(pipe.maxRssMiB),
  });

  const refs: Array<[string, string[], number]> = [
    ['tshark -q -z io,stat,0', ['-r', file, '-q', '-z', 'io,stat,0'], 1],
    [
      'tshark -Y http.request -T fields -e http.host',
      ['-r', file, '-Y', 'http.request', '-T', 'fields', '-e', 'http.host'],
      1.5,
    ],
  ];
  const cliRun = cli ? cliReplay(file) : undefined;
  if (cliRun) {
    emit({
      bench: 'replay',
      corpus,
      stage: 'cli',
      seconds: round(cliRun.seconds, 2),
      ...(cliRun.cpuSeconds === undefined ? {} : { cpu_seconds: round(cliRun.cpuSeconds, 2) }),
    });
  }
  for (const [reference, args, goal] of refs) {
    const t = tshark(args);
    if (!t) {
      emit({ bench: 'replay', corpus, stage: 'vs-tshark', reference, skipped: 'tshark not installed' });
      continue;
    }
    const ref = round(mb / t.seconds);
    const figure = {
      bench: 'replay',
      corpus,
      stage: 'vs-tshark',
      mb_per_s: storeMbs,
      reference,
      reference_mb_per_s: ref,
      ratio: round(storeMbs / ref, 2),
      goal_ratio: goal,
      ...(cliRun?.cpuSeconds && t.cpuSeconds
        ? {
            toyscope_cpu_seconds: round(cliRun.cpuSeconds, 2),
            tshark_cpu_seconds: round(t.cpuSeconds, 2),
            cpu_ratio: round(t.cpuSeconds / cliRun.cpuSeconds, 2),
          }
        : {}),
    };
    emit(
      args.includes('http.host')
        ? { ...figure, tshark_requests: t.lines, toyscope_requests: store.messages / 2 }
        : figure,
    );
  }
}

/** `node bin/toyscope.js replay FILE` into a fresh data directory: the CLI as a user runs it (dist/ when fresh). */
function cliReplay(file: string): Timed | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'toyscope-bench-cli-'));
  try {
    return timed(process.execPath, ['bin/toyscope.js', '--data-dir', dir, 'replay', file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

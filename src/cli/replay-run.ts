/**
 * `toyscope replay`'s work on the store, capture by capture: the capture row is written `incomplete` before its
 * first byte is analyzed and completed at the end, so a killed run leaves its partial data marked; a rerun
 * replaces an incomplete earlier run (never adds to it); a complete one is not analyzed twice unless --force;
 * a capture with nothing to analyze (empty, no packets, none TCP or UDP) is not stored. Standard input gets its
 * sha256 at the end and replaces an earlier capture of the same bytes. From 1 MiB of captures on, a bulk write
 * (Store.startBulk): bigger transactions, the findings indexes only the dashboard reads built once at the end.
 * No printing of results here.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { analysisPipeline } from '../analysis.ts';
import { detectFormat, startsLikeJson, startsLikeMitmFlows } from '../capture/detect-format.ts';
import { captureSource, replaySource } from '../capture/replay-file.ts';
import type { KeyLog } from '../decode/tls-keylog.ts';
import { InputError, systemReason } from '../errors.ts';
import { closeSharedFacePool } from '../face/pool.ts';
import type { CaptureRecord, Store } from '../store/types.ts';
import type { Globals } from './command.ts';
import { oneLine } from './errors.ts';
import { cell } from './format.ts';
import { ProgressBar } from './progress.ts';

export interface ReplayRun {
  /** The captures to report on (replayed now, or already stored), in argument order. */
  captures: CaptureRecord[];
  /** One line per capture that had nothing to analyze (and was not stored). */
  nothing: string[];
}

/**
 * Checks every argument first (missing, directory, `-` twice, a regular file that is no capture): bad input before
 * any work, every bad argument named in one line (`cannot read a.pcap: no such file; b is a directory, …`), so
 * one run tells all there is to fix. A FIFO or standard input is not read here: its format is checked on its
 * first bytes.
 */
export function checkCaptureArgs(args: string[], g: Globals): void {
  if (args.filter((a) => a === '-').length > 1) throw new InputError("'-' (standard input) can be given once");
  const problems: string[] = [];
  for (const a of args) {
    try {
      if (captureSource(a, stdinOf(g)).regular) checkMagic(a);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      problems.push(err.message);
    }
  }
  if (problems.length > 0) throw new InputError(problems.join('; '));
}

function checkMagic(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new InputError(`cannot read ${file}: ${systemReason(err)}`);
  }
  const head = Buffer.alloc(64);
  const n = readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  if (n < 4) return; // an empty or tiny file: reported as having nothing to analyze
  // A HAR or a mitmproxy flow file: read (and checked) by its replay.
  if (startsLikeJson(head.subarray(0, n)) || startsLikeMitmFlows(head.subarray(0, n))) return;
  try {
    detectFormat(head);
  } catch {
    throw new InputError(
      `${file} is not a pcap, pcapng, HAR or mitmproxy flow file (starts with 0x${head.subarray(0, 4).toString('hex')})`,
    );
  }
}

/** What `toyscope replay` passes on besides the files: --force, --keylog, --device. */
export interface ReplayRunOptions {
  force: boolean;
  keyLog: KeyLog | undefined;
  device: string | undefined;
}

export async function replayCaptures(
  args: string[],
  store: Store,
  g: Globals,
  { force, keyLog, device }: ReplayRunOptions,
): Promise<ReplayRun> {
  const config = g.config();
  const writer = store.writer();
  const pipeline = analysisPipeline(config, writer);
  const bar = new ProgressBar();
  const run: ReplayRun = { captures: [], nothing: [] };
  const name = (path: string) => (path === '-' ? 'standard input' : oneLine(path));
  // A bulk write: bigger transactions; the findings indexes only the dashboard reads built once at the end.
  const endBulk = bulky(args, g) ? store.startBulk() : () => {};
  try {
    for (const arg of args) {
      bar.reset();
      let started: CaptureRecord | undefined;
      const result = await replaySource(captureSource(arg, stdinOf(g)), {
        pipeline,
        limits: config.limits,
        ...(keyLog ? { keyLog } : {}),
        ...(device ? { device } : {}),
        violation: (v) => writer.violation(v),
        onProgress: (pr) =>
          bar.update(`${pr.phase === 'hash' ? 'hashing' : 'replaying'} ${cell(arg, 32)}`, pr.bytesRead, pr.bytesTotal),
        begin: (capture) => {
          const prior = capture.sha256 === undefined ? undefined : store.findCapture(capture.sha256);
          if (prior?.status !== 'incomplete' && prior && !force) return false;
          if (prior) store.purge({ captureId: prior.id, everything: true });
          if (prior?.status === 'incomplete') g.io.err(`${name(arg)}: replacing the results of an interrupted run\n`);
          writer.capture(capture);
          writer.flush(); // on disk before any flow: a kill from here on leaves it marked incomplete
          started = capture;
          return true;
        },
      }).catch((err: unknown) => {
        if (started) store.purge({ captureId: started.id, everything: true });
        throw err;
      });
      if (!result.replayed) {
        const stored = store.findCapture(result.capture.sha256 ?? result.capture.id) ?? result.capture;
        g.io.err(
          `${name(arg)}: already in the database (sha256 ${(stored.sha256 ?? stored.id).slice(0, 12)}); showing stored results (--force re-analyzes)\n`,
        );
        run.captures.push(stored);
        continue;
      }
      writer.flush();
      const capture = result.capture;
      if (result.nothingToAnalyze !== undefined) {
        store.purge({ captureId: capture.id, everything: true });
        run.nothing.push(`${name(arg)}: nothing to analyze: ${result.nothingToAnalyze}`);
        continue;
      }
      // Read once (standard input): the same bytes stored before are replaced by this run.
      const twin = store.findCapture(capture.sha256 as string);
      if (twin && twin.id !== capture.id) store.purge({ captureId: twin.id, everything: true });
      writer.capture(capture);
      writer.flush();
      run.captures.push(capture);
    }
  } finally {
    bar.done();
    // The face workers' memory (a WASM heap that never shrinks) is given back before the indexes and the output
    // are built: each replay drained its detections, and a later one would start the pool again.
    await closeSharedFacePool();
    endBulk();
  }
  return run;
}

/** Capture bytes below which a replay writes row by row: dropping and rebuilding indexes costs 2–7 ms of CPU. */
const MIN_BULK_BYTES = 1024 * 1024;

/** Whether the captures are worth a bulk write: a stream of unknown size, or at least MIN_BULK_BYTES of files. */
function bulky(args: string[], g: Globals): boolean {
  let bytes = 0;
  for (const a of args) bytes += captureSource(a, stdinOf(g)).bytes ?? Number.POSITIVE_INFINITY;
  return bytes >= MIN_BULK_BYTES;
}

/** Standard input as the process gives it (tests inject theirs through `io.stdin`). */
function stdinOf(g: Globals): () => AsyncIterable<Uint8Array> {
  return () => g.io.stdin?.() ?? process.stdin;
}

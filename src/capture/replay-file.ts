/**
 * Replays one capture file through a Pipeline: hashes it (its sha256 is its identity in the store, so a capture
 * replayed twice is not stored twice), then streams it in fixed-size chunks through CaptureReplay. The only
 * file I/O of the replay path (with the `--keylog` file); memory stays bounded whatever the capture size.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { KeyLog } from '../decode/tls-keylog.ts';
import { InputError } from '../errors.ts';
import { type Limits, resolveLimits } from '../model/limits.ts';
import type { Violation } from '../model/violation.ts';
import type { Pipeline } from '../pipeline/pipeline.ts';
import type { CaptureRecord } from '../store/types.ts';
import { CaptureReplay } from './replay.ts';

const READ_CHUNK_BYTES = 1024 * 1024;

export interface ReplayProgress {
  file: string;
  /** 'hash' while computing the sha256, 'replay' while analyzing. */
  phase: 'hash' | 'replay';
  bytesRead: number;
  bytesTotal: number;
}

export interface ReplayFileOptions {
  pipeline: Pipeline;
  /** Capture-level violations (malformed HTTP, TLS …); pipeline violations go through the pipeline's output. */
  violation: (v: Violation) => void;
  onProgress?: (p: ReplayProgress) => void;
  /** Called with the sha256 before replaying; return false to skip the file (already stored). */
  shouldReplay?: (sha256: string) => boolean;
  /** TLS secrets to decrypt with (`--keylog`); DSB secrets of the capture are added to it. */
  keyLog?: KeyLog;
  /** Overrides of src/model/limits.ts for the capture layers (the pipeline was given its own). */
  limits?: Partial<Limits>;
}

export interface ReplayFileResult {
  capture: CaptureRecord;
  replayed: boolean;
  packets: number;
}

/** The sha256 of a file, streamed. */
export async function sha256File(file: string, onBytes?: (n: number) => void): Promise<string> {
  const hash = createHash('sha256');
  let n = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK_BYTES })) {
    hash.update(chunk as Buffer);
    n += (chunk as Buffer).length;
    onBytes?.(n);
  }
  return hash.digest('hex');
}

/**
 * A key log file (`--keylog`) read in chunks into a KeyLog. Bad input (unreadable, or no secret in it at all) is an
 * InputError; lines that do not parse are only counted (`keyLog.stats`).
 */
export async function readKeyLogFile(file: string, limits?: Partial<Limits>): Promise<KeyLog> {
  const keyLog = new KeyLog(resolveLimits(limits));
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK_BYTES }))
      keyLog.write(chunk as Buffer);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read key log ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(err))}`);
  }
  keyLog.end();
  if (keyLog.stats.secrets === 0) {
    throw new InputError(
      `${file} holds no TLS secrets (${keyLog.stats.lines} lines; an NSS key log has lines like 'CLIENT_RANDOM <64 hex> <96 hex>')`,
    );
  }
  return keyLog;
}

export async function replayFile(file: string, opts: ReplayFileOptions): Promise<ReplayFileResult> {
  const bytesTotal = statSync(file).size;
  const progress = (phase: ReplayProgress['phase'], bytesRead: number) =>
    opts.onProgress?.({ file, phase, bytesRead, bytesTotal });
  const sha = await sha256File(file, (n) => progress('hash', n));
  const capture: CaptureRecord = {
    id: sha,
    path: file,
    format: 'pcap',
    bytes: bytesTotal,
    importedAt: Date.now() * 1000,
  };
  if (opts.shouldReplay && !opts.shouldReplay(sha)) return { capture, replayed: false, packets: 0 };

  const replay = new CaptureReplay({
    captureId: sha,
    emit: (ev) => opts.pipeline.push(ev),
    violation: opts.violation,
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.keyLog ? { keyLog: opts.keyLog } : {}),
  });
  let read = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK_BYTES })) {
    const buf = chunk as Buffer;
    if (read === 0) capture.format = formatOf(buf);
    replay.write(buf);
    read += buf.length;
    progress('replay', read);
  }
  replay.end();
  opts.pipeline.finish(replay.lastTs);
  // Deferred analyzer work (face detection in the worker pool) reports before the caller flushes the store.
  await opts.pipeline.drain();
  if (replay.firstTs !== undefined) capture.firstTs = replay.firstTs;
  if (replay.packets > 0) capture.lastTs = replay.lastTs;
  if (replay.skipped.size > 0) capture.skipped = Object.fromEntries(replay.skipped);
  return { capture, replayed: true, packets: replay.packets };
}

function formatOf(head: Uint8Array): CaptureRecord['format'] {
  return head[0] === 0x0a && head[1] === 0x0d && head[2] === 0x0d && head[3] === 0x0a ? 'pcapng' : 'pcap';
}

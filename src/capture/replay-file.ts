/**
 * Replays one capture file through a Pipeline: hashes it (its sha256 is its identity in the store, so a capture
 * replayed twice is not stored twice), then streams it in fixed-size chunks through CaptureReplay. The only
 * file I/O of the replay path; memory stays bounded whatever the capture size.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import type { Limits } from '../model/limits.ts';
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
  });
  let read = 0;
  const { MAX_FACE_QUEUE, MAX_HELD_BYTES } = replay.limits;
  for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK_BYTES })) {
    const buf = chunk as Buffer;
    if (read === 0) capture.format = formatOf(buf);
    replay.write(buf);
    read += buf.length;
    progress('replay', read);
    // Offline, the detector is waited for: the next read waits while too much work is pending or held.
    await opts.pipeline.idle(MAX_FACE_QUEUE, MAX_HELD_BYTES);
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

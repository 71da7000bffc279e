/**
 * Replays one capture file (pcap, pcapng, or a HAR, told by its first bytes) through a Pipeline: hashes it (its
 * sha256 is its identity in the store, so a capture replayed twice is not stored twice; a HAR is indexed in the
 * same pass), then streams it in fixed-size chunks through CaptureReplay or HarReplay. The only
 * file I/O of the replay path (with the `--keylog` file); memory stays bounded whatever the capture size.
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { KeyLog } from '../decode/tls-keylog.ts';
import { InputError } from '../errors.ts';
import type { FlowEvent } from '../model/events.ts';
import { type Limits, resolveLimits } from '../model/limits.ts';
import type { Violation } from '../model/violation.ts';
import type { Pipeline } from '../pipeline/pipeline.ts';
import type { CaptureRecord } from '../store/types.ts';
import { startsLikeJson } from './detect-format.ts';
import { HarReplay } from './har.ts';
import { HarIndex } from './har-index.ts';
import { CaptureReplay } from './replay.ts';

const READ_CHUNK_BYTES = 1024 * 1024;
/** Bytes read to tell a capture from a HAR. */
const HEAD_BYTES = 64;

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
  /** The device of a HAR's flows (`--device`); default `har:<file name>`. */
  device?: string;
  /** Overrides of src/model/limits.ts for the capture layers (the pipeline was given its own). */
  limits?: Partial<Limits>;
}

export interface ReplayFileResult {
  capture: CaptureRecord;
  replayed: boolean;
  packets: number;
}

/** The sha256 of a file, streamed; `onBytes` sees each chunk and the bytes read so far. */
export async function sha256File(file: string, onBytes?: (n: number, chunk: Buffer) => void): Promise<string> {
  const hash = createHash('sha256');
  let n = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK_BYTES })) {
    hash.update(chunk as Buffer);
    n += (chunk as Buffer).length;
    onBytes?.(n, chunk as Buffer);
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
  const limits = resolveLimits(opts.limits);
  const head = readHead(file);
  // A HAR says after each entry's bodies what they need: the hash pass indexes it on the way (har-index.ts).
  const index = startsLikeJson(head) ? new HarIndex(limits) : undefined;
  const sha = await sha256File(file, (n, chunk) => {
    index?.write(chunk);
    progress('hash', n);
  });
  index?.end();
  if (index && !index.isHar) throw new InputError(`${file} is JSON but not a HAR (no log.entries)`);
  const capture: CaptureRecord = {
    id: sha,
    path: file,
    format: index ? 'har' : formatOf(head),
    bytes: bytesTotal,
    importedAt: Date.now() * 1000,
  };
  if (opts.shouldReplay && !opts.shouldReplay(sha)) return { capture, replayed: false, packets: 0 };

  const emit = (ev: FlowEvent) => opts.pipeline.push(ev);
  const replay = index
    ? new HarReplay({
        captureId: sha,
        deviceId: opts.device ?? `har:${basename(file)}`,
        entries: index.entries,
        emit,
        violation: opts.violation,
        limits,
      })
    : new CaptureReplay({
        captureId: sha,
        emit,
        violation: opts.violation,
        limits,
        ...(opts.keyLog ? { keyLog: opts.keyLog } : {}),
      });
  let read = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK_BYTES })) {
    replay.write(chunk as Buffer);
    read += (chunk as Buffer).length;
    progress('replay', read);
  }
  replay.end();
  opts.pipeline.finish(replay.lastTs);
  // Deferred analyzer work (face detection in the worker pool) reports before the caller flushes the store.
  await opts.pipeline.drain();
  const count = replay instanceof HarReplay ? replay.entries : replay.packets;
  if (index?.overflow) replay.skipped.set('har-entries-over-limit', index.overflow);
  if (replay.firstTs !== undefined) capture.firstTs = replay.firstTs;
  if (count > 0) capture.lastTs = replay.lastTs;
  if (replay.skipped.size > 0) capture.skipped = Object.fromEntries(replay.skipped);
  return { capture, replayed: true, packets: count };
}

/** The first bytes of a file (fewer when it is shorter). */
function readHead(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(HEAD_BYTES);
    return head.subarray(0, readSync(fd, head, 0, HEAD_BYTES, 0));
  } finally {
    closeSync(fd);
  }
}

function formatOf(head: Uint8Array): CaptureRecord['format'] {
  return head[0] === 0x0a && head[1] === 0x0d && head[2] === 0x0d && head[3] === 0x0a ? 'pcapng' : 'pcap';
}

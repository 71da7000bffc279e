/**
 * Replays one capture through a Pipeline: the only file I/O of the replay path. A regular file is hashed first
 * (its sha256 is its identity in the store, so a capture replayed twice is not stored twice), then streamed in
 * fixed-size chunks through CaptureReplay. Standard input, a FIFO or a device (`tcpdump -w - | toyscope replay -`)
 * is read once, hashed while it is read: its capture gets a random id and its sha256 at the end. Between reads
 * the replay waits for the pipeline's deferred work (backpressure), so memory stays bounded whatever the size.
 * What it never does: decide whether a capture is stored (the caller's `begin`), or print.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { InputError } from '../errors.ts';
import type { Limits } from '../model/limits.ts';
import type { Violation } from '../model/violation.ts';
import type { Pipeline } from '../pipeline/pipeline.ts';
import type { CaptureRecord } from '../store/types.ts';
import { detectFormat, UnknownCaptureFormatError } from './detect-format.ts';
import { CaptureReplay } from './replay.ts';

const READ_CHUNK_BYTES = 1024 * 1024;

export interface ReplayProgress {
  file: string;
  /** 'hash' while computing the sha256, 'replay' while analyzing. */
  phase: 'hash' | 'replay';
  bytesRead: number;
  /** Undefined when the size is not known in advance (standard input, a FIFO). */
  bytesTotal: number | undefined;
}

/** Where a capture's bytes come from. */
export interface CaptureSource {
  /** As given (`-` for standard input). */
  path: string;
  /** A regular file: its size is known and it can be read twice (hash first, then replay). */
  regular: boolean;
  bytes: number | undefined;
  read(): AsyncIterable<Uint8Array>;
}

/**
 * The source for a command-line argument: `-` is standard input, a regular file is read twice, a FIFO or a
 * character device (`/dev/stdin` on a pipe) once. A directory, a missing or unreadable path is an InputError.
 */
export function captureSource(arg: string, stdin: () => AsyncIterable<Uint8Array>): CaptureSource {
  if (arg === '-') return { path: '-', regular: false, bytes: undefined, read: stdin };
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(arg);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read ${arg}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(err))}`);
  }
  if (st.isDirectory()) throw new InputError(`${arg} is a directory, not a capture file`);
  const read = () => createReadStream(arg, { highWaterMark: READ_CHUNK_BYTES });
  if (st.isFile()) return { path: arg, regular: true, bytes: st.size, read };
  if (st.isFIFO() || st.isCharacterDevice() || st.isSocket())
    return { path: arg, regular: false, bytes: undefined, read };
  throw new InputError(`${arg} is not a capture file`);
}

export interface ReplayFileOptions {
  pipeline: Pipeline;
  /** Capture-level violations (malformed HTTP, TLS …); pipeline violations go through the pipeline's output. */
  violation: (v: Violation) => void;
  onProgress?: (p: ReplayProgress) => void;
  /**
   * Called once before the first byte is analyzed, with the capture as it stands (`incomplete`; the sha256 is
   * known for a regular file only): store it (a killed run then leaves it marked), or return false to skip a
   * capture already stored.
   */
  begin?: (capture: CaptureRecord) => boolean;
  /** Overrides of src/model/limits.ts for the capture layers (the pipeline was given its own). */
  limits?: Partial<Limits>;
}

export interface ReplayFileResult {
  /** `complete`, with its sha256, time range and skipped parts. */
  capture: CaptureRecord;
  replayed: boolean;
  packets: number;
  flows: number;
  /** Why nothing in the capture could be analyzed (no packets, none TCP or UDP), or undefined. */
  nothingToAnalyze?: string;
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

/** Replays a capture file by path (a regular file, or a FIFO/device read once). */
export function replayFile(file: string, opts: ReplayFileOptions): Promise<ReplayFileResult> {
  return replaySource(
    captureSource(file, () => process.stdin),
    opts,
  );
}

export async function replaySource(src: CaptureSource, opts: ReplayFileOptions): Promise<ReplayFileResult> {
  const progress = (phase: ReplayProgress['phase'], bytesRead: number) =>
    opts.onProgress?.({ file: src.path, phase, bytesRead, bytesTotal: src.bytes });
  const sha = src.regular ? await sha256File(src.path, (n) => progress('hash', n)) : undefined;
  const capture: CaptureRecord = {
    id: sha ?? randomBytes(32).toString('hex'),
    status: 'incomplete',
    path: src.path,
    format: 'pcap',
    bytes: src.bytes ?? 0,
    importedAt: Date.now() * 1000,
    ...(sha === undefined ? {} : { sha256: sha }),
  };
  const replay = new CaptureReplay({
    captureId: capture.id,
    emit: (ev) => opts.pipeline.push(ev),
    violation: opts.violation,
    ...(opts.limits ? { limits: opts.limits } : {}),
  });
  const { MAX_FACE_QUEUE, MAX_HELD_BYTES } = replay.limits;
  const hash = createHash('sha256');
  let read = 0;
  let head: Uint8Array[] | undefined = [];
  const start = (first: Uint8Array): boolean => {
    try {
      if (first.length > 0) detectFormat(first);
    } catch (err) {
      if (err instanceof UnknownCaptureFormatError) throw new InputError(`${src.path}: ${err.message}`);
      throw err;
    }
    capture.format = formatOf(first);
    return opts.begin?.(capture) ?? true;
  };
  for await (const chunk of src.read()) {
    const buf = chunk instanceof Uint8Array ? chunk : Buffer.from(chunk);
    hash.update(buf);
    read += buf.length;
    if (head) {
      // The format is checked on the first 4 bytes, however the input is cut, before anything is stored.
      head.push(buf);
      const first = Buffer.concat(head);
      if (first.length < 4) continue;
      head = undefined;
      if (!start(first)) return { capture, replayed: false, packets: 0, flows: 0 };
      replay.write(first);
    } else replay.write(buf);
    progress('replay', read);
    // Offline, the detector is waited for: the next read waits while too much work is pending or held.
    await opts.pipeline.idle(MAX_FACE_QUEUE, MAX_HELD_BYTES);
  }
  if (head) {
    const first = Buffer.concat(head);
    if (!start(first)) return { capture, replayed: false, packets: 0, flows: 0 };
    if (first.length > 0) replay.write(first);
  }
  replay.end();
  opts.pipeline.finish(replay.lastTs);
  // Deferred analyzer work (face detection in the worker pool) reports before the caller flushes the store.
  await opts.pipeline.drain();
  capture.status = 'complete';
  capture.sha256 = hash.digest('hex');
  capture.bytes = read;
  if (replay.firstTs !== undefined) capture.firstTs = replay.firstTs;
  if (replay.packets > 0) capture.lastTs = replay.lastTs;
  if (replay.skipped.size > 0) capture.skipped = Object.fromEntries(replay.skipped);
  const result: ReplayFileResult = { capture, replayed: true, packets: replay.packets, flows: replay.flows };
  const nothing = nothingToAnalyze(read, replay);
  return nothing === undefined ? result : { ...result, nothingToAnalyze: nothing };
}

/** Why a capture gave nothing to analyze: no bytes, no packets, or no packet that is TCP or UDP. */
function nothingToAnalyze(bytes: number, replay: CaptureReplay): string | undefined {
  if (replay.flows > 0) return undefined;
  if (bytes === 0) return 'the file is empty';
  const skipped = [...replay.skipped].map(([reason, n]) => `${reason} ${n}`).join(', ');
  if (replay.packets === 0) return skipped ? `no packets (skipped: ${skipped})` : 'no packets, only a file header';
  const what = `none of its ${replay.packets} packet${replay.packets === 1 ? ' is' : 's is'} TCP or UDP`;
  return skipped ? `${what} (skipped: ${skipped})` : what;
}

function formatOf(head: Uint8Array): CaptureRecord['format'] {
  return head[0] === 0x0a && head[1] === 0x0d && head[2] === 0x0d && head[3] === 0x0a ? 'pcapng' : 'pcap';
}

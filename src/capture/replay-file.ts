/**
 * Replays one capture through a Pipeline: the only file I/O of the replay path. A regular file is hashed first
 * (its sha256 is its identity in the store, so a capture replayed twice is not stored twice), then streamed in
 * fixed-size chunks through CaptureReplay. Standard input, a FIFO or a device (`tcpdump -w - | toyscope replay -`)
 * is read once, hashed while it is read: its capture gets a random id and its sha256 at the end. Between reads
 * the replay waits for the pipeline's deferred work (backpressure), so memory stays bounded whatever the size.
 * A HAR (told by its first bytes; a regular file only) is indexed during the hash pass (har-index.ts: it says
 * after each entry's bodies what they need), then streamed through HarReplay; a mitmproxy flow file (`mitmdump -w`,
 * told the same way) is read record by record through MitmFlowsReplay. `--keylog` secrets (and a pcapng's
 * own DSB secrets) decrypt TLS. What it never does: decide whether a capture is stored (the caller's `begin`),
 * or print.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { KeyLog } from '../decode/tls-keylog.ts';
import { InputError, systemReason } from '../errors.ts';
import type { Micros } from '../model/flow.ts';
import { type Limits, resolveLimits } from '../model/limits.ts';
import type { Violation } from '../model/violation.ts';
import type { Pipeline } from '../pipeline/pipeline.ts';
import type { CaptureRecord } from '../store/types.ts';
import { detectFormat, startsLikeJson, startsLikeMitmFlows, UnknownCaptureFormatError } from './detect-format.ts';
import { HarReplay } from './har.ts';
import { HarIndex } from './har-index.ts';
import { MitmFlowsReplay } from './mitm-flows.ts';
import { CaptureReplay } from './replay.ts';

const READ_CHUNK_BYTES = 1024 * 1024;
/** Bytes read to tell a capture from a HAR. */
const HEAD_BYTES = 64;

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
 * The source for a command-line argument: `-` (or `/dev/stdin` when it is no file) is standard input, a regular
 * file is read twice, a FIFO or a character device once. A directory, a missing or unreadable path is an InputError.
 */
export function captureSource(arg: string, stdin: () => AsyncIterable<Uint8Array>): CaptureSource {
  if (arg === '-') return { path: '-', regular: false, bytes: undefined, read: stdin };
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(arg);
  } catch (err) {
    throw new InputError(`cannot read ${arg}: ${systemReason(err)}`);
  }
  if (st.isDirectory()) throw new InputError(`${arg} is a directory, not a capture file`);
  const read = () => readStream(arg);
  if (st.isFile()) return { path: arg, regular: true, bytes: st.size, read };
  // Standard input by name is read from the process's own stream: reopening it fails on a socket (ENXIO).
  if (STDIN_NAMES.has(arg)) return { path: arg, regular: false, bytes: undefined, read: stdin };
  if (st.isFIFO() || st.isCharacterDevice()) return { path: arg, regular: false, bytes: undefined, read };
  throw new InputError(
    `${arg} is not a capture file${st.isSocket() ? ' (a socket: pipe it to standard input, -)' : ''}`,
  );
}

/** Names of standard input that `replay` reads from the process's stream, like `-`, unless they are a file. */
const STDIN_NAMES = new Set(['/dev/stdin', '/dev/fd/0', '/proc/self/fd/0']);

/** A file's bytes in chunks; a failure to open or read it is bad input (one line), not an internal error. */
async function* readStream(file: string): AsyncIterable<Uint8Array> {
  try {
    yield* createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
  } catch (err) {
    throw new InputError(`cannot read ${file}: ${systemReason(err)}`);
  }
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
  /** TLS secrets to decrypt with (`--keylog`); DSB secrets of the capture are added to it. */
  keyLog?: KeyLog;
  /** The device of a HAR's flows (`--device`); default `har:<file name>`. */
  device?: string;
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
    throw new InputError(`cannot read key log ${file}: ${systemReason(err)}`);
  }
  keyLog.end();
  if (keyLog.stats.secrets === 0) {
    throw new InputError(
      `${file} holds no TLS secrets (${keyLog.stats.lines} lines; an NSS key log has lines like 'CLIENT_RANDOM <64 hex> <96 hex>')`,
    );
  }
  return keyLog;
}

/** Replays a capture file by path (a regular file, or a FIFO/device read once). */
export function replayFile(file: string, opts: ReplayFileOptions): Promise<ReplayFileResult> {
  return replaySource(
    captureSource(file, () => process.stdin),
    opts,
  );
}

export async function replaySource(src: CaptureSource, opts: ReplayFileOptions): Promise<ReplayFileResult> {
  if (src.regular) {
    const head = readHead(src.path);
    if (startsLikeJson(head)) return replayHar(src, opts);
    if (startsLikeMitmFlows(head)) return replayMitmFlows(src, opts);
  }
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
    ...(opts.keyLog ? { keyLog: opts.keyLog } : {}),
  });
  const { MAX_FACE_QUEUE, MAX_HELD_BYTES } = replay.limits;
  const hash = createHash('sha256');
  let read = 0;
  let head: Uint8Array[] | undefined = [];
  const start = (first: Uint8Array): boolean => {
    if (startsLikeJson(first)) throw new InputError(`${src.path}: a HAR is read from a file, not from a pipe`);
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

/** A HAR file: indexed while hashed, then streamed through HarReplay into the same pipeline. */
async function replayHar(src: CaptureSource, opts: ReplayFileOptions): Promise<ReplayFileResult> {
  const limits = resolveLimits(opts.limits);
  const index = new HarIndex(limits);
  const sha = await sha256File(src.path, (n, chunk) => {
    index.write(chunk);
    opts.onProgress?.({ file: src.path, phase: 'hash', bytesRead: n, bytesTotal: src.bytes });
  });
  index.end();
  if (!index.isHar) throw new InputError(`${src.path} is JSON but not a HAR (no log.entries)`);
  return importFile(src, opts, sha, 'har', 'the HAR has no entries', () => {
    const replay = new HarReplay({
      captureId: sha,
      deviceId: opts.device ?? `har:${basename(src.path)}`,
      entries: index.entries,
      emit: (ev) => opts.pipeline.push(ev),
      violation: opts.violation,
      limits,
    });
    if (index.overflow) replay.skipped.set('har-entries-over-limit', index.overflow);
    return replay;
  });
}

/** A mitmproxy flow file: hashed, then streamed through MitmFlowsReplay (one flow's record in memory at a time). */
async function replayMitmFlows(src: CaptureSource, opts: ReplayFileOptions): Promise<ReplayFileResult> {
  const sha = await sha256File(src.path, (n) =>
    opts.onProgress?.({ file: src.path, phase: 'hash', bytesRead: n, bytesTotal: src.bytes }),
  );
  const limits = resolveLimits(opts.limits);
  return importFile(src, opts, sha, 'mitmproxy', 'the mitmproxy file has no HTTP flow', () => {
    return new MitmFlowsReplay({
      captureId: sha,
      emit: (ev) => opts.pipeline.push(ev),
      violation: opts.violation,
      limits,
    });
  });
}

/** What a file of recorded requests (a HAR, a mitmproxy flow file) is streamed through. */
interface RequestImport {
  write(chunk: Uint8Array): void;
  end(): void;
  readonly entries: number;
  readonly firstTs: Micros | undefined;
  readonly lastTs: Micros;
  readonly skipped: Map<string, number>;
}

/**
 * The second pass of a file hashed as `sha`: its capture row offered to `begin`, then the file streamed through the
 * importer `start` makes, waiting for the pipeline between reads as a packet capture's replay does.
 */
async function importFile(
  src: CaptureSource,
  opts: ReplayFileOptions,
  sha: string,
  format: CaptureRecord['format'],
  nothing: string,
  start: () => RequestImport,
): Promise<ReplayFileResult> {
  const limits = resolveLimits(opts.limits);
  const capture: CaptureRecord = {
    id: sha,
    sha256: sha,
    status: 'incomplete',
    path: src.path,
    format,
    bytes: src.bytes ?? 0,
    importedAt: Date.now() * 1000,
  };
  if (opts.begin && !opts.begin(capture)) return { capture, replayed: false, packets: 0, flows: 0 };
  const replay = start();
  let read = 0;
  for await (const chunk of src.read()) {
    replay.write(chunk as Buffer);
    read += (chunk as Buffer).length;
    opts.onProgress?.({ file: src.path, phase: 'replay', bytesRead: read, bytesTotal: src.bytes });
    await opts.pipeline.idle(limits.MAX_FACE_QUEUE, limits.MAX_HELD_BYTES);
  }
  replay.end();
  opts.pipeline.finish(replay.lastTs);
  await opts.pipeline.drain();
  capture.status = 'complete';
  if (replay.firstTs !== undefined) capture.firstTs = replay.firstTs;
  if (replay.entries > 0) capture.lastTs = replay.lastTs;
  if (replay.skipped.size > 0) capture.skipped = Object.fromEntries(replay.skipped);
  const result: ReplayFileResult = { capture, replayed: true, packets: replay.entries, flows: replay.entries };
  return replay.entries > 0 ? result : { ...result, nothingToAnalyze: nothing };
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

/**
 * The face-detection pool: worker threads (src/face/worker.ts) each holding the model once an image decodes, fed
 * from one queue.
 * `check(bytes, {shed})` never rejects and never blocks the caller. Two kinds of work share it:
 * - offline (`shed: false`, replay): never dropped because the machine is busy. No queue bound (the replay's
 *   reader waits instead) and no deadline; a worker that crashes, or stays silent on one image past
 *   MAX_FACE_STUCK_MS, is replaced and the image retried once, then answered `unchecked: detector-failed`.
 * - live (`shed: true`, the proxy): may be shed under load, and says so: a full queue answers
 *   `unchecked: queue-full` at once, an image not answered within MAX_FACE_WAIT_MS (queue wait included)
 *   `unchecked: timeout` (its worker is replaced).
 * Workers are unref'd while idle, so an idle pool never keeps a process alive. It knows nothing of flows or
 * findings: analyzers/face.ts turns answers into findings.
 */
import { Worker } from 'node:worker_threads';
import { DEFAULT_LIMITS, type Limits } from '../model/limits.ts';
import { FROM_SOURCES } from '../package-root.ts';
import type { FaceBox } from './detector.ts';
import type { DetectReply, DetectRequest, WorkerStatus } from './protocol.ts';

/**
 * The bounds of src/model/limits.ts the pool enforces: MAX_FACE_QUEUE (live images waiting before `queue-full`),
 * MAX_FACE_WAIT_MS (live: from `check` to an answer before `timeout`), MAX_FACE_STUCK_MS (one image in a worker
 * before the worker is taken as stuck), MAX_DECODE_MEGAPIXELS (handed to the workers).
 */
export type FaceLimits = Pick<
  Limits,
  'MAX_FACE_WORKERS' | 'MAX_FACE_QUEUE' | 'MAX_FACE_WAIT_MS' | 'MAX_FACE_STUCK_MS' | 'MAX_DECODE_MEGAPIXELS'
>;

/**
 * A worker's V8 young generation, in MiB (V8's default is several times larger): a worker's JavaScript allocates little
 * besides each image's decoded pixels and face-api's small objects, its work is WebAssembly, and a full young
 * generation of garbage added ≈ 28 MiB to its RSS (docs/adr/0027-lean-face-api.md).
 */
const WORKER_YOUNG_GENERATION_MB = 8;

/** What a worker is started with (`workerData`): the decode bound for decodeImage. */
export interface FaceWorkerData {
  limits: Pick<Limits, 'MAX_DECODE_MEGAPIXELS'>;
}

/** Why an image was not checked. `queue-full` and `timeout` happen to live work only: load shedding. */
export type UncheckedReason = 'queue-full' | 'timeout' | 'undecodable' | 'detector-failed' | 'closed';

/** The reasons that mean an image was shed under load (live only), not that it could not be checked. */
export const SHED_REASONS: ReadonlySet<string> = new Set<UncheckedReason>(['queue-full', 'timeout']);

/** How one image may be treated. */
export interface CheckOptions {
  /** Live work that may be shed under load (queue-full, timeout); false (offline, the default) waits. */
  shed: boolean;
}

/** The pool's answer for one image (`secondPass`: the detector's second, slower pass decided; `ms` in the worker). */
export type FaceCheck =
  | { kind: 'checked'; width: number; height: number; faces: FaceBox[]; secondPass: boolean; ms: number }
  | { kind: 'unchecked'; reason: UncheckedReason; message: string };

export interface FacePoolOptions {
  /** Worker threads; default the limits' MAX_FACE_WORKERS. */
  size?: number;
  /** The run's limits; default DEFAULT_LIMITS. */
  limits?: FaceLimits;
  /** The worker entry (tests point it at a stub); default DEFAULT_WORKER_URL. */
  workerUrl?: URL;
}

/**
 * The worker entry: under tsx, src/face/worker.mjs (registers tsx in the thread, then worker.ts); from the bundle,
 * dist/face-worker.js beside this chunk, plain JavaScript, so the thread loads no TypeScript loader at all.
 */
const DEFAULT_WORKER_URL = new URL(FROM_SOURCES ? './worker.mjs' : './face-worker.js', import.meta.url);

interface Job {
  id: number;
  bytes: Uint8Array;
  resolve: (c: FaceCheck) => void;
  shed: boolean;
  /** Live: the deadline from `check`. Offline: the stuck watchdog while a worker has it. */
  timer: NodeJS.Timeout | undefined;
  /** Workers that were given this image (offline work is retried once on another). */
  attempts: number;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job: Job | undefined;
}

export class FacePool {
  readonly size: number;
  readonly maxQueue: number;
  readonly timeoutMs: number;
  readonly stuckMs: number;
  readonly #workerUrl: URL;
  readonly #workerData: FaceWorkerData;
  readonly #queue: Job[] = [];
  readonly #slots = new Set<Slot>();
  #nextId = 0;
  #broken: string | undefined;
  #closed = false;

  constructor(opts: FacePoolOptions = {}) {
    const limits = opts.limits ?? DEFAULT_LIMITS;
    this.size = Math.max(1, opts.size ?? limits.MAX_FACE_WORKERS);
    this.maxQueue = limits.MAX_FACE_QUEUE;
    this.timeoutMs = limits.MAX_FACE_WAIT_MS;
    this.stuckMs = limits.MAX_FACE_STUCK_MS;
    this.#workerData = { limits: { MAX_DECODE_MEGAPIXELS: limits.MAX_DECODE_MEGAPIXELS } };
    this.#workerUrl = opts.workerUrl ?? DEFAULT_WORKER_URL;
  }

  /** Images queued or being checked. */
  get pending(): number {
    let running = 0;
    for (const s of this.#slots) if (s.job) running++;
    return this.#queue.length + running;
  }

  /** Checks one image for faces. The bytes are copied to the worker; the caller keeps its own. */
  check(bytes: Uint8Array, opts: CheckOptions = { shed: false }): Promise<FaceCheck> {
    if (this.#closed) return Promise.resolve(unchecked('closed', 'the face pool is closed'));
    if (this.#broken) return Promise.resolve(unchecked('detector-failed', this.#broken));
    const { shed } = opts;
    if (shed && this.#queue.filter((j) => j.shed).length >= this.maxQueue) {
      return Promise.resolve(unchecked('queue-full', `${this.#queue.length} images already wait for the detector`));
    }
    return new Promise((resolve) => {
      const job: Job = { id: this.#nextId++, bytes, resolve, shed, timer: undefined, attempts: 0 };
      if (shed) job.timer = setTimeout(() => this.#timeout(job), this.timeoutMs);
      this.#queue.push(job);
      this.#pump();
    });
  }

  /** Answers every waiting image `closed` and stops the workers. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) settle(job, unchecked('closed', 'the face pool closed'));
    const slots = [...this.#slots];
    this.#slots.clear();
    for (const s of slots) if (s.job) settle(s.job, unchecked('closed', 'the face pool closed'));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      const slot = [...this.#slots].find((s) => s.ready && !s.job);
      if (!slot) break;
      const job = this.#queue.shift() as Job;
      slot.job = job;
      job.attempts++;
      if (!job.shed) job.timer = setTimeout(() => this.#stuck(slot, job), this.stuckMs);
      slot.worker.postMessage({ id: job.id, bytes: job.bytes } satisfies DetectRequest);
    }
    const starting = [...this.#slots].filter((s) => !s.ready).length;
    const idle = [...this.#slots].filter((s) => s.ready && !s.job).length;
    if (this.#queue.length > starting + idle && this.#slots.size < this.size) this.#spawn();
    this.#updateRefs();
  }

  #spawn(): void {
    const worker = new Worker(this.#workerUrl, {
      workerData: this.#workerData,
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    const slot: Slot = { worker, ready: false, job: undefined };
    this.#slots.add(slot);
    worker.on('message', (m: WorkerStatus | DetectReply) => this.#message(slot, m));
    worker.on('error', (err) => this.#lost(slot, `face worker failed: ${err.message}`));
    worker.on('exit', (code) => this.#lost(slot, `face worker exited with code ${code}`));
  }

  #message(slot: Slot, m: WorkerStatus | DetectReply): void {
    if (m.kind === 'ready') {
      slot.ready = true;
    } else if (m.kind === 'failed') {
      // Sent at the first decodable image (the worker loads the detector then), which is answered with it.
      this.#broken = `face detector did not load: ${m.reason}`;
      if (slot.job) settle(slot.job, unchecked('detector-failed', this.#broken));
      slot.job = undefined;
      for (const job of this.#queue.splice(0)) settle(job, unchecked('detector-failed', this.#broken));
    } else {
      const job = slot.job;
      slot.job = undefined;
      if (job && job.id === m.id) {
        settle(
          job,
          m.kind === 'checked'
            ? { kind: 'checked', width: m.width, height: m.height, faces: m.faces, secondPass: m.secondPass, ms: m.ms }
            : unchecked('undecodable', m.reason),
        );
      }
    }
    this.#pump();
  }

  /** A worker died or errored: its job is retried (offline, once) or answered, the slot dropped; the next pump starts another. */
  #lost(slot: Slot, reason: string): void {
    if (!this.#slots.delete(slot)) return;
    if (slot.job) this.#failed(slot.job, reason);
    if (!slot.ready && !this.#broken) this.#broken = reason;
    if (this.#broken) for (const job of this.#queue.splice(0)) settle(job, unchecked('detector-failed', reason));
    if (!this.#closed) this.#pump();
  }

  /** An offline image whose worker stayed silent past MAX_FACE_STUCK_MS: the worker is replaced. */
  #stuck(slot: Slot, job: Job): void {
    if (slot.job !== job || !this.#slots.delete(slot)) return;
    slot.job = undefined;
    void slot.worker.terminate();
    this.#failed(job, `no answer from the face detector within ${this.stuckMs} ms`);
    this.#pump();
  }

  /** The worker holding `job` crashed or was stuck: offline work gets one more worker, then detector-failed. */
  #failed(job: Job, reason: string): void {
    clearTimeout(job.timer);
    job.timer = undefined;
    if (!job.shed && job.attempts < 2 && !this.#closed) {
      this.#queue.unshift(job);
      return;
    }
    const tries = job.attempts > 1 ? ` (${job.attempts} attempts)` : '';
    settle(job, unchecked('detector-failed', `${reason}${tries}`));
  }

  #timeout(job: Job): void {
    const waiting = this.#queue.indexOf(job);
    const message = `no answer from the detector within ${this.timeoutMs} ms`;
    if (waiting >= 0) {
      this.#queue.splice(waiting, 1);
      settle(job, unchecked('timeout', message));
      return;
    }
    const slot = [...this.#slots].find((s) => s.job === job);
    settle(job, unchecked('timeout', message));
    if (!slot) return;
    // A detection cannot be interrupted: replace the worker.
    this.#slots.delete(slot);
    slot.job = undefined;
    void slot.worker.terminate();
    this.#pump();
  }

  /** Busy or starting workers keep the process alive; idle ones do not. */
  #updateRefs(): void {
    const busy = this.#queue.length > 0;
    for (const s of this.#slots) {
      if (busy || s.job) s.worker.ref();
      else s.worker.unref();
    }
  }
}

function unchecked(reason: UncheckedReason, message: string): FaceCheck {
  return { kind: 'unchecked', reason, message };
}

function settle(job: Job, answer: FaceCheck): void {
  clearTimeout(job.timer);
  job.resolve(answer);
}

let shared: FacePool | undefined;

/**
 * The process-wide pool the registered face analyzer uses, started at its first image with the `limits` of that
 * first call (one pool per process: later calls get the same pool whatever limits they pass).
 */
export function sharedFacePool(limits?: FaceLimits): FacePool {
  shared ??= new FacePool(limits ? { limits } : {});
  return shared;
}

/** Stops the shared pool (tests, proxy shutdown); a later `sharedFacePool()` starts a new one. */
export async function closeSharedFacePool(): Promise<void> {
  const pool = shared;
  shared = undefined;
  await pool?.close();
}

/**
 * A face-pool worker: answers DetectRequests one at a time (decode, detect) through src/face/answer.ts, which loads
 * the detector at the first image that decodes. Ready at once; a detector that fails to load is reported (`failed`)
 * and ends the worker. Runs only inside a worker thread started by src/face/pool.ts; it never sees flows or findings.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { imageAnswerer } from './answer.ts';
import { loadDetector } from './detector.ts';
import type { FaceWorkerData } from './pool.ts';
import type { DetectRequest, WorkerStatus } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('src/face/worker.ts runs only in a worker thread');

// libheif writes its decoding failures with console.log, which a worker sends to the process's stdout: where
// `toyscope replay --json` writes its document. Nothing in a face worker has anything to say there.
console.log = () => {};
const answer = imageAnswerer(loadDetector, (workerData as FaceWorkerData | undefined)?.limits);
port.postMessage({ kind: 'ready' } satisfies WorkerStatus);
port.on('message', async (req: DetectRequest) => {
  try {
    port.postMessage(await answer(req));
  } catch (err) {
    port.postMessage({
      kind: 'failed',
      reason: err instanceof Error ? err.message : String(err),
    } satisfies WorkerStatus);
    throw err;
  }
});

/**
 * A face-pool worker: loads the detector once, then answers DetectRequests one at a time (decode, detect).
 * Runs only inside a worker thread started by src/face/pool.ts; it never sees flows or findings.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { decodeImage } from './decode-image.ts';
import { type Detect, loadDetector } from './detector.ts';
import type { FaceWorkerData } from './pool.ts';
import type { DetectReply, DetectRequest, WorkerStatus } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('src/face/worker.ts runs only in a worker thread');

let detect: Detect;
try {
  detect = await loadDetector();
  port.postMessage({ kind: 'ready' } satisfies WorkerStatus);
} catch (err) {
  port.postMessage({ kind: 'failed', reason: err instanceof Error ? err.message : String(err) } satisfies WorkerStatus);
  throw err;
}

port.on('message', async (req: DetectRequest) => {
  port.postMessage(await answer(req));
});

async function answer({ id, bytes }: DetectRequest): Promise<DetectReply> {
  const t0 = performance.now();
  try {
    const img = await decodeImage(bytes, (workerData as FaceWorkerData | undefined)?.limits);
    if ('unsupported' in img) return { id, kind: 'undecodable', reason: img.unsupported };
    const { faces, secondPass } = await detect(img);
    const ms = performance.now() - t0;
    return { id, kind: 'checked', width: img.width, height: img.height, faces, secondPass, ms };
  } catch (err) {
    return { id, kind: 'undecodable', reason: `decode failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

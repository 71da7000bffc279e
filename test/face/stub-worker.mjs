// A stand-in face-pool worker for the pool tests: ready at once; an image whose first byte is 0 is never
// answered (a stuck detection), 2 crashes the worker, 3 crashes it the first time that exact image is seen (a
// marker file in the OS temp dir, named by the image's bytes, remembers it across workers), 4 is the first image
// that decodes with a detector that fails to load (reported `failed`, then the worker ends, as src/face/worker.ts
// does), any other gets "no face" after 5 ms.
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';

parentPort.postMessage({ kind: 'ready' });
parentPort.on('message', ({ id, bytes }) => {
  if (bytes[0] === 0) return;
  if (bytes[0] === 2) process.exit(1);
  if (bytes[0] === 4) {
    parentPort.postMessage({ kind: 'failed', reason: 'no WASM' });
    throw new Error('no WASM');
  }
  if (bytes[0] === 3) {
    const marker = join(tmpdir(), `toyscope-stub-${Buffer.from(bytes).toString('hex')}`);
    if (!existsSync(marker)) {
      writeFileSync(marker, '');
      process.exit(1);
    }
  }
  setTimeout(
    () => parentPort.postMessage({ id, kind: 'checked', width: 1, height: 1, faces: [], secondPass: false, ms: 5 }),
    5,
  );
});

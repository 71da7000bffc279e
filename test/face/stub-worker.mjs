// A stand-in face-pool worker for test/face/pool.test.ts: ready at once; an image whose first byte is 0 is never
// answered (a stuck detection), any other gets "no face" after 5 ms.
import { parentPort } from 'node:worker_threads';

parentPort.postMessage({ kind: 'ready' });
parentPort.on('message', ({ id, bytes }) => {
  if (bytes[0] === 0) return;
  setTimeout(
    () => parentPort.postMessage({ id, kind: 'checked', width: 1, height: 1, faces: [], secondPass: false, ms: 5 }),
    5,
  );
});

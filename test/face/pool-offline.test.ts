/**
 * The face pool's offline work (replay): never shed, however many images wait or however long they take;
 * a crashed or stuck worker is replaced and the image retried once, then `detector-failed`. Stub worker.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FacePool } from '../../src/face/pool.ts';
import { resolveLimits } from '../../src/model/limits.ts';

const STUB = new URL('./stub-worker.mjs', import.meta.url);
const OFFLINE = { shed: false };
const quick = () => Uint8Array.of(1);

describe('FacePool, offline work', () => {
  it('never answers queue-full or timeout: every image of a burst far past the bounds is checked', async () => {
    const pool = new FacePool({
      size: 1,
      limits: resolveLimits({ MAX_FACE_QUEUE: 2, MAX_FACE_WAIT_MS: 1 }),
      workerUrl: STUB,
    });
    try {
      const answers = await Promise.all(Array.from({ length: 40 }, () => pool.check(quick(), OFFLINE)));
      expect(answers.every((a) => a.kind === 'checked')).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it('retries an image once on a new worker after a crash, and the next images still run', async () => {
    const image = Uint8Array.from([3, ...randomBytes(16)]);
    const marker = join(tmpdir(), `toyscope-stub-${Buffer.from(image).toString('hex')}`);
    const pool = new FacePool({ size: 1, workerUrl: STUB });
    try {
      const [crashedOnce, next] = await Promise.all([pool.check(image, OFFLINE), pool.check(quick(), OFFLINE)]);
      expect(crashedOnce).toMatchObject({ kind: 'checked' });
      expect(next).toMatchObject({ kind: 'checked' });
    } finally {
      rmSync(marker, { force: true });
      await pool.close();
    }
  });

  it('answers detector-failed when the retry crashes too, and goes on with a new worker', async () => {
    const pool = new FacePool({ size: 1, workerUrl: STUB });
    try {
      const answer = await pool.check(Uint8Array.of(2), OFFLINE);
      expect(answer).toMatchObject({ kind: 'unchecked', reason: 'detector-failed' });
      expect(answer.kind === 'unchecked' && answer.message).toMatch(/exited with code 1 \(2 attempts\)/);
      expect(await pool.check(quick(), OFFLINE)).toMatchObject({ kind: 'checked' });
    } finally {
      await pool.close();
    }
  });

  it('replaces a worker stuck past MAX_FACE_STUCK_MS, retries once, then answers detector-failed', async () => {
    const pool = new FacePool({ size: 1, limits: resolveLimits({ MAX_FACE_STUCK_MS: 400 }), workerUrl: STUB });
    try {
      const [stuck, behind] = await Promise.all([pool.check(Uint8Array.of(0), OFFLINE), pool.check(quick(), OFFLINE)]);
      expect(stuck).toMatchObject({ kind: 'unchecked', reason: 'detector-failed' });
      expect(stuck.kind === 'unchecked' && stuck.message).toMatch(/within 400 ms \(2 attempts\)/);
      expect(behind).toMatchObject({ kind: 'checked' }); // waiting behind a stuck image is no reason to give up
    } finally {
      await pool.close();
    }
  });
});

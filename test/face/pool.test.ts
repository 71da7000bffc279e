import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { iou } from '../../eval/face.ts';
import type { FaceBox } from '../../src/face/detector.ts';
import { closeSharedFacePool, FacePool, sharedFacePool } from '../../src/face/pool.ts';
import { DEFAULT_LIMITS, resolveLimits } from '../../src/model/limits.ts';
import { readImage } from './image-fixtures.ts';

const STUB = new URL('./stub-worker.mjs', import.meta.url);
const CORPUS = new URL('../../fixtures/face-corpus/', import.meta.url);
const HANG = new Uint8Array([0]);
const QUICK = new Uint8Array([1]);
/** Live work: may be shed (queue-full, timeout). */
const LIVE = { shed: true };

describe('FacePool (stub worker)', () => {
  it('live: answers queue-full at once when the queue is full, and the queued images still get checked', async () => {
    const pool = new FacePool({
      size: 1,
      limits: resolveLimits({ MAX_FACE_QUEUE: 2, MAX_FACE_WAIT_MS: 2000 }),
      workerUrl: STUB,
    });
    try {
      await pool.check(QUICK, LIVE); // the worker is up: the next image runs at once
      const settled: number[] = [];
      const accepted = [pool.check(QUICK, LIVE), pool.check(QUICK, LIVE), pool.check(QUICK, LIVE)].map((p, i) =>
        p.then((a) => {
          settled.push(i);
          return a;
        }),
      );
      // "At once": the answer comes before any worker reply could (those need a turn of the event loop).
      const over = await pool.check(QUICK, LIVE);
      expect(settled).toEqual([]);
      expect(over).toMatchObject({ kind: 'unchecked', reason: 'queue-full' });
      expect(await Promise.all(accepted)).toMatchObject([
        { kind: 'checked' },
        { kind: 'checked' },
        { kind: 'checked' },
      ]);
    } finally {
      await pool.close();
    }
  });

  it('live: answers timeout for a stuck detection and for images waiting behind it, then goes on with a new worker', async () => {
    const pool = new FacePool({
      size: 1,
      // Long enough for a new worker to start on a busy machine: the answers, not the clock, are under test.
      limits: resolveLimits({ MAX_FACE_QUEUE: 4, MAX_FACE_WAIT_MS: 2000 }),
      workerUrl: STUB,
    });
    try {
      const [stuck, waiting] = await Promise.all([pool.check(HANG, LIVE), pool.check(HANG, LIVE)]);
      expect(stuck).toMatchObject({ kind: 'unchecked', reason: 'timeout' });
      expect(waiting).toMatchObject({ kind: 'unchecked', reason: 'timeout' });
      expect(await pool.check(QUICK)).toMatchObject({ kind: 'checked', faces: [] });
    } finally {
      await pool.close();
    }
  });

  it('answers detector-failed for the image at which the detector failed to load, those waiting and later ones', async () => {
    const pool = new FacePool({ size: 1, workerUrl: STUB });
    try {
      expect(await pool.check(QUICK)).toMatchObject({ kind: 'checked' });
      const answers = await Promise.all([pool.check(new Uint8Array([4])), pool.check(QUICK)]);
      const failed = { kind: 'unchecked', reason: 'detector-failed', message: 'face detector did not load: no WASM' };
      expect(answers).toMatchObject([failed, failed]);
      expect(await pool.check(QUICK)).toMatchObject(failed);
    } finally {
      await pool.close();
    }
  });

  it('answers closed after close()', async () => {
    const pool = new FacePool({ size: 1, workerUrl: STUB });
    const waiting = pool.check(HANG);
    await pool.close();
    expect(await waiting).toMatchObject({ kind: 'unchecked', reason: 'closed' });
    expect(await pool.check(QUICK)).toMatchObject({ kind: 'unchecked', reason: 'closed' });
  });

  it('takes its bounds from DEFAULT_LIMITS unless given limits', async () => {
    const pool = new FacePool({ workerUrl: STUB });
    expect([pool.size, pool.maxQueue, pool.timeoutMs]).toEqual([
      DEFAULT_LIMITS.MAX_FACE_WORKERS,
      DEFAULT_LIMITS.MAX_FACE_QUEUE,
      DEFAULT_LIMITS.MAX_FACE_WAIT_MS,
    ]);
    await pool.close();
    const one = new FacePool({ workerUrl: STUB, limits: resolveLimits({ MAX_FACE_WORKERS: 1 }) });
    expect(one.size).toBe(1);
    await one.close();
  });

  it('leaves a core to the pipeline by default: min(2, cores - 1), at least 1', () => {
    expect(DEFAULT_LIMITS.MAX_FACE_WORKERS).toBe(Math.min(2, Math.max(1, availableParallelism() - 1)));
  });

  it('the shared pool keeps the limits of its first creation until closed', async () => {
    await closeSharedFacePool();
    const first = sharedFacePool(resolveLimits({ MAX_FACE_QUEUE: 3 }));
    expect(sharedFacePool(resolveLimits({ MAX_FACE_QUEUE: 9 }))).toBe(first);
    expect(first.maxQueue).toBe(3);
    await closeSharedFacePool();
    expect(sharedFacePool().maxQueue).toBe(DEFAULT_LIMITS.MAX_FACE_QUEUE);
    await closeSharedFacePool();
  });
});

describe('FacePool (real detector)', () => {
  // Results, not speed, are under test: a busy machine must not turn an answer into a timeout.
  const pool = new FacePool({ size: 2, limits: resolveLimits({ MAX_FACE_WAIT_MS: 300_000 }) });
  afterAll(() => pool.close());
  const labels = JSON.parse(readFileSync(new URL('labels.json', CORPUS), 'utf8')).images as Array<{
    file: string;
    boxes: number[][];
  }>;

  it.each(['pos-astronaut.jpg', 'pos-camera.jpg'])('finds the face in %s over the hand-marked box', async (file) => {
    const answer = await pool.check(readFileSync(new URL(file, CORPUS)));
    expect(answer.kind).toBe('checked');
    if (answer.kind !== 'checked') return;
    expect(answer.faces).toHaveLength(1);
    const label = labels.find((l) => l.file === file);
    expect(iou(label?.boxes[0] ?? [], answer.faces[0] as FaceBox)).toBeGreaterThanOrEqual(0.5);
  });

  it.each(['neg-chelsea.jpg', 'neg-coffee.jpg', 'neg-rocket.jpg', 'neg-motorcycle_left.jpg'])(
    'finds no face in %s',
    async (file) => {
      const answer = await pool.check(readFileSync(new URL(file, CORPUS)));
      expect(answer).toMatchObject({ kind: 'checked', faces: [] });
    },
  );

  it('decides a clear photo in the fast pass, and sends the unsure ones to the second pass', async () => {
    const check = (file: string) => pool.check(readFileSync(new URL(file, CORPUS)));
    const portrait = await check('pos-grace-hopper.jpg');
    expect(portrait).toMatchObject({ kind: 'checked', secondPass: false });
    expect(portrait.kind === 'checked' && portrait.faces.length).toBe(1);
    // The fast pass scores this retina photo 0.50 (a face, before the second pass existed): SSD sees none.
    expect(await check('neg-retina.jpg')).toMatchObject({ kind: 'checked', secondPass: true, faces: [] });
    // A face at the edge of the frame (0.49 in the fast pass) and a small face across a room (0.35): SSD and the
    // tiny detector agree on both.
    for (const file of ['pos-composite-camera-3.jpg', 'pos-basketball1.jpg']) {
      const answer = await check(file);
      expect(answer).toMatchObject({ kind: 'checked', secondPass: true });
      expect(answer.kind === 'checked' && answer.faces.length).toBe(1);
    }
  });

  it('decodes a PNG and finds no face in the cat', async () => {
    expect(await pool.check(readImage('cat-160.png'))).toMatchObject({
      kind: 'checked',
      width: 160,
      height: 106,
      faces: [],
    });
  });

  it("hands the pool's decode bound to its workers", async () => {
    const strict = new FacePool({ size: 1, limits: resolveLimits({ MAX_DECODE_MEGAPIXELS: 0.1 }) });
    try {
      const answer = await strict.check(readFileSync(new URL('pos-astronaut.jpg', CORPUS)));
      expect(answer).toMatchObject({ kind: 'unchecked', reason: 'undecodable' });
      expect(answer.kind === 'unchecked' && answer.message).toBe(
        'JPEG too large to decode (over MAX_DECODE_MEGAPIXELS = 0.1)',
      );
    } finally {
      await strict.close();
    }
  });

  it('says which formats it cannot decode', async () => {
    // An animated GIF is decoded (its first frame); a WebP or a HEIF without its coded image is not, with a reason.
    const gif = readImage('cat-48-2frames.gif');
    expect(await pool.check(gif)).toMatchObject({ kind: 'checked', width: 48, height: 32, faces: [] });
    const webp = Buffer.from('RIFF\u0000\u0000\u0000\u0000WEBPVP8 ', 'latin1');
    expect(await pool.check(webp)).toMatchObject({ kind: 'unchecked', reason: 'undecodable' });
    const heic = new Uint8Array([0, 0, 0, 24, ...Buffer.from('ftypheic'), 0, 0, 0, 0, ...Buffer.from('mif1heic')]);
    const answer = await pool.check(heic);
    expect(answer).toMatchObject({ kind: 'unchecked', reason: 'undecodable' });
    expect(answer.kind === 'unchecked' && answer.message).toMatch(/HEIF image with neither HEVC nor AV1/);
  });
});

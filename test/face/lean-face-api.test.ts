import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, type RgbImage } from '../../src/face/decode-image.ts';
import { requireFaceApi, useLeanPasses } from '../../src/face/lean-face-api.ts';

const CORPUS = new URL('../../fixtures/face-corpus/', import.meta.url);
const require = createRequire(import.meta.url);

type Tf = typeof TF;
type Net = { forwardInput(...args: unknown[]): unknown; params?: unknown };
/** face-api, loaded lean, with its own forward passes kept to compare against. */
let faceapi: ReturnType<typeof requireFaceApi>;
let tf: Tf;
let own: { tiny: Net['forwardInput']; ssd: Net['forwardInput'] };

async function image(name: string): Promise<RgbImage> {
  const img = await decodeImage(new Uint8Array(readFileSync(new URL(name, CORPUS))));
  if ('unsupported' in img) throw new Error(img.unsupported);
  return img;
}

/** The tensors of a pass's output: a tensor, or SSD's `{ boxes: [tensor], scores: [tensor] }`. */
function tensorsIn(out: unknown): TF.Tensor[] {
  if (out instanceof tf.Tensor) return [out];
  return Object.values(out as object).flatMap(tensorsIn);
}

/** Runs `pass` on the image's NetInput: its outputs' values, the tensors it leaves, its peak of tensor bytes. */
async function measure(img: RgbImage, pass: (input: unknown) => unknown) {
  const tensor = tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
  try {
    const input = await faceapi.toNetInput(tensor as never);
    const before = tf.memory();
    let out: TF.Tensor[] = [];
    const profile = await tf.profile(() => {
      out = tensorsIn(pass(input));
      return [];
    });
    const values = out.map((t) => Array.from(t.dataSync()));
    tf.dispose(out);
    // Tensor bytes at the pass's peak beyond what was there before it (the weights, the image).
    return { values, left: tf.memory().numTensors - before.numTensors, peakBytes: profile.peakBytes - before.numBytes };
  } finally {
    tensor.dispose();
  }
}

describe('lean face-api', () => {
  beforeAll(async () => {
    faceapi = requireFaceApi();
    tf = faceapi.tf as unknown as Tf;
    await tf.setBackend('wasm');
    await tf.ready();
    const models = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
    await faceapi.nets.tinyFaceDetector.loadFromDisk(models);
    await faceapi.nets.ssdMobilenetv1.loadFromDisk(models);
    const tiny = faceapi.nets.tinyFaceDetector as unknown as Net;
    const ssd = faceapi.nets.ssdMobilenetv1 as unknown as Net;
    own = { tiny: tiny.forwardInput.bind(tiny), ssd: ssd.forwardInput.bind(ssd) };
    // face-api's own tiny pass calls one more chained method (`div`), as the whole tfjs package registers it.
    const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
    proto.div ??= function (this: TF.Tensor, b: TF.Tensor | number) {
      return tf.div(this, b);
    };
    useLeanPasses(tf, faceapi.nets as never);
  });

  it('loads face-api without the whole @tensorflow/tfjs package', () => {
    const umbrella = createRequire(require.resolve('@vladmandic/face-api/dist/face-api.node-wasm.js')).resolve(
      '@tensorflow/tfjs',
    );
    const loaded = Object.keys(require.cache);
    expect(loaded.some((f) => f.includes('tfjs-layers') || f.includes('tfjs-backend-webgl'))).toBe(false);
    expect(require.cache[umbrella]?.exports.loadGraphModelSync).toBeTypeOf('function');
  });

  // At 224 the input step (the photo padded and resized) is a larger share of the peak than at 416.
  it.each([
    [416, 0.6],
    [224, 0.8],
  ])(
    'the tiny detector at %i: the same output as face-api, under %f of its peak memory, no tensor left',
    async (size, ratio) => {
      const img = await image('pos-basketball1.jpg');
      const tiny = faceapi.nets.tinyFaceDetector as unknown as Net;
      const theirs = await measure(img, (input) => own.tiny(input, size));
      const ours = await measure(img, (input) => tiny.forwardInput(input, size));
      expect(ours.values).toEqual(theirs.values);
      expect(ours.left).toBe(0);
      expect(theirs.left).toBe(0);
      expect(ours.peakBytes).toBeLessThan(theirs.peakBytes * ratio);
    },
  );

  it('SSD: the same boxes and scores as face-api, less memory, no tensor left', async () => {
    const img = await image('neg-coffee.jpg');
    const ssd = faceapi.nets.ssdMobilenetv1 as unknown as Net;
    const theirs = await measure(img, (input) => own.ssd(input));
    const ours = await measure(img, (input) => ssd.forwardInput(input));
    expect(ours.values).toEqual(theirs.values);
    expect(ours.values.flat().length).toBeGreaterThan(0);
    expect(ours.left).toBe(0);
    expect(ours.peakBytes).toBeLessThan(theirs.peakBytes * 0.6);
  });
});

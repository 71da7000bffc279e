/**
 * The face detector itself: @vladmandic/face-api's tiny face detector on the tfjs WASM backend, weights read
 * from the package's own model/ folder (nothing fetched). Loaded once per pool worker; not thread-safe and not
 * meant for the pipeline's thread (one detection costs tens of milliseconds of CPU).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { RgbImage } from './decode-image.ts';

/** One face: the box in image pixels and the detector's score (0..1). */
export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
}

/**
 * Tiny face detector input sizes (multiples of 32), run on every image and merged: 416 finds faces down to ≈ 20 px
 * in a 640×480 photo, the smaller ones find large, blurry or tightly cropped faces that 416 misses (on
 * fixtures/face-corpus recall 0.76 → 0.95 for ≈ 2× the time; see docs/face-detector.md).
 */
export const INPUT_SIZES: readonly number[] = [416, 320, 224];
/** Minimum score for a face. */
export const MIN_SCORE = 0.5;
/** Boxes from different input sizes overlapping more than this are one face (the higher score wins). */
const SAME_FACE_IOU = 0.3;

const require = createRequire(import.meta.url);
type FaceApi = typeof import('@vladmandic/face-api/dist/face-api.node-wasm.js');

export type Detect = (img: RgbImage) => Promise<FaceBox[]>;

/** Loads the backend and the model once; the returned function detects faces in RGB pixels. */
export async function loadDetector(): Promise<Detect> {
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
  const tf = faceapi.tf as unknown as TfLike;
  await tf.setBackend('wasm');
  await tf.ready();
  const modelDir = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  await faceapi.nets.tinyFaceDetector.loadFromDisk(modelDir);
  const sizes = INPUT_SIZES.map(
    (inputSize) => new faceapi.TinyFaceDetectorOptions({ inputSize, scoreThreshold: MIN_SCORE }),
  );
  return async (img) => {
    const tensor = tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
    try {
      const found: FaceBox[] = [];
      for (const options of sizes) {
        for (const d of await faceapi.detectAllFaces(tensor as never, options)) {
          found.push({ x: d.box.x, y: d.box.y, width: d.box.width, height: d.box.height, score: d.score });
        }
      }
      return merge(found).map((f) => ({
        x: Math.round(f.x),
        y: Math.round(f.y),
        width: Math.round(f.width),
        height: Math.round(f.height),
        score: Math.round(f.score * 1000) / 1000,
      }));
    } finally {
      tensor.dispose();
    }
  };
}

/** Non-maximum suppression across input sizes: the best-scored box of each overlapping group. */
export function merge(boxes: FaceBox[]): FaceBox[] {
  const kept: FaceBox[] = [];
  for (const b of [...boxes].sort((a, c) => c.score - a.score)) {
    if (kept.every((k) => boxIoU(k, b) <= SAME_FACE_IOU)) kept.push(b);
  }
  return kept;
}

export function boxIoU(a: FaceBox, b: FaceBox): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/** The part of tfjs we use (face-api re-exports it untyped for the WASM build). */
interface TfLike {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  tensor3d(data: Uint8Array, shape: [number, number, number], dtype: 'int32'): { dispose(): void };
}

/**
 * The face detector itself: @vladmandic/face-api on the tfjs WASM backend, weights read from the package's own
 * model/ folder (nothing fetched). A fast pass (the tiny face detector at three input sizes) decides most images; only
 * an image it is unsure of gets a second pass with SSD MobileNet v1, loaded at its first use. Loaded once per pool
 * worker; not thread-safe and not meant for the pipeline's thread (one detection costs tens of milliseconds of CPU).
 * Choices and figures: docs/adr/0004-face-detector.md.
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

/** What one image gave: its faces, and whether the second pass decided. */
export interface Detection {
  faces: FaceBox[];
  secondPass: boolean;
}

/**
 * Fast pass: tiny face detector input sizes (multiples of 32), run on every image and merged. 416 finds faces down to
 * ≈ 20 px in a 640×480 photo, the smaller ones find large, blurry or tightly cropped faces that 416 misses.
 */
export const INPUT_SIZES: readonly number[] = [416, 320, 224];
/** Minimum score of a face the fast pass reports. */
export const MIN_SCORE = 0.5;
/** The fast pass is sure of a face when its best box scores this much, and sure of none below UNSURE_SCORE. */
export const SURE_SCORE = 0.6;
/** Below this best score the fast pass is sure there is no face; from it up to SURE_SCORE the second pass decides. */
export const UNSURE_SCORE = 0.25;
/** Second pass: SSD MobileNet v1 boxes at this confidence are faces when the tiny detector agrees (AGREE_SCORE). */
export const SSD_MIN_CONFIDENCE = 0.5;
/** A tiny-detector box at this score, of any pass, overlapping an SSD box confirms it. */
export const AGREE_SCORE = 0.4;
/**
 * Second pass, for an SSD box the fast pass saw nothing at (a small face across a room): the tiny detector looks again
 * at a square CLOSE_UP_SCALE times the box's side around it, at input size CLOSE_UP_INPUT_SIZE. Cheaper in time and in
 * WASM memory than a larger input size for the whole image (608 added ≈ 87 MiB to a worker, measured).
 */
export const CLOSE_UP_SCALE = 2;
export const CLOSE_UP_INPUT_SIZE = 224;
/** Boxes overlapping more than this are one face (the higher score wins). */
const SAME_FACE_IOU = 0.3;

const require = createRequire(import.meta.url);
type FaceApi = typeof import('@vladmandic/face-api/dist/face-api.node-wasm.js');

export type Detect = (img: RgbImage) => Promise<Detection>;

/**
 * Loads the backend and the tiny model once (SSD at the first unsure image); the function detects faces. With
 * `secondPass: false` an unsure image is decided by the fast pass alone (faces from MIN_SCORE): the reference the face
 * bench measures the cascade against.
 */
export async function loadDetector(opts: { secondPass?: boolean } = {}): Promise<Detect> {
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
  const tf = faceapi.tf as unknown as TfLike;
  await tf.setBackend('wasm');
  await tf.ready();
  const modelDir = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  await faceapi.nets.tinyFaceDetector.loadFromDisk(modelDir);
  const tiny = (inputSize: number) => new faceapi.TinyFaceDetectorOptions({ inputSize, scoreThreshold: UNSURE_SCORE });
  const fast = INPUT_SIZES.map(tiny);
  const closeUp = tiny(CLOSE_UP_INPUT_SIZE);
  const ssd = new faceapi.SsdMobilenetv1Options({ minConfidence: SSD_MIN_CONFIDENCE });
  let ssdLoaded: Promise<void> | undefined;
  type Options = typeof closeUp | typeof ssd;
  const run = async (tensor: unknown, options: Options): Promise<FaceBox[]> =>
    (await faceapi.detectAllFaces(tensor as never, options)).map((d) => ({
      x: d.box.x,
      y: d.box.y,
      width: d.box.width,
      height: d.box.height,
      score: d.score,
    }));

  return async (img) => {
    const tensor = tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
    try {
      const seen: FaceBox[] = [];
      for (const options of fast) seen.push(...(await run(tensor, options)));
      const verdict = fastVerdict(seen);
      if (verdict !== 'unsure' || opts.secondPass === false) {
        return { faces: rounded(merge(seen.filter((b) => b.score >= MIN_SCORE))), secondPass: false };
      }
      ssdLoaded ??= faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
      await ssdLoaded;
      const ssdBoxes = await run(tensor, ssd);
      // Where SSD sees a face the fast sizes did not, the tiny detector takes a close look.
      for (const b of ssdBoxes) {
        if (confirmed([b], seen).length > 0) continue;
        const [x, y, w, h] = closeUpRegion(b, img.width, img.height);
        const crop = tf.slice(tensor, [y, x, 0], [h, w, 3]);
        try {
          for (const f of await run(crop, closeUp)) seen.push({ ...f, x: f.x + x, y: f.y + y });
        } finally {
          crop.dispose();
        }
      }
      return { faces: rounded(confirmed(ssdBoxes, seen)), secondPass: true };
    } finally {
      tensor.dispose();
    }
  };
}

/** What the fast pass's boxes (every score from UNSURE_SCORE up) say about the image. */
export function fastVerdict(boxes: readonly FaceBox[]): 'face' | 'none' | 'unsure' {
  const best = Math.max(0, ...boxes.map((b) => b.score));
  return best >= SURE_SCORE ? 'face' : best < UNSURE_SCORE ? 'none' : 'unsure';
}

/**
 * Second-pass faces: SSD boxes (confidence from SSD_MIN_CONFIDENCE) that a tiny-detector box scoring AGREE_SCORE or
 * more overlaps. Each detector vetoes the other's typical error: SSD calls a cat's face a face, the tiny detector a
 * retina photo or a mandrill.
 */
export function confirmed(ssd: readonly FaceBox[], tiny: readonly FaceBox[]): FaceBox[] {
  const agreeing = tiny.filter((t) => t.score >= AGREE_SCORE);
  return merge(ssd.filter((s) => s.score >= SSD_MIN_CONFIDENCE && agreeing.some((t) => boxIoU(s, t) > SAME_FACE_IOU)));
}

/** The close-up square around a box, `[x, y, width, height]` in whole pixels, clamped to the image. */
export function closeUpRegion(b: FaceBox, width: number, height: number): [number, number, number, number] {
  const side = Math.max(b.width, b.height) * CLOSE_UP_SCALE;
  const x0 = Math.max(0, Math.round(b.x + b.width / 2 - side / 2));
  const y0 = Math.max(0, Math.round(b.y + b.height / 2 - side / 2));
  const x1 = Math.min(width, Math.round(b.x + b.width / 2 + side / 2));
  const y1 = Math.min(height, Math.round(b.y + b.height / 2 + side / 2));
  return [x0, y0, Math.max(1, x1 - x0), Math.max(1, y1 - y0)];
}

/** Non-maximum suppression: the best-scored box of each overlapping group. */
export function merge(boxes: readonly FaceBox[]): FaceBox[] {
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

function rounded(faces: FaceBox[]): FaceBox[] {
  return faces.map((f) => ({
    x: Math.round(f.x),
    y: Math.round(f.y),
    width: Math.round(f.width),
    height: Math.round(f.height),
    score: Math.round(f.score * 1000) / 1000,
  }));
}

/** The part of tfjs we use (face-api re-exports it untyped for the WASM build). */
interface TfLike {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  tensor3d(data: Uint8Array, shape: [number, number, number], dtype: 'int32'): Tensor;
  slice(t: Tensor, begin: number[], size: number[]): Tensor;
}
interface Tensor {
  dispose(): void;
}

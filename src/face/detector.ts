/**
 * The face detector itself: @vladmandic/face-api on the tfjs WASM backend, loaded and run lean (./lean-face-api.ts),
 * weights read from the package's own model/ folder, and BlazeFace's from ./models (nothing fetched). A fast pass (the tiny face detector at three input
 * sizes, and BlazeFace) decides most images; only an image it is unsure of gets a second pass, where SSD MobileNet v1
 * (loaded at its first use), the tiny detector and BlazeFace vote. Loaded once per pool worker; not thread-safe and
 * not meant for the pipeline's thread (one detection costs tens of milliseconds of CPU).
 * Choices and figures: docs/adr/0004-face-detector.md, 0005, 0018 and (memory) 0019, 0027.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type BlazeTf, loadBlazeFace } from './blazeface.ts';
import type { RgbImage } from './decode-image.ts';
import { type LeanNets, requireFaceApi, useLeanPasses } from './lean-face-api.ts';

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
 * ≈ 20 px in a 640×480 photo, 224 large, blurry or tightly cropped faces that 416 misses. 320, between them, found
 * nothing the two and BlazeFace do not (docs/adr/0018): dropping it pays for BlazeFace.
 */
export const INPUT_SIZES: readonly number[] = [416, 224];
/** Minimum score of a face the fast pass reports. */
export const MIN_SCORE = 0.5;
/** The fast pass is sure of a face when its best box scores this much, and sure of none below UNSURE_SCORE. */
export const SURE_SCORE = 0.6;
/**
 * Below this best tiny score the fast pass is sure there is no face, unless BlazeFace (run in the fast pass too, it
 * is cheap) sees one from BLAZE_VOTE_SCORE: from UNSURE_SCORE up to SURE_SCORE the second pass decides.
 */
export const UNSURE_SCORE = 0.25;
/**
 * Second pass: three detectors vote on each candidate box, and a face takes two of them (boxes overlapping by more
 * than SAME_FACE_IOU): SSD MobileNet v1 from SSD_VOTE_SCORE, the tiny detector from TINY_VOTE_SCORE (any pass), and
 * BlazeFace from BLAZE_VOTE_SCORE. Each vetoes the others' typical errors: SSD calls a cat's face a face, the tiny
 * detector a retina photo, a mandrill or a cartoon, BlazeFace a horse or a plush toy.
 */
export const SSD_VOTE_SCORE = 0.7;
export const TINY_VOTE_SCORE = 0.4;
export const BLAZE_VOTE_SCORE = 0.7;
/**
 * SSD, the tiny detector's second look and BlazeFace see the image framed in a border CONTEXT_MARGIN times its longer
 * side wide on every side: trained on faces in scenes, they score a face that fills the frame (a thumbnail, a tight
 * crop) or a blurred one far higher with room around it, and SSD an animal's face lower (docs/adr/0018).
 */
export const CONTEXT_MARGIN = 0.5;
const CONTEXT_GREY = 128;
/** 512 (SSD's input) changed a borderline LFW crop's answer: a second resize before the detector's own. */
const CONTEXT_SIDE = 1024;
/**
 * Second pass, for an SSD box no tiny box agrees with (a small face across a room): the tiny detector looks again
 * at a square CLOSE_UP_SCALE times the box's side around it, at input size CLOSE_UP_INPUT_SIZE. Cheaper in time and in
 * WASM memory than a larger input size for the whole image (608 added ≈ 87 MiB to a worker, measured).
 */
export const CLOSE_UP_SCALE = 2;
export const CLOSE_UP_INPUT_SIZE = 224;
/** Boxes overlapping more than this are one face (the higher score wins). */
const SAME_FACE_IOU = 0.3;
/** The detector's own weights (BlazeFace), beside this module in src/ and copied beside the bundle in dist/. */
const OWN_MODELS = join(import.meta.dirname, 'models');

const require = createRequire(import.meta.url);

export type Detect = (img: RgbImage) => Promise<Detection>;

/** Each detector's boxes for one image, as the vote reads them. */
export interface Opinions {
  ssd: readonly FaceBox[];
  tiny: readonly FaceBox[];
  blaze: readonly FaceBox[];
}

/**
 * Loads the backend, the tiny model and BlazeFace once (SSD at the first unsure image); the function detects faces.
 * With `secondPass: false` an unsure image is decided by the tiny detector alone (faces from MIN_SCORE), and
 * `inputSizes` replaces INPUT_SIZES: the references the face bench measures the detector against.
 */
export async function loadDetector(
  opts: { secondPass?: boolean; inputSizes?: readonly number[] } = {},
): Promise<Detect> {
  const faceapi = requireFaceApi();
  const tf = faceapi.tf as unknown as TfLike;
  await tf.setBackend('wasm');
  await tf.ready();
  const modelDir = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  await faceapi.nets.tinyFaceDetector.loadFromDisk(modelDir);
  useLeanPasses(faceapi.tf as never, faceapi.nets as unknown as LeanNets);
  const blazeFace = loadBlazeFace(tf as unknown as BlazeTf, OWN_MODELS, CONTEXT_MARGIN);
  const tiny = (inputSize: number) => new faceapi.TinyFaceDetectorOptions({ inputSize, scoreThreshold: UNSURE_SCORE });
  const fast = (opts.inputSizes ?? INPUT_SIZES).map(tiny);
  const closeUp = tiny(CLOSE_UP_INPUT_SIZE);
  const ssd = new faceapi.SsdMobilenetv1Options({ minConfidence: SSD_VOTE_SCORE });
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
  /**
   * The boxes of each `options`, in order, run on the image framed in CONTEXT_MARGIN of grey, mapped back. The framed
   * image is made once, at most CONTEXT_SIDE pixels a side, scaled before it is framed, so a large photo never
   * becomes a huge tensor.
   */
  const inContext = async (tensor: Tensor, img: RgbImage, each: readonly Options[]): Promise<FaceBox[][]> => {
    const longer = Math.max(img.width, img.height);
    const margin = Math.round(longer * CONTEXT_MARGIN);
    const scale = Math.min(1, CONTEXT_SIDE / (longer + 2 * margin));
    const m = Math.round(margin * scale);
    const framed = tf.tidy(() => {
      const h = Math.max(1, Math.round(img.height * scale));
      const w = Math.max(1, Math.round(img.width * scale));
      const scaled = scale < 1 ? tf.cast(tf.image.resizeBilinear(tensor, [h, w]), 'int32') : tensor;
      // The same whole numbers as float32: face-api's input step then pads and resizes it without a float copy.
      return tf.pad(
        tf.cast(scaled, 'float32'),
        [
          [m, m],
          [m, m],
          [0, 0],
        ],
        CONTEXT_GREY,
      );
    });
    try {
      const boxes: FaceBox[][] = [];
      for (const options of each) {
        const found = await run(framed, options);
        boxes.push(
          found.map((f) => ({
            x: (f.x - m) / scale,
            y: (f.y - m) / scale,
            width: f.width / scale,
            height: f.height / scale,
            score: f.score,
          })),
        );
      }
      return boxes;
    } finally {
      framed.dispose();
    }
  };

  return async (img) => {
    const tensor = tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
    try {
      const seen: FaceBox[] = [];
      for (const options of fast) seen.push(...(await run(tensor, options)));
      const blaze = opts.secondPass === false ? [] : await blazeFace(tensor, img.width, img.height);
      const verdict = fastVerdict(seen, blaze);
      if (verdict !== 'unsure' || opts.secondPass === false) {
        return { faces: rounded(merge(seen.filter((b) => b.score >= MIN_SCORE))), secondPass: false };
      }
      ssdLoaded ??= faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
      await ssdLoaded;
      const [ssdBoxes = [], ...tinyBoxes] = await inContext(tensor, img, [ssd, ...fast]);
      seen.push(...tinyBoxes.flat());
      // Where SSD sees a face no tiny box agrees with, the tiny detector takes a close look.
      for (const b of ssdBoxes) {
        if (seen.some((t) => t.score >= TINY_VOTE_SCORE && boxIoU(b, t) > SAME_FACE_IOU)) continue;
        const [x, y, w, h] = closeUpRegion(b, img.width, img.height);
        const crop = tf.slice(tensor, [y, x, 0], [h, w, 3]);
        try {
          for (const f of await run(crop, closeUp)) seen.push({ ...f, x: f.x + x, y: f.y + y });
        } finally {
          crop.dispose();
        }
      }
      return { faces: rounded(voted({ ssd: ssdBoxes, tiny: seen, blaze })), secondPass: true };
    } finally {
      tensor.dispose();
    }
  };
}

/** What the fast pass says: the tiny boxes (every score from UNSURE_SCORE up) and BlazeFace's. */
export function fastVerdict(tiny: readonly FaceBox[], blaze: readonly FaceBox[] = []): 'face' | 'none' | 'unsure' {
  const best = Math.max(0, ...tiny.map((b) => b.score));
  if (best >= SURE_SCORE) return 'face';
  return best >= UNSURE_SCORE || blaze.some((b) => b.score >= BLAZE_VOTE_SCORE) ? 'unsure' : 'none';
}

/**
 * Second-pass faces: every box of any detector, at its vote score, that boxes of at least two detectors overlap (its
 * own counts), merged. Each detector vetoes the others' typical error (see SSD_VOTE_SCORE).
 */
export function voted(o: Opinions): FaceBox[] {
  const votes = [
    o.ssd.filter((b) => b.score >= SSD_VOTE_SCORE),
    o.tiny.filter((b) => b.score >= TINY_VOTE_SCORE),
    o.blaze.filter((b) => b.score >= BLAZE_VOTE_SCORE),
  ];
  const agreed = (c: FaceBox) => votes.filter((boxes) => boxes.some((b) => boxIoU(b, c) > SAME_FACE_IOU)).length >= 2;
  // SSD's boxes first, then the tiny detector's: the tightest around a face are the ones kept where they agree.
  return firstOfEachFace(votes.flatMap(byScore).filter(agreed));
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
  return firstOfEachFace(byScore(boxes));
}

function byScore(boxes: readonly FaceBox[]): FaceBox[] {
  return [...boxes].sort((a, c) => c.score - a.score);
}

/** The first box of each overlapping group, in the order given. */
function firstOfEachFace(boxes: readonly FaceBox[]): FaceBox[] {
  const kept: FaceBox[] = [];
  for (const b of boxes) {
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
  pad(t: Tensor, paddings: Array<[number, number]>, value: number): Tensor;
  cast(t: Tensor, dtype: 'int32' | 'float32'): Tensor;
  tidy<T>(fn: () => T): T;
  image: { resizeBilinear(t: Tensor, size: [number, number]): Tensor };
}
interface Tensor {
  dispose(): void;
}

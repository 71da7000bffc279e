/**
 * BlazeFace (MediaPipe's short-range face detector, the 256 × 256 "back camera" model), the detector's third
 * opinion: cheap enough to run on every image, and it sees what the other two miss — a face filling a thumbnail, a
 * blurred or low-resolution face, a small face in an action shot — while being lenient with animals and toys, so it
 * only ever votes (docs/adr/0018-face-third-detector.md). Weights vendored in ./models (see its README.md); the
 * graph runs on face-api's own tfjs, so no second TensorFlow is loaded.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FaceBox } from './detector.ts';

/** The model's input side and its two anchor grids: 16 × 16 cells with 2 anchors each, 8 × 8 with 6. */
const INPUT = 256;
const GRIDS: ReadonlyArray<{ cells: number; anchors: number }> = [
  { cells: 16, anchors: 2 },
  { cells: 8, anchors: 6 },
];
/** Each anchor's 16 regressors: box centre x, y, width, height (in input pixels), then 6 key points we do not use. */
const REGRESSORS = 16;
/** Boxes under this score are not returned at all. */
const FLOOR_SCORE = 0.3;

/** Anchor centres in input-relative units, in the model's output order. */
const ANCHORS: ReadonlyArray<readonly [number, number]> = GRIDS.flatMap(({ cells, anchors }) =>
  Array.from({ length: cells * cells * anchors }, (_, i) => {
    const cell = Math.floor(i / anchors);
    return [((cell % cells) + 0.5) / cells, (Math.floor(cell / cells) + 0.5) / cells] as const;
  }),
);

/** What BlazeFace needs of tfjs (face-api's bundled copy, untyped). */
export interface BlazeTf {
  loadGraphModelSync(artifacts: { modelTopology: unknown; weightSpecs: unknown; weightData: ArrayBuffer }): {
    execute(input: unknown, outputs: string[]): Array<{ data(): Promise<Float32Array>; dispose(): void }>;
  };
  tidy<T>(fn: () => T): T;
  // biome-ignore lint/suspicious/noExplicitAny: tfjs ops on face-api's untyped tensors
  [op: string]: any;
}

/** A tensor of the image (int32, height × width × 3) to face boxes in image pixels. */
export type BlazeDetect = (image: unknown, width: number, height: number) => Promise<FaceBox[]>;

/**
 * Loads the model from `dir` and returns the detector: the image is centred on a black square `margin` times its
 * longer side wider on every side (room around a face that fills the frame), scaled to 256 × 256 and read.
 */
export function loadBlazeFace(tf: BlazeTf, dir: string, margin: number): BlazeDetect {
  const json = JSON.parse(readFileSync(join(dir, 'blazeface-back.json'), 'utf8'));
  const bin = readFileSync(join(dir, 'blazeface-back.bin'));
  const model = tf.loadGraphModelSync({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest[0].weights,
    weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
  });
  // Output order of the graph: scores and boxes of the 16 × 16 grid, then of the 8 × 8 grid.
  const outputs = ['Identity:0', 'Identity_2:0', 'Identity_1:0', 'Identity_3:0'];
  return async (image, width, height) => {
    // Scaled first, then framed: the 256 × 256 input is all the model reads, so the framed full-size image is never made.
    const longer = Math.max(width, height);
    const scale = INPUT / (longer + 2 * Math.round(longer * margin));
    const w = Math.max(1, Math.round(width * scale));
    const h = Math.max(1, Math.round(height * scale));
    const left = Math.floor((INPUT - w) / 2);
    const top = Math.floor((INPUT - h) / 2);
    const input = tf.tidy(() => {
      const scaled = tf.image.resizeBilinear(tf.cast(image, 'float32'), [h, w]);
      const framed = tf.pad(scaled, [
        [top, INPUT - h - top],
        [left, INPUT - w - left],
        [0, 0],
      ]);
      return tf.expandDims(tf.sub(tf.div(framed, 127.5), 1), 0);
    });
    const tensors = model.execute(input, outputs);
    try {
      const [scores16, boxes16, scores8, boxes8] = await Promise.all(tensors.map((t) => t.data()));
      const scores = [scores16, scores8] as Float32Array[];
      const boxes = [boxes16, boxes8] as Float32Array[];
      const found: FaceBox[] = [];
      let anchor = 0;
      for (let g = 0; g < GRIDS.length; g++) {
        const gs = scores[g] as Float32Array;
        const gb = boxes[g] as Float32Array;
        for (let i = 0; i < gs.length; i++, anchor++) {
          const score = 1 / (1 + Math.exp(-Math.max(-100, Math.min(100, gs[i] as number))));
          if (score < FLOOR_SCORE) continue;
          const [ax, ay] = ANCHORS[anchor] as readonly [number, number];
          const r = i * REGRESSORS;
          const cx = (gb[r] as number) / INPUT + ax;
          const cy = (gb[r + 1] as number) / INPUT + ay;
          const bw = (gb[r + 2] as number) / INPUT;
          const bh = (gb[r + 3] as number) / INPUT;
          found.push({
            x: ((cx - bw / 2) * INPUT - left) / scale,
            y: ((cy - bh / 2) * INPUT - top) / scale,
            width: (bw * INPUT) / scale,
            height: (bh * INPUT) / scale,
            score,
          });
        }
      }
      return found;
    } finally {
      input.dispose();
      for (const t of tensors) t.dispose();
    }
  };
}

/**
 * Face-detector quality on fixtures/face-corpus/ (labels.json): every image goes through a FacePool (the real
 * workers) and is scored per image (a face found where labels say there is one = TP) with precision, recall, face
 * counts, and the IoU of labelled boxes with the best detected box; the hand-marked boxes of the two full-size
 * photos must reach `minHandMarkedIoU`. Each label names its group (`base`: the corpus the floors were first set on;
 * `hard`: harder real photos; `thumbnail`: 64 px avatars), scored on its own and against its own floor, so a harder
 * addition shows as a figure of its own instead of moving the old one. Does not print or exit: eval/run.ts does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { boxIoU, type FaceBox } from '../src/face/detector.ts';
import { FacePool } from '../src/face/pool.ts';
import { resolveLimits } from '../src/model/limits.ts';
import { type Score, score } from './score.ts';

/** One entry of fixtures/face-corpus/labels.json. */
export interface FaceLabel {
  file: string;
  faces: number;
  /** [x, y, width, height] in image pixels. */
  boxes: Array<[number, number, number, number]>;
  boxSource?: 'hand-marked' | 'derived' | 'composited';
  source: string;
  group: string;
}

/** eval/thresholds.json `faceCorpus`: a precision and recall floor per label group (`all`: the whole corpus). */
export interface FaceThresholds {
  groups: Record<string, { precision: number; recall: number }>;
  minHandMarkedIoU: number;
}

export interface FaceImageResult {
  file: string;
  group: string;
  expected: number;
  found: number;
  /** Best IoU per labelled box. */
  ious: number[];
  boxSource?: string;
  /** Why not checked, when the pool did not answer. */
  unchecked?: string;
  /** The detector's second pass decided (the fast one was unsure). */
  secondPass?: boolean;
}

export interface FaceEvalReport {
  /** The whole corpus, then each group. */
  score: Score;
  groups: Record<string, Score>;
  positives: number;
  negatives: number;
  /** Images whose face count was exactly right. */
  exactCounts: number;
  meanIoU: number;
  handMarkedIoU: Record<string, number>;
  images: FaceImageResult[];
  /** Detection milliseconds per image in the worker (decode + detect), p50: all, fast pass only, second pass. */
  p50Ms: number;
  p50MsFast: number;
  p50MsSecond: number;
  /** Images the second pass decided. */
  secondPasses: number;
}

export const FACE_CORPUS = join(import.meta.dirname, '../fixtures/face-corpus');

/** IoU of a labelled [x, y, w, h] box with a detected one. */
export function iou(a: readonly number[], b: FaceBox): number {
  const [x, y, width, height] = a as [number, number, number, number];
  return boxIoU({ x, y, width, height, score: 1 }, b);
}

/**
 * The default pool takes the whole corpus in its queue at once and waits as long as it takes: quality figures must
 * not depend on how busy the machine is.
 */
export async function evaluateFaces(
  dir = FACE_CORPUS,
  pool = new FacePool({ limits: resolveLimits({ MAX_FACE_QUEUE: 1000, MAX_FACE_WAIT_MS: 3_600_000 }) }),
): Promise<FaceEvalReport> {
  const labels = (JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')) as { images: FaceLabel[] }).images;
  const ms: Array<{ ms: number; second: boolean }> = [];
  const images = await Promise.all(
    labels.map(async (l): Promise<FaceImageResult> => {
      const answer = await pool.check(readFileSync(join(dir, l.file)));
      const base = {
        file: l.file,
        group: l.group,
        expected: l.faces,
        ...(l.boxSource ? { boxSource: l.boxSource } : {}),
      };
      if (answer.kind === 'unchecked')
        return { ...base, found: 0, ious: l.boxes.map(() => 0), unchecked: answer.reason };
      ms.push({ ms: answer.ms, second: answer.secondPass });
      const ious = l.boxes.map((b) => Math.max(0, ...answer.faces.map((f) => iou(b, f))));
      return { ...base, found: answer.faces.length, ious, ...(answer.secondPass ? { secondPass: true } : {}) };
    }),
  );
  const groupNames = [...new Set(images.map((r) => r.group))];
  const allIoUs = images.flatMap((r) => r.ious);
  const handMarkedIoU = Object.fromEntries(
    images.filter((r) => r.boxSource === 'hand-marked').map((r) => [r.file, r.ious[0] ?? 0]),
  );
  const p50 = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  return {
    score: scoreImages(images),
    groups: Object.fromEntries(groupNames.map((g) => [g, scoreImages(images.filter((r) => r.group === g))])),
    positives: images.filter((r) => r.expected > 0).length,
    negatives: images.filter((r) => r.expected === 0).length,
    exactCounts: images.filter((r) => r.found === r.expected).length,
    meanIoU: allIoUs.length === 0 ? 0 : allIoUs.reduce((a, b) => a + b, 0) / allIoUs.length,
    handMarkedIoU,
    images,
    p50Ms: p50(ms.map((m) => m.ms)),
    p50MsFast: p50(ms.filter((m) => !m.second).map((m) => m.ms)),
    p50MsSecond: p50(ms.filter((m) => m.second).map((m) => m.ms)),
    secondPasses: ms.filter((m) => m.second).length,
  };
}

/** Image-level counts: a face found where the labels say there is one is a TP. */
function scoreImages(images: readonly FaceImageResult[]): Score {
  const counts = { tp: 0, fp: 0, fn: 0 };
  for (const r of images) {
    // An image the detector did not check counts as wrong either way.
    if (r.unchecked) r.expected > 0 ? counts.fn++ : counts.fp++;
    else if (r.expected > 0 && r.found > 0) counts.tp++;
    else if (r.expected > 0) counts.fn++;
    else if (r.found > 0) counts.fp++;
  }
  return score(counts);
}

/** Why the face report falls under its thresholds (empty = pass). */
export function checkFaceThresholds(r: FaceEvalReport, t: FaceThresholds): string[] {
  const problems: string[] = [];
  for (const [group, floor] of Object.entries(t.groups)) {
    const s = group === 'all' ? r.score : r.groups[group];
    if (!s) problems.push(`face corpus group ${group}: no images`);
    else {
      if (s.precision < floor.precision)
        problems.push(`face corpus ${group} precision ${s.precision} < ${floor.precision}`);
      if (s.recall < floor.recall) problems.push(`face corpus ${group} recall ${s.recall} < ${floor.recall}`);
    }
  }
  for (const [file, v] of Object.entries(r.handMarkedIoU)) {
    if (v < t.minHandMarkedIoU) problems.push(`${file}: IoU with the hand-marked box ${v} < ${t.minHandMarkedIoU}`);
  }
  return problems;
}

export function printFaceReport(r: FaceEvalReport): string {
  const f = (n: number) => n.toFixed(3);
  const misses = r.images.filter((i) => i.expected > 0 !== i.found > 0 || i.unchecked);
  return [
    `face corpus: ${r.positives} images with faces, ${r.negatives} without`,
    ...[['all', r.score] as const, ...Object.entries(r.groups)].map(
      ([g, s]) =>
        `  ${g.padEnd(9)} TP ${s.tp}  FP ${s.fp}  FN ${s.fn}  precision ${f(s.precision)}  recall ${f(s.recall)}`,
    ),
    `  exact face count ${r.exactCounts}/${r.images.length}  mean IoU ${f(r.meanIoU)}  detect p50 ${r.p50Ms.toFixed(0)} ms`,
    `  second pass on ${r.secondPasses} images: p50 ${r.p50MsSecond.toFixed(0)} ms, fast pass alone ${r.p50MsFast.toFixed(0)} ms`,
    `  hand-marked IoU: ${Object.entries(r.handMarkedIoU)
      .map(([k, v]) => `${k} ${f(v)}`)
      .join(', ')}`,
    ...misses.map(
      (i) =>
        `  wrong: ${i.file} expected ${i.expected} found ${i.found}${i.unchecked ? ` (${i.unchecked})` : ''}` +
        (i.secondPass ? ' (second pass)' : ''),
    ),
  ].join('\n');
}

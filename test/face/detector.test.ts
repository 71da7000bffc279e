import { describe, expect, it } from 'vitest';
import {
  BLAZE_VOTE_SCORE,
  CLOSE_UP_SCALE,
  closeUpRegion,
  type FaceBox,
  fastVerdict,
  merge,
  SSD_VOTE_SCORE,
  SURE_SCORE,
  TINY_VOTE_SCORE,
  UNSURE_SCORE,
  voted,
} from '../../src/face/detector.ts';

const box = (x: number, score: number, size = 40): FaceBox => ({ x, y: 10, width: size, height: size, score });

describe('the fast pass decides, or hands the image to the second pass', () => {
  it('is sure of a face from SURE_SCORE, of none below UNSURE_SCORE, and unsure between', () => {
    expect(fastVerdict([])).toBe('none');
    expect(fastVerdict([box(0, UNSURE_SCORE - 0.01)])).toBe('none');
    expect(fastVerdict([box(0, UNSURE_SCORE)])).toBe('unsure');
    expect(fastVerdict([box(0, 0.2), box(50, SURE_SCORE - 0.01)])).toBe('unsure');
    expect(fastVerdict([box(0, 0.3), box(50, SURE_SCORE)])).toBe('face');
  });

  it('is unsure, not sure of none, where only BlazeFace sees a face (a thumbnail, a small face in a crowd)', () => {
    expect(fastVerdict([], [box(0, BLAZE_VOTE_SCORE)])).toBe('unsure');
    expect(fastVerdict([], [box(0, BLAZE_VOTE_SCORE - 0.01)])).toBe('none');
    expect(fastVerdict([box(0, SURE_SCORE)], [])).toBe('face');
  });
});

describe('second pass: a face takes the votes of two detectors out of three', () => {
  const none: FaceBox[] = [];
  it('keeps a box two detectors agree on, whichever two', () => {
    expect(voted({ ssd: [box(0, 0.9)], tiny: [box(4, TINY_VOTE_SCORE)], blaze: none })).toEqual([box(0, 0.9)]);
    expect(voted({ ssd: none, tiny: [box(4, 0.5)], blaze: [box(0, BLAZE_VOTE_SCORE)] })).toEqual([box(4, 0.5)]);
    expect(voted({ ssd: [box(0, SSD_VOTE_SCORE)], tiny: none, blaze: [box(2, 0.9)] })).toEqual([
      box(0, SSD_VOTE_SCORE),
    ]);
  });

  it("drops one detector's face, however sure (SSD's cat, the tiny detector's retina, BlazeFace's horse)", () => {
    expect(voted({ ssd: [box(0, 0.94)], tiny: [box(2, TINY_VOTE_SCORE - 0.01)], blaze: none })).toEqual([]);
    expect(voted({ ssd: none, tiny: [box(0, 0.55)], blaze: [box(0, BLAZE_VOTE_SCORE - 0.01)] })).toEqual([]);
    expect(voted({ ssd: [box(0, SSD_VOTE_SCORE - 0.01)], tiny: none, blaze: [box(0, 0.99)] })).toEqual([]);
  });

  it('needs the boxes to overlap, not just to exist', () => {
    expect(voted({ ssd: [box(0, 0.9)], tiny: [box(100, 0.9)], blaze: [box(200, 0.9)] })).toEqual([]);
  });

  it("keeps SSD's box of a face it agrees on, then the tiny detector's, and one box a face", () => {
    const faces = voted({ ssd: [box(0, 0.8)], tiny: [box(3, 0.95)], blaze: [box(2, 0.99), box(300, 0.9)] });
    expect(faces).toEqual([box(0, 0.8)]);
    expect(voted({ ssd: none, tiny: [box(3, 0.45), box(300, 0.5)], blaze: [box(2, 0.99), box(302, 0.9)] })).toEqual([
      box(300, 0.5),
      box(3, 0.45),
    ]);
  });

  it('takes its close look at a square twice the box around it, clamped to the image', () => {
    expect(CLOSE_UP_SCALE).toBe(2);
    const b = { x: 100, y: 50, width: 20, height: 30, score: 0.9 }; // centre (110, 65), side 2 × 30
    expect(closeUpRegion(b, 640, 480)).toEqual([80, 35, 60, 60]);
    expect(closeUpRegion({ ...b, x: 0, y: 0 }, 640, 480)).toEqual([0, 0, 40, 45]);
    expect(closeUpRegion({ ...b, x: 630, y: 470 }, 640, 480)).toEqual([610, 455, 30, 25]);
  });

  it('merges overlapping boxes to the best-scored one', () => {
    expect(merge([box(0, 0.6), box(5, 0.9), box(300, 0.7)])).toEqual([box(5, 0.9), box(300, 0.7)]);
  });
});

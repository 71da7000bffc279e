import { describe, expect, it } from 'vitest';
import {
  AGREE_SCORE,
  CLOSE_UP_SCALE,
  closeUpRegion,
  confirmed,
  type FaceBox,
  fastVerdict,
  merge,
  SSD_MIN_CONFIDENCE,
  SURE_SCORE,
  UNSURE_SCORE,
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
});

describe('second pass: an SSD box is a face only where the tiny detector agrees', () => {
  it('keeps SSD boxes that a tiny box at AGREE_SCORE or more overlaps', () => {
    const ssd = [box(0, 0.9), box(200, 0.8)];
    expect(confirmed(ssd, [box(4, AGREE_SCORE)])).toEqual([box(0, 0.9)]);
    expect(confirmed(ssd, [box(4, AGREE_SCORE), box(198, 0.7)])).toEqual([box(0, 0.9), box(200, 0.8)]);
  });

  it("drops SSD's face where the tiny detector saw little (a cat), and tiny boxes SSD does not see (a retina)", () => {
    expect(confirmed([box(0, 0.94)], [box(2, AGREE_SCORE - 0.01)])).toEqual([]);
    expect(confirmed([], [box(0, 0.55)])).toEqual([]);
    expect(confirmed([box(0, SSD_MIN_CONFIDENCE - 0.01)], [box(0, 0.55)])).toEqual([]);
  });

  it('needs the boxes to overlap, not just to exist', () => {
    expect(confirmed([box(0, 0.9)], [box(100, 0.9)])).toEqual([]);
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

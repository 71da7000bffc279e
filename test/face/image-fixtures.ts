/**
 * Test helpers for the BMP/GIF decoder tests: the images in test/data/face/, ffmpeg's own decoding of them as the
 * reference (when ffmpeg is on PATH), and pixel comparisons. Not a test itself.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { RgbImage, Undecodable } from '../../src/face/decode-image.ts';

const DATA = new URL('../data/face/', import.meta.url);

export function readImage(name: string): Uint8Array {
  return readFileSync(new URL(name, DATA));
}

/** Whether ffmpeg can be run (the full-frame comparisons are skipped without it). */
export const HAS_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;

/** ffmpeg's decoding of a test image as RGB24, row by row. */
export function ffmpegRgb(name: string): Uint8Array {
  const path = fileURLToPath(new URL(name, DATA));
  const r = spawnSync('ffmpeg', [
    '-v',
    'error',
    '-i',
    path,
    '-frames:v',
    '1',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-',
  ]);
  if (r.status !== 0) throw new Error(`ffmpeg failed on ${name}: ${r.stderr}`);
  return new Uint8Array(r.stdout);
}

/** Narrows a decoder's answer to pixels, failing the test with the reason otherwise. */
export function pixels(img: RgbImage | Undecodable): RgbImage {
  if ('unsupported' in img) throw new Error(`expected pixels, got: ${img.unsupported}`);
  expect(img.data.length).toBe(img.width * img.height * 3);
  return img;
}

/** Samples `[x, y, r, g, b]` (read from ffmpeg's output) match within `tolerance` per channel. */
export function expectSamples(img: RgbImage, samples: number[][], tolerance = 2): void {
  for (const [x, y, ...rgb] of samples) {
    const at = ((y as number) * img.width + (x as number)) * 3;
    const got = [...img.data.subarray(at, at + 3)];
    for (let c = 0; c < 3; c++) {
      expect(
        Math.abs((got[c] as number) - (rgb[c] as number)),
        `pixel ${x},${y}: ${got} vs ${rgb}`,
      ).toBeLessThanOrEqual(tolerance);
    }
  }
}

/** The largest per-channel difference between two RGB buffers of the same length. */
export function maxDifference(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

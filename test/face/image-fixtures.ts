/**
 * Test helpers for the BMP/GIF decoder tests: the images in test/data/face/, ffmpeg's own decoding of them as the
 * reference (recorded digests), and pixel comparisons. Not a test itself.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { RgbImage, Undecodable } from '../../src/face/decode-image.ts';

const DATA = new URL('../data/face/', import.meta.url);

export function readImage(name: string): Uint8Array {
  return readFileSync(new URL(name, DATA));
}

/**
 * sha256 of ffmpeg's decoding of each test image as RGB24, row by row (`ffmpeg -i FILE -frames:v 1 -f rawvideo
 * -pix_fmt rgb24 -`), recorded when the images were made (test/data/face/README.md), so the full-frame check
 * needs no ffmpeg at test time.
 */
const FFMPEG_RGB24: Record<string, string> = JSON.parse(
  readFileSync(new URL('ffmpeg-rgb24.sha256.json', DATA), 'utf8'),
);

/** Whether a decoded image equals ffmpeg's decoding of the same file at every pixel. */
export function sameAsFfmpeg(name: string, img: RgbImage): boolean {
  const want = FFMPEG_RGB24[name];
  if (want === undefined) throw new Error(`no recorded ffmpeg digest for ${name}`);
  return createHash('sha256').update(img.data).digest('hex') === want;
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

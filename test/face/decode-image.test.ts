import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { iou } from '../../eval/face.ts';
import { decodeImage } from '../../src/face/decode-image.ts';
import type { FaceBox } from '../../src/face/detector.ts';
import { FacePool } from '../../src/face/pool.ts';
import { pixels, readImage } from './image-fixtures.ts';

const CORPUS = new URL('../../fixtures/face-corpus/', import.meta.url);

describe('decodeImage', () => {
  it('decodes a JPEG to RGB', () => {
    const img = decodeImage(readFileSync(new URL('pos-astronaut.jpg', CORPUS)));
    expect('unsupported' in img).toBe(false);
    if ('unsupported' in img) return;
    expect([img.width, img.height, img.data.length]).toEqual([512, 512, 512 * 512 * 3]);
  });

  it('refuses a PNG whose header claims a huge image, before allocating it', () => {
    const png = Buffer.alloc(64);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(png);
    png.write('IHDR', 12, 'latin1');
    png.writeUInt32BE(60000, 16);
    png.writeUInt32BE(60000, 20);
    expect(decodeImage(png)).toEqual({ unsupported: 'PNG too large to decode (or no header)' });
  });

  it('names the formats it has no decoder for', () => {
    const webp = Buffer.from('RIFF\u0000\u0000\u0000\u0000WEBPVP8 ', 'latin1');
    expect(decodeImage(webp)).toEqual({ unsupported: 'no decoder for WebP (JPEG, PNG, BMP and GIF are decoded)' });
    const tiff = Buffer.from('II*\u0000\u0008\u0000\u0000\u0000', 'latin1');
    expect(decodeImage(tiff)).toMatchObject({ unsupported: expect.stringMatching(/^no decoder for TIFF/) });
  });

  it('hands BMP and GIF to their decoders, with the same pixel bound as PNG', () => {
    expect(pixels(decodeImage(readImage('astronaut-160-bgr24.bmp')))).toMatchObject({ width: 160, height: 160 });
    expect(pixels(decodeImage(readImage('astronaut-256.gif')))).toMatchObject({ width: 256, height: 256 });
    const bmp = Buffer.from(readImage('cat-160.bmp'));
    bmp.writeInt32LE(7000, 18);
    bmp.writeInt32LE(7000, 22);
    expect(decodeImage(bmp)).toEqual({ unsupported: 'BMP too large to decode (7000x7000)' });
    expect(decodeImage(Buffer.from('GIF89a......'))).toMatchObject({ unsupported: expect.stringMatching(/^GIF /) });
  });

  it('takes its pixel bound from the limits it is given', () => {
    const tiny = { MAX_DECODE_MEGAPIXELS: 0.01 }; // 10,000 pixels: a 160×160 BMP is over it
    expect(decodeImage(readImage('astronaut-160-bgr24.bmp'), tiny)).toMatchObject({ unsupported: /too large/ });
    expect(pixels(decodeImage(readImage('astronaut-160-bgr24.bmp')))).toMatchObject({ width: 160 });
  });

  it('throws on a truncated JPEG (the worker reports it as undecodable)', () => {
    const jpeg = readFileSync(new URL('pos-astronaut.jpg', CORPUS)).subarray(0, 600);
    expect(() => decodeImage(jpeg)).toThrow();
  });
});

describe('BMP and GIF through the face pool', () => {
  const pool = new FacePool({ size: 1 });
  afterAll(() => pool.close());
  // The hand-marked astronaut face in the 512 px original, scaled to each file's width.
  const FACE = [172, 72, 98, 110];

  for (const [name, width] of [
    ['astronaut-160-bgr24.bmp', 160],
    ['astronaut-144-bgra.bmp', 144],
    ['astronaut-256-pal8.bmp', 256],
    ['astronaut-256.gif', 256],
    ['astronaut-200-local.gif', 200],
  ] as const) {
    it(`finds the astronaut's face in ${name}`, async () => {
      const answer = await pool.check(readImage(name));
      expect(answer).toMatchObject({ kind: 'checked', width, height: width });
      if (answer.kind !== 'checked') return;
      expect(answer.faces).toHaveLength(1);
      const box = FACE.map((v) => (v * width) / 512);
      expect(iou(box, answer.faces[0] as FaceBox)).toBeGreaterThan(0.5);
    });
  }

  it('finds no face in the cat, as BMP or GIF', async () => {
    for (const name of ['cat-160.bmp', 'cat-160.gif']) {
      expect(await pool.check(readImage(name))).toMatchObject({ kind: 'checked', width: 160, height: 106, faces: [] });
    }
  });
});

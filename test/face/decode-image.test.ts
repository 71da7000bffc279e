import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { iou } from '../../eval/face.ts';
import { heifCodec, heifSize } from '../../src/face/decode-heif.ts';
import { decodeImage } from '../../src/face/decode-image.ts';
import { webpSize } from '../../src/face/decode-webp.ts';
import type { FaceBox } from '../../src/face/detector.ts';
import { FacePool } from '../../src/face/pool.ts';
import { pixels, readImage } from './image-fixtures.ts';

const CORPUS = new URL('../../fixtures/face-corpus/', import.meta.url);

describe('decodeImage', () => {
  it('decodes a JPEG to RGB', async () => {
    const img = await decodeImage(readFileSync(new URL('pos-astronaut.jpg', CORPUS)));
    expect('unsupported' in img).toBe(false);
    if ('unsupported' in img) return;
    expect([img.width, img.height, img.data.length]).toEqual([512, 512, 512 * 512 * 3]);
  });

  it('refuses a PNG whose header claims a huge image, before allocating it', async () => {
    const png = Buffer.alloc(64);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(png);
    png.write('IHDR', 12, 'latin1');
    png.writeUInt32BE(60000, 16);
    png.writeUInt32BE(60000, 20);
    expect(await decodeImage(png)).toEqual({ unsupported: 'PNG too large to decode (or no header)' });
  });

  it('names the formats it has no decoder for', async () => {
    const tiff = Buffer.from('II*\u0000\u0008\u0000\u0000\u0000', 'latin1');
    expect(await decodeImage(tiff)).toMatchObject({ unsupported: expect.stringMatching(/^no decoder for TIFF/) });
    const heic = Buffer.from('\u0000\u0000\u0000\u0018ftypheic\u0000\u0000\u0000\u0000', 'latin1');
    expect(await decodeImage(heic)).toEqual({
      unsupported: 'HEIF image with neither HEVC nor AV1 coding (hvcC, av1C)',
    });
  });

  it('hands BMP and GIF to their decoders, with the same pixel bound as PNG', async () => {
    expect(pixels(await decodeImage(readImage('astronaut-160-bgr24.bmp')))).toMatchObject({ width: 160, height: 160 });
    expect(pixels(await decodeImage(readImage('astronaut-256.gif')))).toMatchObject({ width: 256, height: 256 });
    const bmp = Buffer.from(readImage('cat-160.bmp'));
    bmp.writeInt32LE(7000, 18);
    bmp.writeInt32LE(7000, 22);
    expect(await decodeImage(bmp)).toEqual({ unsupported: 'BMP too large to decode (7000x7000)' });
    expect(await decodeImage(Buffer.from('GIF89a......'))).toMatchObject({
      unsupported: expect.stringMatching(/^GIF /),
    });
  });

  it('takes its pixel bound from the limits it is given', async () => {
    const tiny = { MAX_DECODE_MEGAPIXELS: 0.01 }; // 10,000 pixels: a 160×160 BMP is over it
    expect(await decodeImage(readImage('astronaut-160-bgr24.bmp'), tiny)).toMatchObject({ unsupported: /too large/ });
    expect(pixels(await decodeImage(readImage('astronaut-160-bgr24.bmp')))).toMatchObject({ width: 160 });
    expect(await decodeImage(readImage('astronaut-256.webp'), tiny)).toEqual({
      unsupported: 'WebP too large to decode (256x256)',
    });
  });

  it('throws on a truncated JPEG (the worker reports it as undecodable)', async () => {
    const jpeg = readFileSync(new URL('pos-astronaut.jpg', CORPUS)).subarray(0, 600);
    await expect(decodeImage(jpeg)).rejects.toThrow();
  });
});

describe('WebP (libwebp in WebAssembly)', () => {
  it('decodes lossy (VP8), lossless (VP8L) and extended (VP8X, alpha) files made by ffmpeg with libwebp', async () => {
    expect(pixels(await decodeImage(readImage('astronaut-256.webp')))).toMatchObject({ width: 256, height: 256 });
    expect(pixels(await decodeImage(readImage('astronaut-220-alpha.webp')))).toMatchObject({ width: 220, height: 220 });
    // Lossless from cat-160.png: every pixel as the PNG's.
    const webp = pixels(await decodeImage(readImage('cat-160-lossless.webp')));
    const png = pixels(await decodeImage(readImage('cat-160.png')));
    expect(webp.width).toBe(png.width);
    expect(Buffer.compare(Buffer.from(webp.data), Buffer.from(png.data))).toBe(0);
  });

  it('reads the canvas size from each header kind before decoding', () => {
    expect(webpSize(readImage('astronaut-256.webp'))).toEqual({ width: 256, height: 256 });
    expect(webpSize(readImage('cat-160-lossless.webp'))).toEqual({ width: 160, height: 106 });
    expect(webpSize(readImage('astronaut-220-alpha.webp'))).toEqual({ width: 220, height: 220 });
  });

  it('refuses a header that claims a huge canvas and a broken file with a reason; decodes a truncated one', async () => {
    const huge = Buffer.from(readImage('astronaut-220-alpha.webp'));
    huge.writeUIntLE(16383, 24, 3);
    huge.writeUIntLE(16383, 27, 3);
    expect(await decodeImage(huge)).toEqual({ unsupported: 'WebP too large to decode (16384x16384)' });
    const whole = readImage('astronaut-256.webp');
    // libwebp draws what a truncated file holds (the rest grey), as a browser would show it.
    expect(pixels(await decodeImage(whole.subarray(0, 2000)))).toMatchObject({ width: 256, height: 256 });
    const broken = Buffer.from(whole);
    broken.fill(0xff, 30, 400);
    expect(await decodeImage(broken)).toMatchObject({ unsupported: /cannot decode/ });
    expect(await decodeImage(Buffer.from('RIFF\u0000\u0000\u0000\u0000WEBPJUNK', 'latin1'))).toEqual({
      unsupported: 'WebP without a VP8, VP8L or VP8X header',
    });
  });
});

describe('HEIC and AVIF (libheif and libavif in WebAssembly)', () => {
  it('decodes HEIC (HEVC) and AVIF (AV1) stills made by libheif’s heif-enc', async () => {
    for (const name of ['astronaut-256.heic', 'astronaut-256.avif']) {
      expect(pixels(await decodeImage(readImage(name)))).toMatchObject({ width: 256, height: 256 });
    }
    const cat = pixels(await decodeImage(readImage('cat-160.avif')));
    const png = pixels(await decodeImage(readImage('cat-160.png')));
    expect([cat.width, cat.height]).toEqual([png.width, png.height]);
    // Lossy: close to the PNG it was made from, not equal.
    let diff = 0;
    for (let i = 0; i < png.data.length; i++) diff += Math.abs(cat.data[i]! - png.data[i]!);
    expect(diff / png.data.length).toBeLessThan(12);
  });

  it('reads the codec and the size from the item properties', () => {
    expect(heifCodec(readImage('astronaut-256.heic'))).toBe('hevc');
    expect(heifCodec(readImage('cat-160.avif'))).toBe('av1');
    expect(heifSize(readImage('cat-160.heic'))).toEqual({ width: 160, height: 106 });
    expect(heifSize(readImage('astronaut-256.avif'))).toEqual({ width: 256, height: 256 });
  });

  it('refuses a claimed size over the bound before decoding, and a broken file with a reason', async () => {
    const tiny = { MAX_DECODE_MEGAPIXELS: 0.01 };
    expect(await decodeImage(readImage('astronaut-256.heic'), tiny)).toEqual({
      unsupported: 'HEIC too large to decode (256x256)',
    });
    const huge = Buffer.from(readImage('astronaut-256.avif'));
    const ispe = huge.indexOf('ispe', 0, 'latin1');
    huge.writeUInt32BE(60000, ispe + 8);
    huge.writeUInt32BE(60000, ispe + 12);
    expect(await decodeImage(huge)).toEqual({ unsupported: 'AVIF too large to decode (60000x60000)' });
    for (const name of ['astronaut-256.heic', 'astronaut-256.avif']) {
      const whole = readImage(name);
      const broken = Buffer.from(whole.subarray(0, Math.floor(whole.length / 3)));
      const answer = await decodeImage(broken);
      // A truncated HEVC stream may still give a picture (the rest grey, as libheif shows it); never a throw.
      if ('unsupported' in answer) expect(answer.unsupported).toMatch(/^(HEIC|AVIF) that its decoder refused$/);
      else expect([answer.width, answer.height]).toEqual([256, 256]);
    }
  });
});

describe('BMP, GIF, WebP, HEIC and AVIF through the face pool', () => {
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
    ['astronaut-256.webp', 256],
    ['astronaut-256.heic', 256],
    ['astronaut-256.avif', 256],
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

  it('finds no face in the cat, as BMP, GIF, WebP, HEIC or AVIF', async () => {
    for (const name of ['cat-160.bmp', 'cat-160.gif', 'cat-160-lossless.webp', 'cat-160.heic', 'cat-160.avif']) {
      expect(await pool.check(readImage(name))).toMatchObject({ kind: 'checked', width: 160, height: 106, faces: [] });
    }
  });
});

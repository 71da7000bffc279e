import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/face/decode-image.ts';

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
    expect(decodeImage(webp)).toEqual({ unsupported: 'no decoder for WebP (JPEG and PNG are decoded)' });
    expect(decodeImage(Buffer.from('GIF89a......'))).toMatchObject({ unsupported: expect.stringMatching(/GIF/) });
  });

  it('throws on a truncated JPEG (the worker reports it as undecodable)', () => {
    const jpeg = readFileSync(new URL('pos-astronaut.jpg', CORPUS)).subarray(0, 600);
    expect(() => decodeImage(jpeg)).toThrow();
  });
});

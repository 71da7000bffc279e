import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBmp } from '../../src/face/decode-bmp.ts';
import { DEFAULT_LIMITS } from '../../src/model/limits.ts';
import { expectSamples, pixels, readImage, sameAsFfmpeg } from './image-fixtures.ts';

const MAX = DEFAULT_LIMITS.MAX_DECODE_MEGAPIXELS * 1e6;

/** Samples [x, y, r, g, b] from ffmpeg's rgb24 decoding of each file. */
const FILES: Record<string, { size: [number, number]; samples: number[][] }> = {
  'astronaut-160-bgr24.bmp': {
    size: [160, 160],
    samples: [
      [0, 0, 148, 139, 149],
      [159, 0, 124, 116, 109],
      [0, 159, 184, 168, 170],
      [159, 159, 3, 2, 1],
      [80, 80, 12, 11, 4],
      [53, 40, 210, 202, 202],
    ],
  },
  'astronaut-144-bgra.bmp': {
    size: [144, 144],
    samples: [
      [0, 0, 151, 143, 151],
      [143, 0, 124, 116, 109],
      [0, 143, 184, 168, 170],
      [143, 143, 6, 5, 4],
      [72, 72, 15, 12, 6],
      [48, 36, 212, 200, 196],
    ],
  },
  'astronaut-256-pal8.bmp': {
    size: [256, 256],
    samples: [
      [0, 0, 146, 141, 145],
      [255, 0, 117, 111, 110],
      [0, 255, 187, 177, 173],
      [255, 255, 1, 0, 2],
      [128, 128, 19, 12, 8],
      [85, 64, 211, 203, 202],
    ],
  },
  'cat-160.bmp': {
    size: [160, 106],
    samples: [
      [0, 0, 144, 119, 106],
      [159, 0, 46, 27, 16],
      [0, 105, 124, 88, 58],
      [159, 105, 165, 141, 135],
      [80, 53, 185, 143, 116],
    ],
  },
};

interface BmpSpec {
  width: number;
  /** Negative: top-down. */
  height: number;
  bpp: number;
  compression?: number;
  dibSize?: number;
  masks?: [number, number, number];
  palette?: number[][];
  /** The stored bytes of pixel (x, y), y counted from the top. */
  pixel: (x: number, y: number) => number[];
}

/** A BMP built from scratch: file header, DIB header (masks inside it or after a 40-byte one), palette, rows. */
function makeBmp(s: BmpSpec): Uint8Array {
  const dib = s.dibSize ?? 40;
  const masks = s.masks && dib === 40 ? 12 : 0;
  const palette = (s.palette?.length ?? 0) * 4;
  const offset = 14 + dib + masks + palette;
  const h = Math.abs(s.height);
  const stride = Math.ceil((s.bpp * s.width) / 32) * 4;
  const b = Buffer.alloc(offset + stride * h);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(b.length, 2);
  b.writeUInt32LE(offset, 10);
  b.writeUInt32LE(dib, 14);
  b.writeInt32LE(s.width, 18);
  b.writeInt32LE(s.height, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(s.bpp, 28);
  b.writeUInt32LE(s.compression ?? 0, 30);
  b.writeUInt32LE(s.palette?.length ?? 0, 46);
  for (const [i, m] of (s.masks ?? []).entries()) b.writeUInt32LE(m, 54 + i * 4);
  for (const [i, [r, g, bl]] of (s.palette ?? []).entries())
    b.set([bl ?? 0, g ?? 0, r ?? 0, 0], 14 + dib + masks + i * 4);
  for (let y = 0; y < h; y++) {
    const row = offset + (s.height > 0 ? h - 1 - y : y) * stride;
    for (let x = 0; x < s.width; x++) b.set(s.pixel(x, y), row + (x * s.bpp) / 8);
  }
  return b;
}

/** The same image stored top-down: height negated, rows reversed. */
function flipToTopDown(bmp: Uint8Array): Uint8Array {
  const b = Buffer.from(bmp);
  const offset = b.readUInt32LE(10);
  const [w, h, bpp] = [b.readInt32LE(18), b.readInt32LE(22), b.readUInt16LE(28)];
  const stride = Math.ceil((bpp * w) / 32) * 4;
  b.writeInt32LE(-h, 22);
  for (let y = 0; y < h; y++)
    b.set(bmp.subarray(offset + y * stride, offset + (y + 1) * stride), offset + (h - 1 - y) * stride);
  return b;
}

describe('decodeBmp', () => {
  for (const [name, { size, samples }] of Object.entries(FILES)) {
    it(`decodes ${name} (ffmpeg-made) to ${size.join('x')} with ffmpeg's pixels`, () => {
      const img = pixels(decodeBmp(readImage(name), MAX));
      expect([img.width, img.height]).toEqual(size);
      expectSamples(img, samples);
    });

    it(`matches ffmpeg's decoding of ${name} at every pixel`, () => {
      expect(sameAsFfmpeg(name, pixels(decodeBmp(readImage(name), MAX)))).toBe(true);
    });
  }

  it('decodes top-down 24-, 32- and 8-bit files to the same pixels as bottom-up', () => {
    for (const name of ['astronaut-160-bgr24.bmp', 'astronaut-144-bgra.bmp', 'astronaut-256-pal8.bmp']) {
      const bottomUp = pixels(decodeBmp(readImage(name), MAX));
      const topDown = pixels(decodeBmp(flipToTopDown(readImage(name)), MAX));
      expect(topDown.height).toBe(bottomUp.height);
      expect(Buffer.from(topDown.data).equals(Buffer.from(bottomUp.data))).toBe(true);
    }
  });

  it('decodes 32-bit BI_BITFIELDS with the masks after a 40-byte header or inside a V5 header', () => {
    const rgb = (x: number, y: number) => [x * 40, y * 60, 255 - x * 40];
    // RGBX in memory order: little-endian u32 = r<<24 | g<<16 | b<<8.
    const spec: BmpSpec = {
      width: 5,
      height: 3,
      bpp: 32,
      compression: 3,
      masks: [0xff000000, 0x00ff0000, 0x0000ff00],
      pixel: (x, y) => [0x7f, ...rgb(x, y).reverse()],
    };
    for (const dibSize of [40, 124]) {
      for (const height of [3, -3]) {
        const img = pixels(decodeBmp(makeBmp({ ...spec, dibSize, height }), MAX));
        expect([img.width, img.height]).toEqual([5, 3]);
        for (let y = 0; y < 3; y++)
          for (let x = 0; x < 5; x++)
            expect([...img.data.subarray((y * 5 + x) * 3, (y * 5 + x) * 3 + 3)]).toEqual(rgb(x, y));
      }
    }
  });

  it('widens narrow bitfield masks to 8 bits (5-6-5 in 32 bits)', () => {
    const bmp = makeBmp({
      width: 2,
      height: 1,
      bpp: 32,
      compression: 3,
      masks: [0xf800, 0x07e0, 0x001f],
      pixel: (x) => (x === 0 ? [0xff, 0xff, 0, 0] : [0x10, 0x84, 0, 0]), // white; then r=16/31, g=32/63, b=16/31
    });
    expect([...pixels(decodeBmp(bmp, MAX)).data]).toEqual([255, 255, 255, 132, 130, 132]);
  });

  it('maps 8-bit indices through a short palette; indices past it are black', () => {
    const bmp = makeBmp({
      width: 3,
      height: -1,
      bpp: 8,
      palette: [
        [10, 20, 30],
        [200, 100, 50],
      ],
      pixel: (x) => [x],
    });
    expect([...pixels(decodeBmp(bmp, MAX)).data]).toEqual([10, 20, 30, 200, 100, 50, 0, 0, 0]);
  });

  it('names what it does not decode: 16-bit, RLE, 4-bit, OS/2 headers', () => {
    const one = { width: 2, height: 2, pixel: () => [0] };
    expect(decodeBmp(makeBmp({ ...one, bpp: 16 }), MAX)).toEqual({
      unsupported: 'BMP 16-bit pixels with compression 0 not decoded',
    });
    expect(decodeBmp(makeBmp({ ...one, bpp: 8, compression: 1 }), MAX)).toMatchObject({
      unsupported: expect.stringMatching(/compression 1/),
    });
    expect(decodeBmp(makeBmp({ ...one, bpp: 4 }), MAX)).toMatchObject({ unsupported: expect.stringMatching(/4-bit/) });
    const os2 = Buffer.from(makeBmp({ ...one, bpp: 24 }));
    os2.writeUInt32LE(12, 14);
    expect(decodeBmp(os2, MAX)).toEqual({ unsupported: 'BMP 12-byte (OS/2) header not decoded' });
  });

  it('refuses a header that claims a huge or empty image, before allocating pixels', () => {
    const claim = (w: number, h: number) => {
      const b = Buffer.from(makeBmp({ width: 1, height: 1, bpp: 24, pixel: () => [1, 2, 3] }));
      b.writeInt32LE(w, 18);
      b.writeInt32LE(h, 22);
      return decodeBmp(b, MAX);
    };
    expect(claim(60000, -60000)).toEqual({ unsupported: 'BMP too large to decode (60000x60000)' });
    expect(claim(0x7fffffff, 0x7fffffff)).toMatchObject({ unsupported: expect.stringMatching(/too large/) });
    expect(claim(0, 5)).toMatchObject({ unsupported: expect.stringMatching(/empty/) });
    expect(claim(-4, 5)).toMatchObject({ unsupported: expect.stringMatching(/empty/) });
    // Within the bound but with no bytes behind it: refused as truncated, not allocated.
    expect(claim(6000, 6000)).toEqual({ unsupported: 'BMP truncated pixel data' });
  });

  it('gives an error result for every truncation of a real file, never a throw', () => {
    for (const name of Object.keys(FILES)) {
      const bmp = readImage(name);
      for (let n = 0; n < bmp.length; n += n < 200 ? 1 : 997) {
        expect(decodeBmp(bmp.subarray(0, n), MAX), `${name} cut at ${n}`).toHaveProperty('unsupported');
      }
    }
  });

  it('never throws on fuzzed headers and bytes (fast-check)', () => {
    const base = makeBmp({
      width: 7,
      height: -5,
      bpp: 32,
      compression: 3,
      masks: [0xff, 0xff00, 0xff0000],
      pixel: () => [1, 2, 3, 4],
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(80), fc.nat(255)), { maxLength: 12 }), fc.nat(base.length), (edits, cut) => {
        const b = Buffer.from(base.subarray(0, Math.max(cut, 2)));
        for (const [at, v] of edits) if (at >= 2 && at < b.length) b[at] = v;
        const img = decodeBmp(b, 1e6);
        if (!('unsupported' in img)) expect(img.data.length).toBe(img.width * img.height * 3);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), (tail) => {
        expect(() => decodeBmp(Buffer.concat([Buffer.from('BM'), tail]), 1e6)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });
});

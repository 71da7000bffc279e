import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeGif } from '../../src/face/decode-gif.ts';
import { DEFAULT_LIMITS } from '../../src/model/limits.ts';
import { expectSamples, pixels, readImage, sameAsFfmpeg } from './image-fixtures.ts';

const MAX = DEFAULT_LIMITS.MAX_DECODE_MEGAPIXELS * 1e6;

/** Samples [x, y, r, g, b] from ffmpeg's rgb24 decoding of each file. */
const FILES: Record<string, { size: [number, number]; samples: number[][] }> = {
  'astronaut-256.gif': {
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
  'astronaut-200-local.gif': {
    size: [200, 200],
    samples: [
      [0, 0, 147, 140, 146],
      [199, 0, 129, 118, 111],
      [0, 199, 185, 177, 172],
      [199, 199, 0, 0, 0],
      [100, 100, 18, 12, 7],
      [66, 50, 211, 202, 200],
    ],
  },
  'cat-160.gif': {
    size: [160, 106],
    samples: [
      [0, 0, 144, 108, 85],
      [159, 0, 36, 36, 85],
      [0, 105, 108, 72, 85],
      [159, 105, 180, 144, 170],
      [80, 53, 180, 144, 85],
    ],
  },
};

/**
 * A real LZW encoder (GIF flavour: LSB-first, codes widen one code after the decoder's table fills a width).
 * When the table is full it emits a clear code, or with `deferClear` keeps going with 12-bit codes and no new
 * entries, as some encoders do.
 */
function lzw(indices: Uint8Array, minCodeSize: number, deferClear = false): Uint8Array {
  const clear = 1 << minCodeSize;
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  let size = minCodeSize + 1;
  const emit = (code: number) => {
    acc |= code << bits;
    bits += size;
    while (bits >= 8) {
      out.push(acc & 0xff);
      acc >>>= 8;
      bits -= 8;
    }
  };
  let dict = new Map<number, number>();
  let next = clear + 2;
  emit(clear);
  let w = indices[0] as number;
  for (let i = 1; i < indices.length; i++) {
    const c = indices[i] as number;
    const key = w * 256 + c;
    const known = dict.get(key);
    if (known !== undefined) {
      w = known;
      continue;
    }
    emit(w);
    if (next < 4096) {
      dict.set(key, next++);
      if (next > 1 << size && size < 12) size++;
    } else if (!deferClear) {
      emit(clear);
      dict = new Map();
      next = clear + 2;
      size = minCodeSize + 1;
    }
    w = c;
  }
  emit(w);
  emit(clear + 1);
  if (bits > 0) out.push(acc & 0xff);
  return new Uint8Array(out);
}

interface GifSpec {
  width: number;
  height: number;
  indices: Uint8Array;
  palette: number[][];
  local?: boolean;
  interlaced?: boolean;
  version?: '87a' | '89a';
  deferClear?: boolean;
}

/** A one-frame GIF: header, global or local table, a graphic-control and a comment extension, the image. */
function makeGif(s: GifSpec): Uint8Array {
  const bitsPerIndex = Math.max(1, Math.ceil(Math.log2(s.palette.length)));
  const table = Buffer.alloc(3 << bitsPerIndex);
  s.palette.forEach((rgb, i) => {
    table.set(rgb, i * 3);
  });
  const tableFlags = 0x80 | (bitsPerIndex - 1);
  const u16 = (n: number) => [n & 0xff, n >> 8];
  const rows = s.interlaced ? interlaceOrder(s.height) : [...Array(s.height).keys()];
  const stored = new Uint8Array(s.indices.length);
  rows.forEach((y, i) => {
    stored.set(s.indices.subarray(y * s.width, (y + 1) * s.width), i * s.width);
  });
  const minCodeSize = Math.max(2, bitsPerIndex);
  const data = lzw(stored, minCodeSize, s.deferClear);
  const blocks: number[] = [];
  for (let i = 0; i < data.length; i += 255) blocks.push(Math.min(255, data.length - i), ...data.subarray(i, i + 255));
  return Buffer.concat([
    Buffer.from(`GIF${s.version ?? '89a'}`, 'latin1'),
    Buffer.from([...u16(s.width), ...u16(s.height), s.local ? 0 : tableFlags, 0, 0]),
    s.local ? Buffer.alloc(0) : table,
    Buffer.from([0x21, 0xf9, 4, 1, 0, 0, 0, 0]), // graphic control: transparent index 0 (ignored)
    Buffer.from([0x21, 0xfe, 3, ...Buffer.from('hi!'), 0]),
    Buffer.from([0x2c, 0, 0, 0, 0, ...u16(s.width), ...u16(s.height)]),
    Buffer.from([(s.local ? tableFlags : 0) | (s.interlaced ? 0x40 : 0)]),
    s.local ? table : Buffer.alloc(0),
    Buffer.from([minCodeSize, ...blocks, 0, 0x3b]),
  ]);
}

/** Where the image descriptor of a makeGif file starts (its extensions hold no 0x2c). */
function imageAt(gif: Buffer): number {
  return gif.indexOf(0x2c, 13);
}

function interlaceOrder(height: number): number[] {
  const rows: number[] = [];
  for (const [start, step] of [
    [0, 8],
    [4, 8],
    [2, 4],
    [1, 2],
  ] as const)
    for (let y = start; y < height; y += step) rows.push(y);
  return rows;
}

const PALETTE_256 = Array.from({ length: 256 }, (_, i) => [i, 255 - i, i ^ 0x55]);

function pattern(width: number, height: number, colours: number, seed = 7): Uint8Array {
  return Uint8Array.from(
    { length: width * height },
    (_, i) => ((i % width) * seed + Math.floor(i / width) * 13) % colours,
  );
}

function noise(length: number, colours: number): Uint8Array {
  let x = 12345;
  return Uint8Array.from({ length }, () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 16) % colours;
  });
}

function expectIndices(rgb: Uint8Array, indices: Uint8Array, palette: number[][]): void {
  const want = Uint8Array.from([...indices].flatMap((i) => palette[i] as number[]));
  expect(Buffer.from(rgb).equals(Buffer.from(want))).toBe(true);
}

describe('decodeGif', () => {
  for (const [name, { size, samples }] of Object.entries(FILES)) {
    it(`decodes ${name} (ffmpeg-made) to ${size.join('x')} with ffmpeg's pixels`, () => {
      const img = pixels(decodeGif(readImage(name), MAX));
      expect([img.width, img.height]).toEqual(size);
      expectSamples(img, samples);
    });

    it(`matches ffmpeg's decoding of ${name} at every pixel`, () => {
      expect(sameAsFfmpeg(name, pixels(decodeGif(readImage(name), MAX)))).toBe(true);
    });
  }

  it('reads the local colour table when the file has no global one', () => {
    const gif = readImage('astronaut-200-local.gif');
    expect((gif[10] as number) & 0x80).toBe(0);
    expect(decodeGif(gif, MAX)).not.toHaveProperty('unsupported');
  });

  it('de-interlaces rows, in GIF87a and GIF89a, with global and local tables', () => {
    for (const height of [1, 2, 5, 8, 9, 23]) {
      const indices = pattern(37, height, 256);
      for (const version of ['87a', '89a'] as const) {
        for (const local of [false, true]) {
          const gif = makeGif({ width: 37, height, indices, palette: PALETTE_256, interlaced: true, version, local });
          const img = pixels(decodeGif(gif, MAX));
          expect([img.width, img.height]).toEqual([37, height]);
          expectIndices(img.data, indices, PALETTE_256);
        }
      }
    }
  });

  it('decodes small code sizes, widening codes to 12 bits, with and without a clear when the table is full', () => {
    for (const colours of [2, 4, 16, 256]) {
      const palette = PALETTE_256.slice(0, colours);
      // Pseudo-random indices fill the 4096-entry table (several times over for more colours).
      const indices = noise(300 * 200, colours);
      for (const deferClear of [false, true]) {
        const img = pixels(decodeGif(makeGif({ width: 300, height: 200, indices, palette, deferClear }), MAX));
        expectIndices(img.data, indices, palette);
      }
    }
  });

  it('paints indices past a short colour table black', () => {
    // The table holds 2 entries (1 bit per index, the second unset); the LZW data still encodes indices 2 and 3.
    const gif = makeGif({ width: 4, height: 1, indices: Uint8Array.from([0, 1, 2, 3]), palette: [[9, 9, 9]] });
    expect([...pixels(decodeGif(gif, MAX)).data]).toEqual([9, 9, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('refuses a frame that claims a huge or empty size, before decoding it', () => {
    const claim = (w: number, h: number) => {
      const b = Buffer.from(makeGif({ width: 2, height: 2, indices: new Uint8Array(4), palette: [[1, 2, 3]] }));
      const image = imageAt(b);
      b.writeUInt16LE(w, image + 5);
      b.writeUInt16LE(h, image + 7);
      return decodeGif(b, MAX);
    };
    expect(claim(65535, 65535)).toEqual({ unsupported: 'GIF too large to decode (65535x65535)' });
    expect(claim(0, 10)).toEqual({ unsupported: 'GIF empty frame 0x10' });
    // Within the bound but with 4 pixels of data: refused as truncated.
    expect(claim(6000, 6000)).toMatchObject({ unsupported: expect.stringMatching(/^GIF image data ended early/) });
  });

  it('names what is wrong: no image, no colour table, bad code size, a bad code', () => {
    expect(decodeGif(Buffer.from('GIF89a\u0001\u0000\u0001\u0000\u0000\u0000\u0000;', 'latin1'), MAX)).toEqual({
      unsupported: 'GIF no image',
    });
    const tiny = () => Buffer.from(makeGif({ width: 2, height: 2, indices: new Uint8Array(4), palette: [[1, 2, 3]] }));
    const noTable = tiny();
    noTable[10] = 0;
    expect(decodeGif(Buffer.concat([noTable.subarray(0, 13), noTable.subarray(19)]), MAX)).toEqual({
      unsupported: 'GIF no colour table',
    });
    const codeSize = tiny();
    codeSize[imageAt(codeSize) + 10] = 9;
    expect(decodeGif(codeSize, MAX)).toEqual({ unsupported: 'GIF bad LZW code size' });
    // Code size 2: a clear code (4) then code 7, past the next free entry (6).
    const badCode = tiny();
    const data = imageAt(badCode) + 11;
    badCode.set([1, 0b111_100, 0, 0x3b], data);
    expect(decodeGif(badCode.subarray(0, data + 4), MAX)).toEqual({ unsupported: 'GIF bad LZW code 7' });
  });

  it('gives an error result for truncations of real files, never a throw', () => {
    for (const name of Object.keys(FILES)) {
      const gif = readImage(name);
      // The last bytes are the end code, the block terminator and the trailer: any cut before them loses pixels.
      for (let n = 0; n < gif.length - 3; n += n < 1200 ? 1 : 331) {
        expect(decodeGif(gif.subarray(0, n), MAX), `${name} cut at ${n}`).toHaveProperty('unsupported');
      }
    }
  });

  it('never throws or hangs on fuzzed files (fast-check)', () => {
    const base = makeGif({ width: 20, height: 9, indices: pattern(20, 9, 16), palette: PALETTE_256.slice(0, 16) });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.nat(255)), { maxLength: 8 }),
        fc.nat(base.length),
        (edits, cut) => {
          const b = Buffer.from(base.subarray(0, Math.max(cut, 6)));
          for (const [at, v] of edits) if (at >= 6 && at < b.length) b[at] = v;
          const img = decodeGif(b, 1e6);
          if (!('unsupported' in img)) expect(img.data.length).toBe(img.width * img.height * 3);
        },
      ),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (tail) => {
        expect(() => decodeGif(Buffer.concat([Buffer.from('GIF89a'), tail]), 1e6)).not.toThrow();
      }),
      { numRuns: 3000 },
    );
  });
});

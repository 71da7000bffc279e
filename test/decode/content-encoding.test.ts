import zlib from 'node:zlib';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createContentDecoder, isZlibHeader } from '../../src/decode/content-encoding.ts';
import type { Filter } from '../../src/decode/filter.ts';
import { DEFAULT_LIMITS, type Limits, resolveLimits } from '../../src/model/limits.ts';
import type { ViolationInput } from '../../src/model/violation.ts';
import { everySplit, oneByteAtATime, splitAt } from '../helpers/splits.ts';
import { runFilter } from './sink.ts';

const json = Buffer.from(JSON.stringify({ deviceId: 'toy-1', samples: Array.from({ length: 40 }, (_, i) => i * 3) }));
const big = Buffer.from(Array.from({ length: 4000 }, (_, i) => `{"n":${i},"v":"${(i * 7919) % 1000}"}`).join('\n'));

const dec =
  (enc: string, limits: Limits = DEFAULT_LIMITS) =>
  (r: (v: ViolationInput) => void): Filter =>
    createContentDecoder(enc, limits, r);

const encodings: Array<[string, (b: Buffer) => Buffer]> = [
  ['gzip', (b) => zlib.gzipSync(b)],
  ['x-gzip', (b) => zlib.gzipSync(b)],
  ['deflate', (b) => zlib.deflateSync(b)],
  ['deflate', (b) => zlib.deflateRawSync(b)],
  ['br', (b) => zlib.brotliCompressSync(b)],
  ['identity', (b) => b],
  ['gzip, br', (b) => zlib.brotliCompressSync(zlib.gzipSync(b))],
  ['deflate,gzip', (b) => zlib.gzipSync(zlib.deflateSync(b))],
  ['GZIP , identity', (b) => zlib.gzipSync(b)],
];

describe('createContentDecoder', () => {
  it.each(encodings)('%s decodes at every split offset and one byte at a time', (enc, pack) => {
    const packed = pack(json);
    expect(packed.length).toBeLessThanOrEqual(4096);
    for (const chunks of [...everySplit(packed), oneByteAtATime(packed)]) {
      const r = runFilter(dec(enc), chunks);
      expect(r.codes).toEqual([]);
      expect(Buffer.from(r.bytes).equals(json)).toBe(true);
      expect(r.ended).toBe(1);
    }
  });

  it.each(encodings)('%s decodes a larger body cut at random points', (enc, pack) => {
    const packed = pack(big);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 30 }), (cuts) => {
        const r = runFilter(dec(enc), splitAt(packed, cuts));
        expect(r.codes).toEqual([]);
        expect(Buffer.from(r.bytes).equals(big)).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('decodes concatenated gzip members fully', () => {
    const packed = Buffer.concat([zlib.gzipSync('first '), zlib.gzipSync(big), zlib.gzipSync(' last')]);
    for (const chunks of [[packed], splitAt(packed, [3, 30, 31, 500, 9000])]) {
      const r = runFilter(dec('gzip'), chunks);
      expect(r.codes).toEqual([]);
      expect(Buffer.from(r.bytes).toString()).toBe(`first ${big} last`);
    }
  });

  it('tells zlib-wrapped deflate from raw deflate by the header', () => {
    const z = zlib.deflateSync(json);
    expect(isZlibHeader(z[0]!, z[1]!)).toBe(true);
    const raw = zlib.deflateRawSync(json);
    expect(isZlibHeader(raw[0]!, raw[1]!)).toBe(false);
  });

  it.each([
    ['gzip', zlib.gzipSync(big)],
    ['br', zlib.brotliCompressSync(big)],
    ['deflate', zlib.deflateSync(big)],
  ] as const)('%s truncated: what was decoded is forwarded, then `truncated`', (enc, packed) => {
    const r = runFilter(dec(enc), [packed.subarray(0, Math.floor(packed.length / 2))]);
    expect(r.codes).toEqual(['truncated']);
    expect(r.bytes.length).toBeGreaterThan(0);
    expect(Buffer.from(big).subarray(0, r.bytes.length).equals(r.bytes)).toBe(true);
    expect(r.ended).toBe(1);
  });

  it('a lone deflate byte is truncated; an empty body is not an error', () => {
    expect(runFilter(dec('deflate'), [Buffer.from([0x78])]).codes).toEqual(['truncated']);
    expect(runFilter(dec('gzip'), []).codes).toEqual([]);
    expect(runFilter(dec('br'), [new Uint8Array(0)]).codes).toEqual([]);
  });

  it('corrupt data gives one violation and nothing more is forwarded', () => {
    const r = runFilter(dec('gzip'), [Buffer.from('this is not gzip at all'), zlib.gzipSync(json)]);
    expect(r.codes).toEqual(['bad-compressed-data']);
    expect(r.bytes.length).toBe(0);
    expect(r.violations[0]!.decoder).toBe('gzip');
  });

  it('data after the end of a deflate stream is flagged', () => {
    const r = runFilter(dec('deflate'), [Buffer.concat([zlib.deflateSync(json), Buffer.from('junk')])]);
    expect(Buffer.from(r.bytes).equals(json)).toBe(true);
    expect(r.codes).toEqual(['trailing-data']);
  });

  it('an unknown coding stops the filter: nothing forwarded, `unknown-encoding`', () => {
    const r = runFilter(dec('gzip, zstd'), [zlib.gzipSync(json)]);
    expect(r.codes).toEqual(['unknown-encoding']);
    expect(r.bytes.length).toBe(0);
    expect(r.ended).toBe(1);
  });

  it('empty or identity-only values pass bytes through', () => {
    expect(Buffer.from(runFilter(dec(''), [json]).bytes).equals(json)).toBe(true);
    expect(Buffer.from(runFilter(dec('identity'), [json]).bytes).equals(json)).toBe(true);
  });

  it('bounds the output by MAX_INFLATE_BYTES, forwarding exactly the limit', () => {
    const limits = resolveLimits({ MAX_INFLATE_BYTES: 10_000 });
    const r = runFilter(dec('gzip', limits), [zlib.gzipSync(big)]);
    expect(r.codes).toEqual(['inflate-size-exceeded']);
    expect(r.bytes.length).toBe(10_000);
  });

  it('fuzz: random and mutated input never throws and ends in bounded time', () => {
    const base = zlib.gzipSync(json);
    fc.assert(
      fc.property(
        fc.constantFrom('gzip', 'deflate', 'br', 'gzip, br'),
        fc.oneof(
          fc.uint8Array({ maxLength: 2000 }),
          fc
            .array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 })
            .map((muts) => {
              const b = Uint8Array.from(base);
              for (const [i, v] of muts) b[i] = v;
              return b;
            }),
        ),
        fc.array(fc.nat(), { maxLength: 5 }),
        (enc, bytes, cuts) => {
          const r = runFilter(dec(enc), splitAt(bytes, cuts));
          expect(r.ended).toBe(1);
          expect(r.codes.length).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** Compresses `mib` MiB of zeros by streaming (the 1 GiB input is never held). */
async function zerosBomb(stream: zlib.Gzip | zlib.BrotliCompress, mib: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  stream.on('data', (d: Buffer) => parts.push(d));
  const done = new Promise((r) => stream.on('end', r));
  const zeros = Buffer.alloc(1 << 20);
  for (let i = 0; i < mib; i++) if (!stream.write(zeros)) await new Promise((r) => stream.once('drain', r));
  stream.end();
  await done;
  return Buffer.concat(parts);
}

function feedBomb(enc: string, packed: Buffer, limits: Limits) {
  const codes: string[] = [];
  const f = createContentDecoder(enc, limits, (v) => codes.push(v.code));
  let out = 0;
  const sink = {
    write: (c: Uint8Array) => {
      out += c.length;
    },
    end() {},
  };
  const rss0 = process.memoryUsage().rss;
  for (let i = 0; i < packed.length; i += 64 * 1024) f.write(packed.subarray(i, i + 64 * 1024), sink);
  f.end(sink);
  return { codes, out, rssGrowth: process.memoryUsage().rss - rss0 };
}

describe('decompression bombs', () => {
  let gzipBomb: Buffer;
  let brotliBomb: Buffer;
  beforeAll(async () => {
    gzipBomb = await zerosBomb(zlib.createGzip({ level: 9 }), 1024);
    brotliBomb = await zerosBomb(
      zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } }),
      1024,
    );
  }, 60_000);

  it('1 GiB of zeros in gzip stops on the ratio bound, quickly and with low RSS', () => {
    const r = feedBomb('gzip', gzipBomb, DEFAULT_LIMITS);
    expect(r.codes).toEqual(['inflate-ratio-exceeded']);
    expect(r.out).toBeLessThan(4 * DEFAULT_LIMITS.INFLATE_RATIO_GRACE);
    expect(r.rssGrowth).toBeLessThan(64 * 1024 * 1024);
  });

  it('1 GiB of zeros in gzip stops on the size bound when the ratio is allowed', () => {
    const limits = resolveLimits({ MAX_INFLATE_RATIO: 1e9, MAX_INFLATE_BYTES: 32 * 1024 * 1024 });
    const r = feedBomb('gzip', gzipBomb, limits);
    expect(r.codes).toEqual(['inflate-size-exceeded']);
    expect(r.out).toBe(32 * 1024 * 1024);
    expect(r.rssGrowth).toBeLessThan(64 * 1024 * 1024);
  });

  it('a brotli bomb (1 GiB of zeros in 1.6 KB) stops quickly', () => {
    const r = feedBomb('br', brotliBomb, DEFAULT_LIMITS);
    expect(brotliBomb.length).toBeLessThan(10_000);
    expect(r.codes).toEqual(['inflate-ratio-exceeded']);
    expect(r.out).toBeLessThan(2 * DEFAULT_LIMITS.INFLATE_RATIO_GRACE);
  });
});

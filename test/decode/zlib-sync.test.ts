/** Guards the node:zlib internals zlib-sync.ts relies on: if node changes them, this fails first. */
import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Codec, SyncDecompressor } from '../../src/decode/zlib-sync.ts';
import { splitAt } from '../helpers/splits.ts';

const text = Buffer.from('the quick brown fox jumps over the lazy dog\n'.repeat(5000));

function feed(d: SyncDecompressor, input: Uint8Array, step: number) {
  const out: Uint8Array[] = [];
  const emit = (s: Uint8Array) => out.push(s) > 0;
  const errors: (string | undefined)[] = [];
  for (let i = 0; i < input.length; i += step) errors.push(d.write(input.subarray(i, i + step), emit));
  errors.push(d.finish(emit));
  d.close();
  return { out: Buffer.concat(out), errors: errors.filter((e) => e !== undefined) };
}

describe('SyncDecompressor (node:zlib internals)', () => {
  it('finds the native handle, its writeSync and the write state it drives', () => {
    const s = zlib.createGunzip() as unknown as {
      _handle: { writeSync: unknown; onerror: unknown };
      _writeState: unknown;
    };
    expect(typeof s._handle.writeSync).toBe('function');
    expect(typeof s._handle.onerror).toBe('function');
    expect(s._writeState).toBeInstanceOf(Uint32Array);
    for (const z of [zlib.createInflateRaw(), zlib.createBrotliDecompress()] as unknown as { reset: unknown }[])
      expect(typeof z.reset).toBe('function');
    const b = zlib.createBrotliDecompress() as unknown as { _handle: { writeSync: unknown }; _writeState: unknown };
    expect(typeof b._handle.writeSync).toBe('function');
    expect(b._writeState).toBeInstanceOf(Uint32Array);
  });

  it.each([
    ['gunzip', zlib.gzipSync(text)],
    ['inflate', zlib.deflateSync(text)],
    ['inflate-raw', zlib.deflateRawSync(text)],
    ['brotli', zlib.brotliCompressSync(text)],
  ] as const)('decodes %s fed many times, synchronously', (codec, packed) => {
    const d = new SyncDecompressor(codec);
    const r = feed(d, packed, 100);
    expect(r.errors).toEqual([]);
    expect(r.out.equals(text)).toBe(true);
    expect(d.bytesIn).toBe(packed.length);
  });

  it('never emits more than 64 KiB per slice and hands out slices that are not overwritten', () => {
    const d = new SyncDecompressor('gunzip');
    const slices: Uint8Array[] = [];
    d.write(zlib.gzipSync(text), (s) => slices.push(s) > 0);
    d.finish((s) => slices.push(s) > 0);
    expect(Math.max(...slices.map((s) => s.length))).toBeLessThanOrEqual(64 * 1024);
    expect(Buffer.concat(slices).equals(text)).toBe(true);
  });

  it('reports corrupt data as a string, without throwing or an error event', async () => {
    const d = new SyncDecompressor('gunzip');
    const bad = Buffer.from(zlib.gzipSync(text));
    bad[20] = bad[20]! ^ 0xff;
    bad[21] = bad[21]! ^ 0xff;
    const r = feed(d, bad, 1000);
    expect(r.errors.length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 10)); // an 'error' event would surface here as an unhandled error
  });

  it('stops when emit says so', () => {
    const d = new SyncDecompressor('gunzip');
    let n = 0;
    expect(d.write(zlib.gzipSync(text), () => ++n < 2)).toBe('stopped');
    expect(n).toBe(2);
    d.close();
    d.close();
  });
});

/** permessage-deflate style body: raw deflate, sync flush, so the stream is left open (no BFINAL). */
const pmd = (b: Uint8Array, dictionary?: Uint8Array) =>
  zlib.deflateRawSync(b, { finishFlush: zlib.constants.Z_SYNC_FLUSH, ...(dictionary ? { dictionary } : {}) });

/** One message through `d`, cut at `cuts`, optionally finished: everything observable about it. */
function message(d: SyncDecompressor, input: Uint8Array, cuts: number[], finish: boolean) {
  const out: Uint8Array[] = [];
  const emit = (s: Uint8Array) => out.push(s) > 0;
  const errors: string[] = [];
  for (const c of splitAt(input, cuts)) {
    const e = d.write(c, emit);
    if (e !== undefined) errors.push(e);
  }
  if (finish) {
    const e = d.finish(emit);
    if (e !== undefined) errors.push(e);
  }
  return { out: Buffer.concat(out).toString('latin1'), errors, trailing: d.trailing, bytesIn: d.bytesIn };
}

describe('SyncDecompressor.reset', () => {
  const m1 = Buffer.from(JSON.stringify({ name: 'Mia', birthday: '2019-04-02', wifi: ['home', 'school'] }));
  const m2 = Buffer.from(JSON.stringify({ name: 'Mia', birthday: '2019-04-02', seq: 2 }));
  /** m2 compressed against m1's bytes: what a context-takeover sender emits for the second message. */
  const m2RefersToM1 = pmd(m2, m1);

  it('forgets the window: a message referring back to the previous one fails exactly as on a fresh engine', () => {
    const kept = new SyncDecompressor('inflate-raw');
    message(kept, pmd(m1), [], false);
    expect(message(kept, m2RefersToM1, [], false)).toMatchObject({ out: m2.toString('latin1'), errors: [] });
    kept.close();

    const d = new SyncDecompressor('inflate-raw');
    expect(message(d, pmd(m1), [], false).out).toBe(m1.toString('latin1'));
    d.reset();
    const fresh = new SyncDecompressor('inflate-raw');
    const afterReset = message(d, m2RefersToM1, [], false);
    expect(afterReset.errors).toEqual(['invalid distance too far back']);
    expect(afterReset).toEqual(message(fresh, m2RefersToM1, [], false));
    d.close();
    fresh.close();
  });

  it('recovers after a corrupt message, a truncated one, and one stopped by emit', () => {
    const d = new SyncDecompressor('inflate-raw');
    const good = pmd(m1);
    expect(message(d, new Uint8Array([0xff, 0xff, 0xff]), [], false).errors).toEqual(['invalid block type']);
    expect(d.write(good, () => true)).toBe('invalid block type'); // errors stick until reset
    d.reset();
    expect(message(d, good, [], false)).toEqual({
      out: m1.toString('latin1'),
      errors: [],
      trailing: false,
      bytesIn: good.length,
    });
    d.reset();
    expect(message(d, good.subarray(0, 10), [], true).errors).toEqual(['unexpected end of file']);
    d.reset();
    const big = pmd(Buffer.from('toy '.repeat(100_000)));
    expect(d.write(big, () => false)).toBe('stopped');
    d.reset();
    expect(message(d, good, [3], false)).toEqual({
      out: m1.toString('latin1'),
      errors: [],
      trailing: false,
      bytesIn: good.length,
    });
    d.close();
  });

  it('keeps the 64 KiB output bound and never overwrites slices handed out before the reset', () => {
    const d = new SyncDecompressor('inflate-raw');
    const big = Buffer.from('the quick brown fox jumps over the lazy dog\n'.repeat(5000));
    const first: Uint8Array[] = [];
    d.write(pmd(big), (s) => first.push(s) > 0);
    d.reset();
    const second: Uint8Array[] = [];
    d.write(pmd(Buffer.alloc(big.length, 0x41)), (s) => second.push(s) > 0);
    expect(Math.max(...first.concat(second).map((s) => s.length))).toBeLessThanOrEqual(64 * 1024);
    expect(Buffer.concat(first).equals(big)).toBe(true);
    expect(Buffer.concat(second).equals(Buffer.alloc(big.length, 0x41))).toBe(true);
    d.close();
  });

  it('clears trailing (data after the end of a stream) and does nothing once closed', () => {
    const d = new SyncDecompressor('inflate-raw');
    const ended = zlib.deflateRawSync(m1); // BFINAL: a following byte is trailing
    expect(message(d, Buffer.concat([ended, Buffer.from([0])]), [], false).trailing).toBe(true);
    d.reset();
    expect(message(d, pmd(m2), [], false)).toMatchObject({ out: m2.toString('latin1'), trailing: false });
    d.close();
    d.reset();
    expect(d.write(pmd(m2), () => true)).toBe('closed');
  });

  it.each([
    ['gunzip', zlib.gzipSync(m1)],
    ['inflate', zlib.deflateSync(m1)],
    ['brotli', zlib.brotliCompressSync(m1)],
  ] as const)('restarts %s streams too', (codec: Codec, packed) => {
    const d = new SyncDecompressor(codec);
    for (let i = 0; i < 3; i++) {
      expect(message(d, packed, [7], true)).toEqual({
        out: m1.toString('latin1'),
        errors: [],
        trailing: false,
        bytesIn: packed.length,
      });
      d.reset();
    }
    d.close();
  });

  /** A message body: valid, referring back to the previous message, cut short, or mutated. */
  const body = fc
    .tuple(
      fc.oneof(
        fc.uint8Array({ maxLength: 3000 }),
        fc.string({ maxLength: 600 }).map((t) => Buffer.from(t.repeat(3))),
      ),
      fc.constantFrom('valid', 'refers-back', 'truncated', 'mutated'),
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
    )
    .map(([plain, kind, at, byte]) => ({ plain, kind, at, byte }));

  it('gives the same output and errors as a fresh engine for every message, over random message streams', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(body, fc.array(fc.nat(), { maxLength: 4 }), fc.boolean()), { minLength: 1, maxLength: 8 }),
        (msgs) => {
          const reused = new SyncDecompressor('inflate-raw');
          let prev = new Uint8Array(0);
          for (const [{ plain, kind, at, byte }, cuts, finish] of msgs) {
            const back = kind === 'refers-back' && prev.length > 0;
            // A message repeating the previous one, compressed against it: back-references a reset must refuse.
            let input: Uint8Array = back ? pmd(Buffer.concat([prev, plain]), prev) : pmd(plain);
            if (kind === 'truncated') input = input.subarray(0, at % (input.length + 1));
            if (kind === 'mutated') {
              input = input.slice();
              input[at % input.length] = byte;
            }
            const fresh = new SyncDecompressor('inflate-raw');
            const want = message(fresh, input, cuts, finish);
            fresh.close();
            expect(message(reused, input, cuts, finish)).toEqual(want);
            if (kind === 'valid' && !finish)
              expect(want).toMatchObject({ out: Buffer.from(plain).toString('latin1'), errors: [] });
            reused.reset();
            prev = plain;
          }
          reused.close();
        },
      ),
      { numRuns: 200 },
    );
  });
});

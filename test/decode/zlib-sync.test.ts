/** Guards the node:zlib internals zlib-sync.ts relies on: if node changes them, this fails first. */
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SyncDecompressor } from '../../src/decode/zlib-sync.ts';

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

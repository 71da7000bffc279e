import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyPcm, FRAME_SAMPLES, MAX_PCM_FRAMES, PcmStats } from '../../../analyzers/lib/pcm-stats.ts';

/** 16-bit little-endian samples of `f(i)`, clamped. */
function pcm(n: number, f: (i: number) => number): Buffer {
  const b = Buffer.alloc(2 * n);
  for (let i = 0; i < n; i++) b.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(f(i)))), 2 * i);
  return b;
}

/** A deterministic generator of numbers in [0, 1). */
function lcg(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x / 0x80000000;
  };
}

/** A speech-like signal: bursts of a modulated, noisy tone with pauses (deterministic). */
function bursts(n: number): Buffer {
  const rnd = lcg(7);
  return pcm(n, (i) =>
    Math.floor(i / 3000) % 3 === 0 ? 0 : 6000 * Math.sin(i / 7) * Math.sin(i / 900) * (rnd() + 0.2),
  );
}

/** The bytes of `b` at an odd byteOffset of a fresh buffer (so no Int16Array view can read them in place). */
function atOddOffset(b: Uint8Array): Uint8Array {
  const buf = new Uint8Array(b.length + 1);
  buf.set(b, 1);
  return buf.subarray(1);
}

function statsOf(b: Uint8Array, cuts: number[] = []): PcmStats {
  const s = new PcmStats();
  let o = 0;
  for (const c of [...cuts.filter((c) => c > 0 && c < b.length).sort((x, y) => x - y), b.length]) {
    s.push(b.subarray(o, c));
    o = c;
  }
  return s;
}

describe('PcmStats', () => {
  const signal = bursts(200 * FRAME_SAMPLES + 77);

  it('gives the same summary however the bytes are cut and aligned', () => {
    const whole = statsOf(signal).summary();
    fc.assert(
      fc.property(fc.array(fc.nat(signal.length), { maxLength: 40 }), fc.boolean(), (cuts, odd) => {
        const bytes = odd ? atOddOffset(signal) : signal;
        expect(statsOf(bytes, cuts).summary()).toEqual(whole);
      }),
      { numRuns: 40 },
    );
    expect(statsOf(atOddOffset(signal), [1, 3, 5, 20001]).summary()).toEqual(whole);
  });

  it('measures the whole-signal moments over every sample, the unfinished frame too', () => {
    const x = Array.from({ length: signal.length / 2 }, (_, i) => signal.readInt16LE(2 * i));
    let [sum, sum2, sum4, lag1] = [0, 0, 0, 0];
    x.forEach((v, i) => {
      sum += v;
      sum2 += v * v;
      sum4 += v ** 4;
      lag1 += v * (x[i - 1] ?? 0);
    });
    const n = x.length;
    const s = statsOf(atOddOffset(signal), [4097]).summary();
    expect(s.r1).toBeCloseTo(lag1 / sum2, 12);
    expect(s.dc).toBeCloseTo(Math.abs(sum / n) / Math.sqrt(sum2 / n), 12);
    expect(s.kurtosis).toBeCloseTo(sum4 / n / (sum2 / n) ** 2, 9);
    expect(s.frames).toBe(200);
  });

  it('analyses MAX_PCM_FRAMES frames and counts every byte', () => {
    const long = bursts((MAX_PCM_FRAMES + 10) * FRAME_SAMPLES);
    const s = statsOf(long, [16384, 16385, 99999]);
    expect(s.frames).toBe(MAX_PCM_FRAMES);
    expect(s.summary().bytes).toBe(long.length);
  });

  it('narrow() keeps r1 and bytes exact and freezes the rest', () => {
    const long = bursts((MAX_PCM_FRAMES + 40) * FRAME_SAMPLES + 3);
    const full = statsOf(long, [65536 + 1, 300001]).summary();
    const s = new PcmStats();
    s.push(long.subarray(0, 65536 + 1));
    const atNarrow = s.summary();
    s.narrow();
    s.push(atOddOffset(long.subarray(65536 + 1, 300001)));
    s.push(long.subarray(300001));
    expect(s.summary()).toEqual({ ...atNarrow, bytes: long.length, r1: full.r1 });
    expect(s.frames).toBe(atNarrow.frames);
  });

  it('gives up early on loud uncorrelated bytes', () => {
    const rnd = lcg(3);
    const random = Uint8Array.from({ length: 1 << 18 }, () => Math.floor(rnd() * 256));
    const s = statsOf(random, [5000]);
    expect(s.frames).toBe(32);
    expect(classifyPcm(s.summary())).toBe('not-pcm');
  });

  it('classifies tones and silence', () => {
    expect(classifyPcm(statsOf(pcm(40000, (i) => 8000 * Math.sin(i / 5))).summary())).toBe('tone');
    expect(classifyPcm(statsOf(Buffer.alloc(50000)).summary())).toBe('silence');
  });
});

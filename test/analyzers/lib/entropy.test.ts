import { describe, expect, it } from 'vitest';
import { ByteEntropy } from '../../../analyzers/lib/entropy.ts';

function entropyOf(chunks: Uint8Array[], max = 1 << 20): ByteEntropy {
  const e = new ByteEntropy(max);
  for (const c of chunks) e.add(c);
  return e;
}

describe('ByteEntropy', () => {
  it('is 8 bits for every byte value equally often, 0 for one value, 0 when empty', () => {
    const all = Uint8Array.from({ length: 4096 }, (_, i) => i & 0xff);
    expect(entropyOf([all]).bits()).toBeCloseTo(8, 12);
    expect(entropyOf([new Uint8Array(1000).fill(7)]).bits()).toBe(0);
    expect(entropyOf([]).bits()).toBe(0);
  });

  it('counts every byte whatever the chunk sizes (not a multiple of 4)', () => {
    // 3 values with counts 1:1:2 -> 1.5 bits, cut at odd places.
    const bytes = Uint8Array.from({ length: 4003 }, (_, i) => [1, 2, 3, 3][i % 4]!);
    const whole = entropyOf([bytes.subarray(0, 4000)]);
    const cut = entropyOf([bytes.subarray(0, 1), bytes.subarray(1, 7), bytes.subarray(7, 4000)]);
    expect(whole.bits()).toBeCloseTo(1.5, 12);
    expect(cut.bits()).toBe(whole.bits());
    expect(cut.sampled).toBe(4000);
  });

  it('samples at most maxSample bytes', () => {
    const e = entropyOf([new Uint8Array(10).fill(1), new Uint8Array(10).fill(2)], 15);
    expect(e.sampled).toBe(15);
    expect(e.bits()).toBeCloseTo(-(10 / 15) * Math.log2(10 / 15) - (5 / 15) * Math.log2(5 / 15), 12);
  });

  it('tells 16-bit samples (high bytes far less varied) from uniform bytes, whatever the chunking', () => {
    let x = 1;
    const rand = () => {
      x = (x * 1103515245 + 12345) >>> 0;
      return x >>> 24;
    };
    const pcm = Buffer.alloc(4000);
    for (let i = 0; i < 2000; i++) pcm.writeInt16LE(Math.round((rand() - 128) * 30), 2 * i);
    const random = Uint8Array.from({ length: 4000 }, rand);
    expect(entropyOf([pcm]).laneGap()).toBeGreaterThan(1);
    expect(entropyOf([pcm.subarray(0, 3), pcm.subarray(3)]).laneGap()).toBe(entropyOf([pcm]).laneGap());
    expect(entropyOf([random]).laneGap()).toBeLessThan(0.2);
  });
});

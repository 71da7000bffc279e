/** Byte-value histogram and Shannon entropy (bits per byte) over a bounded sample of a body. */

/** Table offsets for bytes 0..3 of a quad, by the sample offset (mod 4) the quad starts at. */
const LANES = [0, 1, 2, 3].map((r) => [0, 1, 2, 3].map((j) => ((r + j) & 3) * 256) as [number, number, number, number]);
export class ByteEntropy {
  /** Four histograms, one per byte position mod 4, summed in `bits()`: consecutive equal bytes (PCM high bytes,
   * padding) then update different counters, so the increments do not wait on each other. */
  readonly #counts = new Uint32Array(4 * 256);
  #n = 0;
  readonly #max: number;

  /** `maxSample`: bytes counted at most (the rest is only counted as size by the caller). */
  constructor(maxSample: number) {
    this.#max = maxSample;
  }

  add(chunk: Uint8Array): void {
    const take = Math.max(0, Math.min(chunk.length, this.#max - this.#n));
    const c = this.#counts;
    const quads = take & ~3;
    // Tables follow the byte's offset in the whole sample (mod 4), whatever the chunking.
    const [t0, t1, t2, t3] = LANES[this.#n & 3]!;
    let i = 0;
    for (; i < quads; i += 4) {
      c[t0 + chunk[i]!]!++;
      c[t1 + chunk[i + 1]!]!++;
      c[t2 + chunk[i + 2]!]!++;
      c[t3 + chunk[i + 3]!]!++;
    }
    for (; i < take; i++) c[((this.#n + i) & 3) * 256 + chunk[i]!]!++;
    this.#n += take;
  }

  get sampled(): number {
    return this.#n;
  }

  /** 0..8 bits per byte; 0 for an empty sample. */
  bits(): number {
    return this.#entropy([0, 1, 2, 3]);
  }

  /**
   * Bits by which the bytes at even offsets and those at odd offsets differ in entropy: 16-bit samples (PCM)
   * give their high bytes far fewer values than their low bytes (≥ 1 bit on loud speech); random, encrypted and
   * compressed bytes give ≈ 0.
   */
  laneGap(): number {
    return Math.abs(this.#entropy([0, 2]) - this.#entropy([1, 3]));
  }

  #entropy(lanes: number[]): number {
    const c = this.#counts;
    let n = 0;
    for (const l of lanes) for (let b = 0; b < 256; b++) n += c[l * 256 + b]!;
    if (n === 0) return 0;
    let h = 0;
    for (let b = 0; b < 256; b++) {
      let k = 0;
      for (const l of lanes) k += c[l * 256 + b]!;
      if (k === 0) continue;
      const p = k / n;
      h -= p * Math.log2(p);
    }
    return h;
  }
}

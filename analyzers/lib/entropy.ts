/** Byte-value histogram and Shannon entropy (bits per byte) over a bounded sample of a body. */
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
    let i = 0;
    for (; i < quads; i += 4) {
      c[chunk[i]!]!++;
      c[256 + chunk[i + 1]!]!++;
      c[512 + chunk[i + 2]!]!++;
      c[768 + chunk[i + 3]!]!++;
    }
    for (; i < take; i++) c[chunk[i]!]!++;
    this.#n += take;
  }

  get sampled(): number {
    return this.#n;
  }

  /** 0..8 bits per byte; 0 for an empty sample. */
  bits(): number {
    if (this.#n === 0) return 0;
    let h = 0;
    const c = this.#counts;
    for (let b = 0; b < 256; b++) {
      const k = c[b]! + c[256 + b]! + c[512 + b]! + c[768 + b]!;
      if (k === 0) continue;
      const p = k / this.#n;
      h -= p * Math.log2(p);
    }
    return h;
  }
}

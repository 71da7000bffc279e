/** Byte-value histogram and Shannon entropy (bits per byte) over a bounded sample of a body. */
export class ByteEntropy {
  readonly #counts = new Uint32Array(256);
  #n = 0;
  readonly #max: number;

  /** `maxSample`: bytes counted at most (the rest is only counted as size by the caller). */
  constructor(maxSample: number) {
    this.#max = maxSample;
  }

  add(chunk: Uint8Array): void {
    const take = Math.min(chunk.length, this.#max - this.#n);
    const c = this.#counts;
    for (let i = 0; i < take; i++) {
      const b = chunk[i] as number;
      c[b] = (c[b] as number) + 1;
    }
    this.#n += Math.max(0, take);
  }

  get sampled(): number {
    return this.#n;
  }

  /** 0..8 bits per byte; 0 for an empty sample. */
  bits(): number {
    if (this.#n === 0) return 0;
    let h = 0;
    for (const k of this.#counts) {
      if (k === 0) continue;
      const p = k / this.#n;
      h -= p * Math.log2(p);
    }
    return h;
  }
}

/**
 * Signal statistics of headerless 16-bit little-endian mono PCM, computed as chunks arrive (no body is
 * buffered): whole-signal moments (lag-1/lag-2 correlation, DC offset, kurtosis) and per-frame energy,
 * zero-crossing rate and order-2 linear-prediction error. `classifyPcm` turns them into speech / tone /
 * music / noise / silence / not-pcm. It looks only at the samples: never at a URL, Content-Type or format field.
 * It does not decode compressed audio, and tells 8 kHz from 16 kHz only roughly (spectral tilt). Once a clip is
 * judged, `narrow()` keeps only what the sample-rate guess reads (r1), on a much cheaper loop.
 */

/** Samples per analysis frame (16 ms at 16 kHz, 32 ms at 8 kHz). */
export const FRAME_SAMPLES = 256;
/** Frames analysed per part; past this the bytes are only counted (30 s at 16 kHz). */
export const MAX_PCM_FRAMES = 1875;
/** Samples analysed per part (MAX_PCM_FRAMES whole frames). */
const MAX_SAMPLES = MAX_PCM_FRAMES * FRAME_SAMPLES;
/** Frames after which a loud signal with no sample-to-sample correlation is given up on. */
const REJECT_FRAMES = 32;
/** A frame is active (not silence) above this RMS (about -50 dBFS). */
const ACTIVE_RMS = 100;

/** Samples assembled at a time when a chunk's bytes are not 2-aligned. */
const SCRATCH_SAMPLES = 4096;
/** Int16Array reads in host byte order: the in-place fast path needs a little-endian host. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Samples assembled from unaligned bytes: one buffer for every instance (each push uses it synchronously). */
const scratch = new Int16Array(SCRATCH_SAMPLES);
const scratchBytes = Buffer.from(scratch.buffer);

/** What `PcmStats.summary` measured. */
export interface PcmSummary {
  /** Bytes seen (all of them, also past MAX_PCM_FRAMES). */
  bytes: number;
  /** Frames analysed. */
  frames: number;
  /** Lag-1 autocorrelation of the analysed samples (audio: high; random, compressed, code: near 0). */
  r1: number;
  /** |mean| / RMS (audio is AC: near 0; images and tables read as samples carry a large offset). */
  dc: number;
  /** Kurtosis of the samples (speech ≫ 3, a sine 1.5, uniform bytes 1.8). */
  kurtosis: number;
  /** Fraction of frames above the silence floor. */
  active: number;
  /** Standard deviation of the active frames' level, in dB (speech moves; a tone or a drone does not). */
  levelSpreadDb: number;
  /** Fraction of active frames that an order-2 predictor explains almost perfectly (a pure tone). */
  tonal: number;
  /** Coefficient of variation of the active frames' zero-crossing rate (voiced vs unvoiced sounds alternate). */
  zcrVariation: number;
  /** Fraction of frames 25 dB or more below the loudest (pauses between words). */
  pauses: number;
}

export type PcmClass = 'speech' | 'tone' | 'music' | 'noise' | 'silence' | 'not-pcm';

export class PcmStats {
  #bytes = 0;
  #odd = -1; // a low byte waiting for its high byte across chunks
  #prev1 = 0;
  #prev2 = 0;
  // Whole-signal sums. Every sum but #sum4 is of integers below 2^53 (at most MAX_PCM_FRAMES * 256 samples of
  // at most 2^30), so exact in any order: they are kept per frame and added in at the frame's end.
  #n = 0;
  #sum = 0;
  #sum2 = 0;
  #sum4 = 0;
  #lag1 = 0;
  // the frame being filled
  #fi = 0;
  #fs = 0;
  #f0 = 0;
  #f1 = 0;
  #f2 = 0;
  #zc = 0;
  readonly #level: number[] = [];
  readonly #zcr: number[] = [];
  readonly #lpcErr: number[] = [];
  #rejected = false;
  /** Set by `narrow()`: the summary as of then; only bytes and r1 keep running. */
  #frozen: PcmSummary | undefined;

  get bytes(): number {
    return this.#bytes;
  }

  /** Frames analysed so far. */
  get frames(): number {
    return this.#level.length;
  }

  push(chunk: Uint8Array): void {
    this.#bytes += chunk.length;
    let i = 0;
    if (this.#odd >= 0 && chunk.length > 0 && this.#open()) {
      scratch[0] = (((chunk[0]! << 8) | this.#odd) << 16) >> 16;
      this.#odd = -1;
      this.#samples(scratch, 1);
      i = 1;
    }
    while (chunk.length - i >= 2 && this.#open()) {
      const at = chunk.byteOffset + i;
      if (LITTLE_ENDIAN && (at & 1) === 0) {
        // Fast path: the samples read in place through an Int16Array view.
        const n = (chunk.length - i) >> 1;
        this.#samples(new Int16Array(chunk.buffer, at, n), n);
        i += 2 * n;
      } else {
        // Odd offset (or a big-endian host): copy into the aligned scratch buffer first.
        const n = Math.min((chunk.length - i) >> 1, SCRATCH_SAMPLES);
        const bytes = scratchBytes.subarray(0, 2 * n);
        bytes.set(chunk.subarray(i, i + 2 * n));
        if (!LITTLE_ENDIAN) bytes.swap16();
        this.#samples(scratch, n);
        i += 2 * n;
      }
    }
    if (i === chunk.length - 1 && this.#open()) this.#odd = chunk[i]!;
  }

  /**
   * From now on keep only `bytes` and `r1` running (a clip already judged, whose sample-rate guess still reads
   * r1): `summary()` reports every other field as of this call. r1 stays exactly what full analysis gives.
   */
  narrow(): void {
    this.#frozen ??= this.summary();
  }

  /** Still analysing (not past MAX_PCM_FRAMES, not rejected). */
  #open(): boolean {
    return this.#n < MAX_SAMPLES && !this.#rejected;
  }

  /** The narrowed loop: the two sums of r1 only, up to the same MAX_SAMPLES as the full analysis. */
  #correlate(s: Int16Array, count: number): void {
    const end = Math.min(count, MAX_SAMPLES - this.#n);
    let p1 = this.#prev1;
    // Two samples a step into separate sums, so the additions do not wait on each other (exact integers: the
    // order does not change the result).
    let sum2a = 0;
    let sum2b = 0;
    let lag1a = 0;
    let lag1b = 0;
    let k = 0;
    for (; k + 1 < end; k += 2) {
      const x = s[k]!;
      const y = s[k + 1]!;
      sum2a += x * x;
      sum2b += y * y;
      lag1a += x * p1;
      lag1b += y * x;
      p1 = y;
    }
    if (k < end) {
      const x = s[k]!;
      sum2a += x * x;
      lag1a += x * p1;
      p1 = x;
    }
    this.#n += end;
    this.#prev1 = p1;
    this.#sum2 += sum2a + sum2b;
    this.#lag1 += lag1a + lag1b;
  }

  /**
   * The first `count` samples of `s`, one frame at a time: the running sums live in locals for the inner loop
   * (this is the hot loop of the voice analyzer); #sum4, the one inexact sum, is still added in sample order.
   */
  #samples(s: Int16Array, count: number): void {
    if (this.#frozen) {
      this.#correlate(s, count);
      return;
    }
    let k = 0;
    while (k < count) {
      const end = Math.min(count, k + FRAME_SAMPLES - this.#fi);
      let p1 = this.#prev1;
      let p2 = this.#prev2;
      let fs = this.#fs;
      let sum4 = this.#sum4;
      let f0 = this.#f0;
      let f1 = this.#f1;
      let f2 = this.#f2;
      let zc = this.#zc;
      const start = k;
      for (; k < end; k++) {
        const x = s[k]!;
        fs += x;
        const x2 = x * x;
        sum4 += x2 * x2;
        f0 += x2;
        f1 += x * p1;
        f2 += x * p2;
        zc += (x ^ p1) >>> 31; // a sign change, without a branch (speech mispredicts it)
        p2 = p1;
        p1 = x;
      }
      this.#n += k - start;
      this.#prev1 = p1;
      this.#prev2 = p2;
      this.#fs = fs;
      this.#sum4 = sum4;
      this.#f0 = f0;
      this.#f1 = f1;
      this.#f2 = f2;
      this.#zc = zc;
      this.#fi += k - start;
      if (this.#fi === FRAME_SAMPLES) {
        this.#endFrame();
        if (!this.#open()) return;
      }
    }
  }

  #endFrame(): void {
    this.#sum += this.#fs;
    this.#sum2 += this.#f0;
    this.#lag1 += this.#f1;
    const r0 = this.#f0 / FRAME_SAMPLES;
    this.#level.push(10 * Math.log10(r0 + 1));
    this.#zcr.push(this.#zc / FRAME_SAMPLES);
    // Order-2 linear prediction (Levinson): the normalised residual energy.
    const k1 = this.#f0 > 0 ? this.#f1 / this.#f0 : 0;
    const e1 = 1 - k1 * k1;
    const k2 = e1 > 1e-12 ? (this.#f2 / this.#f0 - k1 * k1) / e1 : 0;
    this.#lpcErr.push(Math.max(0, e1 * (1 - k2 * k2)));
    // Loud but uncorrelated after REJECT_FRAMES: random, compressed or encrypted bytes; stop spending time on it.
    if (
      this.#level.length === REJECT_FRAMES &&
      this.#sum2 > ACTIVE_RMS ** 2 * this.#n &&
      this.#lag1 < 0.2 * this.#sum2
    ) {
      this.#rejected = true;
    }
    this.#fi = 0;
    this.#fs = 0;
    this.#f0 = 0;
    this.#f1 = 0;
    this.#f2 = 0;
    this.#zc = 0;
  }

  summary(): PcmSummary {
    const sum2 = this.#sum2 + this.#f0; // with the frame being filled
    const lag1 = this.#lag1 + this.#f1;
    const r1 = sum2 > 0 ? lag1 / sum2 : 0;
    if (this.#frozen) return { ...this.#frozen, bytes: this.#bytes, r1 };
    const n = this.#n || 1;
    const mean = (this.#sum + this.#fs) / n;
    const m2 = sum2 / n;
    const rms = Math.sqrt(m2);
    const frames = this.#level.length;
    const activeFloor = 20 * Math.log10(ACTIVE_RMS);
    const active: number[] = [];
    let loudest = 0;
    for (let f = 0; f < frames; f++) {
      if (this.#level[f]! >= activeFloor) active.push(f);
      loudest = Math.max(loudest, this.#level[f]!);
    }
    const levels = active.map((f) => this.#level[f]!);
    const zcrs = active.map((f) => this.#zcr[f]!);
    const zcrMean = meanOf(zcrs);
    return {
      bytes: this.#bytes,
      frames,
      r1,
      dc: rms > 0 ? Math.abs(mean) / rms : 0,
      kurtosis: m2 > 0 ? this.#sum4 / n / (m2 * m2) : 0,
      active: frames > 0 ? active.length / frames : 0,
      levelSpreadDb: stdOf(levels),
      tonal: active.length > 0 ? active.filter((f) => this.#lpcErr[f]! < 0.002).length / active.length : 0,
      zcrVariation: zcrMean > 0 ? stdOf(zcrs) / zcrMean : 0,
      pauses: frames > 0 ? this.#level.filter((l) => l < loudest - 25).length / frames : 0,
    };
  }
}

function meanOf(xs: number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length > 0 ? s / xs.length : 0;
}

function stdOf(xs: number[]): number {
  const m = meanOf(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return xs.length > 1 ? Math.sqrt(s / (xs.length - 1)) : 0;
}

/** Frames needed before a part is judged at all (about 0.5 s at 16 kHz). */
export const MIN_PCM_FRAMES = 30;

/**
 * Speech, tone, music, noise, silence or not PCM at all. Speech needs everything at once: heavy-tailed samples
 * (kurtosis), pauses, a moving level and alternating voiced/unvoiced sounds; random, compressed or encrypted
 * bytes fail the correlation, images and tables the DC offset, tones the predictor, music and noise the rest.
 */
export function classifyPcm(s: PcmSummary): PcmClass {
  if (s.frames > 0 && s.active < 0.05) return 'silence';
  if (s.r1 < 0.3 || s.dc > 0.3) return 'not-pcm';
  if (s.tonal > 0.4) return 'tone';
  if (s.kurtosis >= 6 && s.pauses >= 0.08 && s.levelSpreadDb >= 3 && s.zcrVariation >= 0.3) return 'speech';
  return s.kurtosis >= 2.5 ? 'music' : 'noise';
}

/**
 * A rough sample rate for headerless speech from its spectral tilt: at 16 kHz speech sits in the lower half of
 * the band (neighbouring samples strongly correlated), at 8 kHz it fills the band. Used only when neither the
 * session's own description nor the stream's cadence says.
 */
export function guessSampleRate(s: PcmSummary): 8000 | 16000 {
  return s.r1 >= 0.85 ? 16000 : 8000;
}

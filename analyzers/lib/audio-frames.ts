/**
 * Duration of framed audio whose header does not say it, counted as chunks arrive without buffering the body:
 * a frame walker reads each frame's small header, skips its payload, and adds its duration (AMR-NB/WB and SILK
 * 20 ms frames, ADTS 1024 samples) or, for Ogg, keeps the last page's granule position. A frame that does not
 * parse stops the count (the duration then covers what was walked). It does not validate payloads.
 * `durationWalker` is the one entry: it also hands MP3 (audio-mp3.ts) and WebM (audio-webm.ts) to their walkers.
 */
import { ADTS_RATES, type AudioFacts, granuleRate } from './audio-header.ts';
import { Mp3Walker } from './audio-mp3.ts';
import { WebmWalker } from './audio-webm.ts';
import { RecordReader } from './record-reader.ts';

/** Counts a container's duration from its bytes, pushed in order from the first one. */
export interface DurationWalker {
  push(chunk: Uint8Array): void;
  /** Milliseconds of audio in the bytes pushed so far (whole frames only), or undefined when none yet. */
  readonly durationMs: number | undefined;
  /** The sample rate the frames themselves give, where the header read at the start could not (MP3 behind a big ID3 tag). */
  readonly sampleRate?: number | undefined;
}

/** A walker for `facts`'s container (`head`: its first bytes), or undefined when the header gives the duration. */
export function durationWalker(facts: AudioFacts, head: Uint8Array): DurationWalker | undefined {
  if (facts.codec === 'mp3') return new Mp3Walker();
  if (facts.codec === 'webm') return new WebmWalker();
  const fmt = formatFor(facts, head);
  return fmt ? new FrameWalker(fmt, facts, head) : undefined;
}

/** One frame's header read: bytes it needs first, or its total size and what it adds. */
type FrameRead = { need: number } | { size: number; ms?: number; granule?: number } | undefined;

interface FrameFormat {
  /** Bytes of file header before the first frame. */
  skip: number;
  /** Reads a frame header from `h` (at least `min` bytes, more when it answered `need`). */
  read(h: Uint8Array): FrameRead;
  min: number;
}

const AMR_NB = [12, 13, 15, 17, 19, 20, 26, 31, 5];
const AMR_WB = [17, 23, 32, 36, 40, 46, 50, 58, 60, 5];
const amr = (sizes: number[], skip: number): FrameFormat => ({
  skip,
  min: 1,
  read: (h) => {
    const ft = (h[0]! >> 3) & 0x0f;
    if (ft === 15) return { size: 1, ms: 20 }; // NO_DATA
    const n = sizes[ft];
    return n === undefined ? undefined : { size: 1 + n, ms: 20 };
  },
});

/** The walker for a container, or undefined when its duration comes from the header (or is not counted). */
function formatFor(facts: AudioFacts, head: Uint8Array): FrameFormat | undefined {
  switch (facts.codec) {
    case 'amr-nb':
      return amr(AMR_NB, 6);
    case 'amr-wb':
      return amr(AMR_WB, 9);
    case 'silk':
      return {
        skip: head[0] === 0x02 ? 10 : 9,
        min: 2,
        read: (h) => {
          const n = h[0]! | (h[1]! << 8);
          return n === 0xffff || n === 0 ? undefined : { size: 2 + n, ms: 20 };
        },
      };
    case 'aac': {
      if (head[0] !== 0xff) return undefined; // MP4, not ADTS
      return {
        skip: 0,
        min: 7,
        read: (h) => {
          if (h[0] !== 0xff || (h[1]! & 0xf6) !== 0xf0) return undefined;
          const rate = ADTS_RATES[(h[2]! >> 2) & 0x0f];
          const size = ((h[3]! & 3) << 11) | (h[4]! << 3) | (h[5]! >> 5);
          return rate && size >= 7 ? { size, ms: (1024 / rate) * 1000 } : undefined;
        },
      };
    }
    case 'opus':
    case 'speex':
    case 'vorbis':
    case 'flac':
      if (head[0] !== 0x4f) return undefined; // native FLAC has STREAMINFO
      return {
        skip: 0,
        min: 27,
        read: (h) => {
          if (h[0] !== 0x4f || h[1] !== 0x67 || h[2] !== 0x67 || h[3] !== 0x53) return undefined;
          const segs = h[26]!;
          if (h.length < 27 + segs) return { need: 27 + segs };
          let size = 27 + segs;
          for (let i = 0; i < segs; i++) size += h[27 + i]!;
          const lo = (h[6]! | (h[7]! << 8) | (h[8]! << 16) | (h[9]! << 24)) >>> 0;
          const hi = (h[10]! | (h[11]! << 8)) >>> 0;
          return { size, granule: hi * 2 ** 32 + lo };
        },
      };
    default:
      return undefined;
  }
}

class FrameWalker implements DurationWalker {
  readonly #fmt: FrameFormat;
  readonly #rate: number | undefined;
  readonly #reader: RecordReader;
  #ms = 0;
  #granule = -1;
  #preSkip = 0;

  constructor(fmt: FrameFormat, facts: AudioFacts, head: Uint8Array) {
    this.#fmt = fmt;
    this.#rate = granuleRate(facts);
    if (facts.codec === 'opus' && head.length >= 27) {
      const p = 27 + head[26]!;
      if (p + 12 <= head.length) this.#preSkip = head[p + 10]! | (head[p + 11]! << 8);
    }
    this.#reader = new RecordReader(27 + 255, fmt.min, { head: (h) => this.#frame(h) });
    this.#reader.next(fmt.skip, fmt.min);
  }

  /** Milliseconds walked so far (Ogg: the last granule position, less Opus pre-skip). */
  get durationMs(): number | undefined {
    if (this.#granule >= 0)
      return this.#rate ? Math.round(((this.#granule - this.#preSkip) / this.#rate) * 1000) : undefined;
    return this.#ms > 0 ? Math.round(this.#ms) : undefined;
  }

  push(chunk: Uint8Array): void {
    this.#reader.push(chunk);
  }

  #frame(h: Uint8Array): void {
    const r = this.#fmt.read(h);
    if (r === undefined) this.#reader.stop();
    else if ('need' in r) this.#reader.want(r.need);
    else {
      if (r.ms !== undefined) this.#ms += r.ms;
      if (r.granule !== undefined && r.granule < 2 ** 52) this.#granule = Math.max(this.#granule, r.granule);
      this.#reader.next(r.size - h.length, this.#fmt.min);
    }
  }
}

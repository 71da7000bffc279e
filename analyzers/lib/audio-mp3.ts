/**
 * MPEG audio (MP1/MP2/MP3) duration, counted as chunks arrive without buffering the body: a walker reads each
 * frame's 4-byte header (bitrate, sample rate, padding → frame length; samples per frame), skips its payload,
 * skips ID3v2 tags by their syncsafe size and ID3v1 `TAG` blocks by their fixed 128 bytes, and resyncs on
 * garbage by scanning for the next header that agrees with the first one (bounded; the first is believed once the
 * frame after it agrees). A Xing/Info or VBRI header in the first frame gives the encoder's frame count; the
 * duration is never more than the frames actually seen, so a truncated upload reports what was sent. It does not
 * decode or validate the audio payload.
 */
import { ascii } from '../../src/decode/magic-checks.ts';

/** Bytes scanned for a frame header after garbage before the walk gives up (the duration covers what was walked). */
export const MAX_MP3_RESYNC_BYTES = 64 * 1024;
/** Bytes of the first frame read for a Xing/Info or VBRI header (VBRI's frame count ends at byte 54). */
const FIRST_FRAME_PEEK = 54;

/** What one MPEG audio frame header says. */
export interface MpegHeader {
  /** 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5. */
  version: number;
  /** 1, 2 or 3. */
  layer: number;
  sampleRate: number;
  channels: number;
  /** Bytes of the whole frame, header included. */
  size: number;
  /** Samples per channel in the frame. */
  samples: number;
}

const RATES = [[11025, 12000, 8000], [], [22050, 24000, 16000], [44100, 48000, 32000]];
/** kbit/s by bitrate index: MPEG-1 layers I, II, III, then MPEG-2/2.5 layer I, then MPEG-2/2.5 layers II and III. */
const KBPS = [
  [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
];

/**
 * The frame header at `o`, or undefined when there is none (no sync, a reserved field, free-format bitrate);
 * with `like`, also when it disagrees with that earlier header's version, layer or sample rate.
 */
export function mpegHeader(b: Uint8Array, o = 0, like?: MpegHeader): MpegHeader | undefined {
  if (o + 4 > b.length || b[o] !== 0xff || (b[o + 1]! & 0xe0) !== 0xe0) return undefined;
  const version = (b[o + 1]! >> 3) & 3;
  const layer = 4 - ((b[o + 1]! >> 1) & 3);
  const sampleRate = RATES[version]![(b[o + 2]! >> 2) & 3];
  const mpeg1 = version === 3;
  const kbps = KBPS[mpeg1 ? layer - 1 : layer === 1 ? 3 : 4]![b[o + 2]! >> 4];
  if (layer === 4 || !sampleRate || !kbps) return undefined;
  if (like && (like.version !== version || like.layer !== layer || like.sampleRate !== sampleRate)) return undefined;
  const pad = (b[o + 2]! >> 1) & 1;
  const slots = layer === 1 ? 12 : layer === 3 && !mpeg1 ? 72 : 144;
  const slotCount = Math.floor((slots * kbps * 1000) / sampleRate) + pad;
  const size = layer === 1 ? slotCount * 4 : slotCount; // layer I slots are 4 bytes
  const samples = layer === 1 ? 384 : layer === 3 && !mpeg1 ? 576 : 1152;
  return { version, layer, sampleRate, channels: b[o + 3]! >> 6 === 3 ? 1 : 2, size, samples };
}

/** Total bytes of an ID3v2 tag starting at `o` (header, syncsafe size, footer), or undefined when there is none. */
export function id3v2Size(b: Uint8Array, o = 0): number | undefined {
  if (o + 10 > b.length || !ascii(b, o, 'ID3') || b[o + 3] === 0xff || b[o + 4] === 0xff) return undefined;
  let size = 0;
  for (let i = 6; i < 10; i++) {
    if (b[o + i]! & 0x80) return undefined;
    size = size * 128 + b[o + i]!;
  }
  return 10 + size + (b[o + 5]! & 0x10 ? 10 : 0);
}

const u32be = (b: Uint8Array, o: number) => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

/** The frame count a Xing/Info or VBRI header in frame `f` (its first bytes in `b`) declares, if any. */
function declaredFrames(b: Uint8Array, f: MpegHeader): number | undefined {
  const side = f.layer !== 3 ? 0 : f.version === 3 ? (f.channels === 1 ? 17 : 32) : f.channels === 1 ? 9 : 17;
  const x = 4 + side;
  if ((ascii(b, x, 'Xing') || ascii(b, x, 'Info')) && x + 12 <= b.length && b[x + 7]! & 1) return u32be(b, x + 8);
  if (ascii(b, 36, 'VBRI') && 54 <= b.length) return u32be(b, 50);
  return undefined;
}

/** Walks MPEG audio frames chunk by chunk; `durationMs` is the audio of the whole frames walked so far. */
export class Mp3Walker {
  readonly #h = new Uint8Array(FIRST_FRAME_PEEK);
  #have = 0;
  #need = 4;
  #skip = 0;
  #first: MpegHeader | undefined;
  /** The frame after the first agreed with it (until then the first may be a chance sync in garbage). */
  #confirmed = false;
  #declared: number | undefined;
  #frames = 0;
  /** The last counted frame is still arriving (its bytes are being skipped). */
  #partial = false;
  #scanned = 0;
  #broken = false;

  get sampleRate(): number | undefined {
    return this.#first?.sampleRate;
  }

  get durationMs(): number | undefined {
    const f = this.#first;
    const whole = this.#frames - (this.#partial ? 1 : 0);
    const frames = Math.min(whole, this.#declared ?? whole);
    return f && frames > 0 ? Math.round(((frames * f.samples) / f.sampleRate) * 1000) : undefined;
  }

  push(chunk: Uint8Array): void {
    let i = 0;
    while (!this.#broken) {
      if (this.#have === this.#need)
        this.#step(); // also bytes still held after a resync or a small frame
      else if (i === chunk.length) return;
      else if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - i);
        this.#skip -= n;
        i += n;
        if (this.#skip === 0) this.#partial = false;
      } else {
        const n = Math.min(this.#need - this.#have, chunk.length - i);
        this.#h.set(chunk.subarray(i, i + n), this.#have);
        this.#have += n;
        i += n;
      }
    }
  }

  /** `#need` bytes are in `#h`: skip a tag, take a frame, ask for more, or slide one byte on (resync). */
  #step(): void {
    const h = this.#h.subarray(0, this.#have);
    const id3 = ascii(h, 0, 'ID3');
    if (id3 && this.#have < 10) {
      this.#need = 10;
      return;
    }
    const tag = id3 ? id3v2Size(h) : ascii(h, 0, 'TAG') ? 128 : undefined; // ID3v1: the last 128 bytes
    if (tag !== undefined) {
      this.#skipFrame(tag, false);
      return;
    }
    let f = mpegHeader(h, 0, this.#first);
    if (this.#first && !this.#confirmed) {
      // The frame after the first must agree with it; if not, the first was a chance sync in garbage.
      if (f) this.#confirmed = true;
      else {
        this.#first = undefined;
        this.#declared = undefined;
        this.#frames = 0;
        f = mpegHeader(h, 0);
      }
    }
    const peek = f && !this.#first ? Math.min(f.size, FIRST_FRAME_PEEK) : 4;
    if (!f) this.#slide();
    else if (this.#have < peek) this.#need = peek;
    else if (this.#first) this.#skipFrame(f.size, true);
    else {
      this.#first = f;
      this.#declared = declaredFrames(h, f);
      this.#skipFrame(f.size, this.#declared === undefined); // a Xing/Info/VBRI frame holds no audio of its own
    }
  }

  /** Passes a frame or tag of `size` bytes starting at `#h[0]` (bytes held past its end are kept). */
  #skipFrame(size: number, audio: boolean): void {
    const held = Math.max(0, this.#have - size);
    this.#h.copyWithin(0, this.#have - held, this.#have);
    this.#skip = size - (this.#have - held);
    this.#have = held;
    this.#need = Math.max(4, held);
    this.#scanned = 0;
    if (audio) this.#frames++;
    this.#partial = audio && this.#skip > 0;
  }

  #slide(): void {
    if (++this.#scanned > MAX_MP3_RESYNC_BYTES) {
      this.#broken = true;
      return;
    }
    this.#h.copyWithin(0, 1, this.#have);
    this.#have--;
    this.#need = Math.max(4, this.#have); // bytes already held are looked at again before more are read
  }
}

/**
 * ISO-BMFF uploads (MP4, 3GPP, M4A, QuickTime): which tracks they hold, read from the `moov` box as the bytes
 * pass, wherever it sits: first (faststart, iOS) or after the media (`mdat`, Android's MediaRecorder). Top-level
 * boxes are skipped unread except `moov` (at most MAX_MOOV_BYTES, else the walk stops), whose tracks give their
 * handler (`soun`, `vide` …), sample entry format, sample rate and duration (`mdhd`). Nothing else is kept. Not the
 * channel count: an ISO sample entry's is a template (2) whatever the codec's own configuration says.
 */

import { u32be } from '../../src/decode/magic-checks.ts';

/** One track of the `moov` box. */
export interface Mp4Track {
  /** The `hdlr` handler type: `soun` audio, `vide` video, `hint`, `text` … */
  handler: string;
  /** The first sample entry's format (`mp4a`, `samr`, `sawb`, `Opus`, `avc1` …). */
  format: string;
  sampleRate?: number;
  durationMs?: number;
}

/** The largest `moov` read: an hour of AAC has ≈ 170,000 frames, ≈ 1.4 MB of sample tables. */
export const MAX_MOOV_BYTES = 4 * 1024 * 1024;

const fourcc = (b: Uint8Array, o: number) => String.fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!);

/** Walks the top-level boxes of a file pushed in order; `tracks` is set once `moov` has been read. */
export class Mp4Walker {
  tracks: Mp4Track[] | undefined;
  /** True once the walk cannot go on (a box too short, a `moov` over the bound, a `moov` already read). */
  stopped = false;
  readonly #head = new Uint8Array(16);
  #headHave = 0;
  #headNeed = 8;
  #skip = 0;
  #moov: Uint8Array | undefined;
  #moovHave = 0;

  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length && !this.stopped) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - i);
        this.#skip -= n;
        i += n;
      } else if (this.#moov) {
        const n = Math.min(this.#moov.length - this.#moovHave, chunk.length - i);
        this.#moov.set(chunk.subarray(i, i + n), this.#moovHave);
        this.#moovHave += n;
        i += n;
        if (this.#moovHave === this.#moov.length) {
          this.tracks = tracksOf(this.#moov);
          this.#moov = undefined;
          this.stopped = true; // what comes after moov says nothing more about the tracks
        }
      } else {
        const n = Math.min(this.#headNeed - this.#headHave, chunk.length - i);
        this.#head.set(chunk.subarray(i, i + n), this.#headHave);
        this.#headHave += n;
        i += n;
        if (this.#headHave === this.#headNeed) this.#box();
      }
    }
  }

  /** A top-level box header is read: collect `moov`, skip anything else. */
  #box(): void {
    const h = this.#head;
    let size = u32be(h, 0);
    let headLen = 8;
    if (size === 1) {
      if (this.#headNeed < 16) {
        this.#headNeed = 16; // a 64-bit size follows the type
        return;
      }
      const high = u32be(h, 8);
      size = high > 0x1fffff ? Number.MAX_SAFE_INTEGER : high * 2 ** 32 + u32be(h, 12);
      headLen = 16;
    }
    this.#headHave = 0;
    this.#headNeed = 8;
    if (size === 0) {
      this.stopped = true; // "to the end of the file": nothing after it
      return;
    }
    if (size < headLen) {
      this.stopped = true;
      return;
    }
    if (fourcc(h, 4) === 'moov') {
      if (size - headLen > MAX_MOOV_BYTES) this.stopped = true;
      else this.#moov = new Uint8Array(size - headLen);
      return;
    }
    this.#skip = size - headLen;
  }
}

/** The child boxes of buf[start, end): type and payload range; a malformed size ends the list. */
function* children(b: Uint8Array, start: number, end: number): Generator<{ type: string; from: number; to: number }> {
  let o = start;
  while (o + 8 <= end) {
    let size = u32be(b, o);
    let head = 8;
    if (size === 1 && o + 16 <= end) {
      size = u32be(b, o + 8) === 0 ? u32be(b, o + 12) : end - o;
      head = 16;
    } else if (size === 0) {
      size = end - o;
    }
    if (size < head || o + size > end) return;
    yield { type: fourcc(b, o + 4), from: o + head, to: o + size };
    o += size;
  }
}

function child(b: Uint8Array, from: number, to: number, type: string): { from: number; to: number } | undefined {
  for (const c of children(b, from, to)) if (c.type === type) return c;
  return undefined;
}

/** Each `trak` of a `moov` payload. */
function tracksOf(moov: Uint8Array): Mp4Track[] {
  const tracks: Mp4Track[] = [];
  for (const trak of children(moov, 0, moov.length)) {
    if (trak.type !== 'trak') continue;
    const mdia = child(moov, trak.from, trak.to, 'mdia');
    if (!mdia) continue;
    const hdlr = child(moov, mdia.from, mdia.to, 'hdlr');
    if (!hdlr || hdlr.to - hdlr.from < 12) continue;
    const track: Mp4Track = { handler: fourcc(moov, hdlr.from + 8), format: '' };
    const mdhd = child(moov, mdia.from, mdia.to, 'mdhd');
    if (mdhd) Object.assign(track, durationOf(moov, mdhd.from, mdhd.to));
    const minf = child(moov, mdia.from, mdia.to, 'minf');
    const stbl = minf && child(moov, minf.from, minf.to, 'stbl');
    const stsd = stbl && child(moov, stbl.from, stbl.to, 'stsd');
    // stsd: version/flags, entry count, then the first entry (size, format, then the sample entry's fields).
    if (stsd && stsd.to - stsd.from >= 16) {
      const entry = stsd.from + 8;
      track.format = fourcc(moov, entry + 4);
      // An audio sample entry: 8 bytes of reserved + reference index, 8 of version/vendor, channels, sample size,
      // 4 reserved, then the rate as 16.16 fixed point.
      if (track.handler === 'soun' && stsd.to - entry >= 36) track.sampleRate = u32be(moov, entry + 32) >>> 16;
    }
    tracks.push(track);
  }
  return tracks;
}

/** `mdhd`: the duration in its timescale, version 0 (32-bit) or 1 (64-bit). */
function durationOf(b: Uint8Array, from: number, to: number): { durationMs?: number } {
  const v1 = b[from] === 1;
  if (to - from < (v1 ? 32 : 20)) return {};
  const scale = u32be(b, from + (v1 ? 20 : 12));
  const units = v1 ? u32be(b, from + 24) * 2 ** 32 + u32be(b, from + 28) : u32be(b, from + 16);
  if (scale === 0 || units === 0xffffffff || (v1 && units >= 2 ** 53)) return {};
  return { durationMs: Math.round((units / scale) * 1000) };
}

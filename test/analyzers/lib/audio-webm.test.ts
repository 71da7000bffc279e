import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WebmWalker } from '../../../analyzers/lib/audio-webm.ts';
import { everySplit, oneByteAtATime, splitAt } from '../../helpers/splits.ts';
import { containerBody } from '../voice-samples.ts';

const UNKNOWN = [0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
const CLUSTER = [0x1f, 0x43, 0xb6, 0x75];
const OPUS_20MS = 31 << 3; // CELT fullband 20 ms, one frame
const OPUS_60MS = 3 << 3; // SILK narrowband 60 ms, one frame

type Bytes = Uint8Array | number[] | string;
const cat = (...parts: Bytes[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Uint8Array.from(p))));
const idBytes = (id: number) => Uint8Array.from(Buffer.from(id.toString(16).padStart(2, '0'), 'hex'));
function sizeVint(n: number): number[] {
  if (n < 0x7f) return [0x80 | n];
  if (n < 0x3fff) return [0x40 | (n >> 8), n & 0xff];
  return [0x01, 0, 0, ...Buffer.from(n.toString(16).padStart(10, '0'), 'hex')];
}
/** An element with a known size. */
const el = (id: number, ...body: Bytes[]) => {
  const b = cat(...body);
  return cat(idBytes(id), sizeVint(b.length), b);
};
/** The header of a master element of unknown size (its children follow). */
const open = (id: number) => cat(idBytes(id), UNKNOWN);
const uint = (id: number, n: number) => el(id, n > 0xff ? [n >> 16, (n >> 8) & 0xff, n & 0xff] : [n]);
const f64 = (x: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(x);
  return b;
};
const track = (number: number, type: number, codec: string) =>
  el(0xae, uint(0xd7, number), uint(0x83, type), el(0x86, codec));
/** A SimpleBlock of `track` at `rel` units after its cluster's timecode, its frame starting with `toc`. */
const block = (track: number, rel: number, toc: number, flags = 0x80) =>
  el(0xa3, [0x80 | track, (rel >> 8) & 0xff, rel & 0xff, flags, toc], new Uint8Array(30).fill(0x55));
const cluster = (time: number, ...blocks: Uint8Array[]) => cat(open(0x1f43b675), uint(0xe7, time), ...blocks);

const EBML = el(0x1a45dfa3, el(0x4282, 'webm'));
/** A MediaRecorder-like head: EBML header, unknown-size Segment, Info without Duration, a video and an audio track. */
function head(codec = 'A_OPUS', scaleNs = 1_000_000, extraInfo: Bytes = []): Buffer {
  const info = el(0x1549a966, uint(0x2ad7b1, scaleNs), extraInfo);
  return cat(EBML, open(0x18538067), info, el(0x1654ae6b, track(1, 1, 'V_VP8'), track(2, 2, codec)));
}

function walk(chunks: Uint8Array[]): number | undefined {
  const w = new WebmWalker();
  for (const c of chunks) w.push(c);
  return w.durationMs;
}

function expectEverySplit(bytes: Uint8Array, want: number | undefined): void {
  for (const chunks of everySplit(bytes, bytes.length)) expect(walk(chunks)).toBe(want);
  expect(walk(oneByteAtATime(bytes))).toBe(want);
}

/** `webm` with every Cluster's size (and the Segment's) rewritten as unknown, as MediaRecorder writes them. */
function unknownSizes(webm: Buffer): Buffer {
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const id of [[0x18, 0x53, 0x80, 0x67], CLUSTER]) {
    for (let i = webm.indexOf(Buffer.from(id), from); i >= 0; i = webm.indexOf(Buffer.from(id), i + 1)) {
      const sizeLen = Math.clz32(webm[i + 4]!) - 23;
      parts.push(webm.subarray(from, i + 4), Uint8Array.from(UNKNOWN));
      from = i + 4 + sizeLen;
      if (id !== CLUSTER) break;
    }
  }
  parts.push(webm.subarray(from));
  return Buffer.concat(parts);
}

describe('WebmWalker on ffmpeg output (WebM/Opus 16 kb/s, Duration in Segment Info)', () => {
  const webm = containerBody('webm');

  it('gives the duration ffprobe gives (2.815 s), however the bytes are cut', () => {
    expectEverySplit(webm, 2815);
  });

  it('ends at the last whole block when there is no Duration (ffprobe: last packet ends at 2.819 s)', () => {
    const noDuration = Buffer.from(webm);
    noDuration[noDuration.indexOf(Buffer.from([0x44, 0x89, 0x88]))] = 0x4f; // an unknown element, skipped
    expectEverySplit(noDuration, 2819);
  });

  it('reports what a truncated upload sent (ffprobe, cut files: last packets end at 0.219, 1.059, 2.379 s)', () => {
    expect([1000, 3000, 6000].map((n) => walk([webm.subarray(0, n)]))).toEqual([219, 1059, 2379]);
    expect(walk([webm.subarray(0, 300)])).toBeUndefined(); // the head only: no audio sent
  });

  it('walks unknown-size Segment and Clusters', () => {
    const live = unknownSizes(webm);
    expect(live.indexOf(cat(CLUSTER, UNKNOWN))).toBeGreaterThan(0);
    expectEverySplit(live, 2815);
  });

  it('never throws on mutated bodies, and gives the same duration however they are cut (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(webm.length - 1), fc.nat(255)), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (edits, cuts) => {
          const b = Buffer.from(webm);
          for (const [at, v] of edits) b[at] = v;
          const whole = walk([b]);
          expect(whole === undefined || Number.isFinite(whole)).toBe(true);
          expect(walk(splitAt(b, cuts))).toBe(whole);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('WebmWalker on hand-made EBML', () => {
  it('counts the audio track only, with the last Opus frame length from its TOC', () => {
    const bytes = cat(
      head(),
      cluster(0, block(1, 0, 0), block(2, 0, OPUS_20MS), block(2, 20, OPUS_20MS), block(1, 33, 0)),
      cluster(40, block(2, 0, OPUS_20MS), block(2, 20, OPUS_60MS), block(1, 900, 0)),
    );
    expectEverySplit(bytes, 120);
  });

  it('takes the step between blocks for other codecs, in TimecodeScale units', () => {
    const bytes = cat(head('A_VORBIS', 500_000), cluster(0, block(2, 0, 0), block(2, 46, 0), block(2, 92, 0)));
    expectEverySplit(bytes, 69); // blocks at 0, 23, 46 ms, each 23 ms long
  });

  it('does not read a TOC inside a laced block', () => {
    const bytes = cat(head(), cluster(0, block(2, 0, OPUS_60MS, 0x82), block(2, 20, OPUS_60MS, 0x82)));
    expectEverySplit(bytes, 40);
  });

  it('caps the blocks by Duration and subtracts CodecDelay', () => {
    const blocks = cluster(0, block(2, 0, OPUS_20MS), block(2, 20, OPUS_20MS), block(2, 40, OPUS_20MS));
    expectEverySplit(cat(head('A_OPUS', 1_000_000, el(0x4489, f64(30))), blocks), 30);
    const delayed = cat(
      EBML,
      open(0x18538067),
      el(0x1654ae6b, el(0xae, uint(0xd7, 2), el(0x86, 'A_OPUS'), uint(0x56aa, 6_500_000))),
    );
    expectEverySplit(cat(delayed, blocks), 54); // 60 ms less 6.5 ms of pre-skip
  });

  it('counts every block when no Tracks element came first', () => {
    expectEverySplit(cat(EBML, open(0x18538067), cluster(0, block(1, 0, OPUS_20MS), block(3, 20, OPUS_20MS))), 40);
  });

  it('skips a large element without holding it, and does not count a block cut short', () => {
    const big = 3 * 1024 * 1024;
    const w = new WebmWalker();
    w.push(cat(head(), cluster(0, block(2, 0, OPUS_20MS)), [0xec], sizeVint(big)));
    const zeros = new Uint8Array(64 * 1024);
    for (let n = 0; n < big; n += zeros.length) w.push(zeros);
    const last = block(2, 20, OPUS_20MS);
    w.push(last.subarray(0, last.length - 1));
    expect(w.durationMs).toBe(20);
    w.push(last.subarray(last.length - 1));
    expect(w.durationMs).toBe(40);
  });

  it('stops at an unknown size on a leaf element, keeping what it walked', () => {
    const bytes = cat(head(), cluster(0, block(2, 0, OPUS_20MS)), [0xa3], UNKNOWN, cluster(20, block(2, 0, OPUS_20MS)));
    expectEverySplit(bytes, 20);
  });
});

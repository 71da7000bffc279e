import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { id3v2Size, MAX_MP3_RESYNC_BYTES, Mp3Walker, mpegHeader } from '../../../analyzers/lib/audio-mp3.ts';
import { everySplit, oneByteAtATime, splitAt } from '../../helpers/splits.ts';
import { containerBody } from '../voice-samples.ts';

/** Frame headers: MPEG-1 L3 128 kb/s 44.1 kHz mono (417 bytes), MPEG-2 L3 8 kb/s 24 kHz mono (24 bytes). */
const MPEG1 = [0xff, 0xfb, 0x90, 0xc0];
const SMALL = [0xff, 0xf3, 0x14, 0xc0];
/** A chance sync that disagrees with MPEG1 (48 kHz). */
const OTHER = [0xff, 0xfb, 0x14, 0xc0];
const MS_MPEG1 = 1152 / 44.1;

/** One frame: `header`, then payload bytes that hold no sync (0x00–0x7f), `size` bytes in all. */
function frame(header: number[], fill = 0x11): Uint8Array {
  const size = mpegHeader(Uint8Array.from(header))!.size;
  const f = new Uint8Array(size).fill(fill);
  f.set(header);
  return f;
}
const frames = (header: number[], n: number) => Array.from({ length: n }, () => frame(header));
const cat = (...parts: Array<Uint8Array | number[] | string>) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Uint8Array.from(p))));

/** An ID3v2.4 tag of `body` bytes (syncsafe size), with a footer when asked. */
function id3(body: number, footer = false): Uint8Array {
  const syncsafe = [(body >> 21) & 0x7f, (body >> 14) & 0x7f, (body >> 7) & 0x7f, body & 0x7f];
  const inner = new Uint8Array(body).fill(0x20);
  inner.set(MPEG1, 7); // a frame sync inside the tag must not be taken for audio
  const tail = footer ? cat('3DI', [4, 0, 0x10], syncsafe) : new Uint8Array(0);
  return cat('ID3', [4, 0, footer ? 0x10 : 0], syncsafe, inner, tail);
}

/** An MPEG-1 mono frame whose side info is followed by a Xing (or Info) header declaring `n` frames. */
function xing(n: number, tag = 'Xing'): Uint8Array {
  const f = frame(MPEG1, 0);
  f.set(cat(tag, [0, 0, 0, 1], [n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]), 4 + 17);
  return f;
}

function vbri(n: number): Uint8Array {
  const f = frame(MPEG1, 0);
  f.set(cat('VBRI', [0, 1, 0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, n]), 36);
  return f;
}

function walk(chunks: Uint8Array[]): number | undefined {
  const w = new Mp3Walker();
  for (const c of chunks) w.push(c);
  return w.durationMs;
}

/** The duration of `bytes` cut at every offset (and one byte at a time) is `want`. */
function expectEverySplit(bytes: Uint8Array, want: number | undefined): void {
  for (const chunks of everySplit(bytes)) expect(walk(chunks)).toBe(want);
  expect(walk(oneByteAtATime(bytes))).toBe(want);
}

describe('mpegHeader', () => {
  it.each([
    ['MPEG-1 L3 128 kb/s 44.1 kHz', [0xff, 0xfb, 0x90, 0xc0], 417, 1152, 44100, 1],
    ['the same, padded', [0xff, 0xfb, 0x92, 0x00], 418, 1152, 44100, 2],
    ['MPEG-2 L3 40 kb/s 16 kHz (the fixture)', [0xff, 0xf3, 0x58, 0xc0], 180, 576, 16000, 1],
    ['MPEG-2.5 L3 8 kb/s 8 kHz', [0xff, 0xe3, 0x18, 0xc0], 72, 576, 8000, 1],
    ['MPEG-1 L2 64 kb/s 48 kHz', [0xff, 0xfd, 0x44, 0xc0], 192, 1152, 48000, 1],
    ['MPEG-1 L1 32 kb/s 44.1 kHz', [0xff, 0xff, 0x10, 0xc0], 32, 384, 44100, 1],
  ])('%s', (_, header, size, samples, sampleRate, channels) => {
    expect(mpegHeader(Uint8Array.from(header))).toMatchObject({ size, samples, sampleRate, channels });
  });

  it.each([
    ['no sync', [0xff, 0x7b, 0x90, 0xc0]],
    ['reserved version', [0xff, 0xeb, 0x90, 0xc0]],
    ['reserved layer', [0xff, 0xf9, 0x90, 0xc0]],
    ['free-format bitrate', [0xff, 0xfb, 0x00, 0xc0]],
    ['bad bitrate', [0xff, 0xfb, 0xf0, 0xc0]],
    ['reserved sample rate', [0xff, 0xfb, 0x9c, 0xc0]],
  ])('rejects %s', (_, header) => {
    expect(mpegHeader(Uint8Array.from(header))).toBeUndefined();
  });

  it('rejects a header that disagrees with an earlier one', () => {
    const first = mpegHeader(Uint8Array.from(MPEG1))!;
    expect(mpegHeader(Uint8Array.from(OTHER), 0, first)).toBeUndefined();
    expect(mpegHeader(Uint8Array.from([0xff, 0xfb, 0x92, 0x00]), 0, first)?.size).toBe(418);
  });

  it('reads an ID3v2 size as syncsafe, with header and footer', () => {
    expect(id3v2Size(id3(300))).toBe(310);
    expect(id3v2Size(id3(300, true))).toBe(320);
    expect(id3v2Size(cat('ID3', [4, 0, 0, 0, 0x80, 0, 0]))).toBeUndefined(); // not syncsafe
  });
});

describe('Mp3Walker on ffmpeg output (LAME, MPEG-2 L3 16 kHz mono, ID3v2 + Info header)', () => {
  const mp3 = containerBody('mp3');

  it('gives the duration ffprobe gives (2.880 s: 80 frames of 576 samples), however the bytes are cut', () => {
    for (const chunks of everySplit(mp3, mp3.length)) expect(walk(chunks)).toBe(2880);
    expect(walk(oneByteAtATime(mp3))).toBe(2880);
  });

  it('reports what a truncated upload sent, not the Info header frame count', () => {
    // ffprobe says 2.880 s for the first 5000 bytes too (from the Info header); 33 whole frames were sent.
    expect(walk([mp3.subarray(0, 5000)])).toBe(1188);
    let last = 0;
    for (let cut = 0; cut <= mp3.length; cut += 97) {
      const ms = walk([mp3.subarray(0, cut)]) ?? 0;
      expect(ms).toBeGreaterThanOrEqual(last);
      expect(ms).toBeLessThanOrEqual(2880);
      last = ms;
    }
  });

  it('never throws on mutated bodies, and gives the same duration however they are cut (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(mp3.length - 1), fc.nat(255)), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (edits, cuts) => {
          const b = Buffer.from(mp3);
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

describe('Mp3Walker on hand-made frames', () => {
  it('counts frames of 1152 samples', () => {
    expectEverySplit(cat(...frames(MPEG1, 4)), Math.round(4 * MS_MPEG1));
  });

  it('skips an ID3v2 tag by its size (a sync inside it is not audio), with or without footer', () => {
    expectEverySplit(cat(id3(300), ...frames(MPEG1, 3)), Math.round(3 * MS_MPEG1));
    expectEverySplit(cat(id3(40, true), ...frames(MPEG1, 3)), Math.round(3 * MS_MPEG1));
  });

  it('ignores a trailing ID3v1 tag, even one holding a frame sync', () => {
    const tag = new Uint8Array(128).fill(0x20);
    tag.set(cat('TAG'));
    tag.set(MPEG1, 30);
    expectEverySplit(cat(...frames(MPEG1, 3), tag), Math.round(3 * MS_MPEG1));
  });

  it('resyncs after garbage, skipping a chance sync that disagrees with the stream', () => {
    const garbage = cat(
      Array.from({ length: 200 }, (_, i) => (i * 37) % 0xff),
      OTHER,
      [1, 2, 3],
    );
    expectEverySplit(cat(...frames(MPEG1, 2), garbage, ...frames(MPEG1, 3)), Math.round(5 * MS_MPEG1));
  });

  it('drops a chance sync in leading garbage when the next frame does not agree with it', () => {
    const fake = frame(OTHER, 0x22); // 96 bytes that look like a 48 kHz frame
    expectEverySplit(cat([1, 2, 3], fake, [9, 9, 9, 9, 9], ...frames(MPEG1, 3)), Math.round(3 * MS_MPEG1));
  });

  it('looks again at bytes held by a false ID3 start', () => {
    const small = frames(SMALL, 50); // 24-byte frames of 24 ms
    expectEverySplit(cat('ID3', [0xff, 0xff, 1], ...small), 1200);
  });

  it('takes the Xing/Info frame count, but never more frames than were sent', () => {
    expectEverySplit(cat(xing(5), ...frames(MPEG1, 8)), Math.round(5 * MS_MPEG1));
    expectEverySplit(cat(xing(20, 'Info'), ...frames(MPEG1, 8)), Math.round(8 * MS_MPEG1));
  });

  it('takes the VBRI frame count', () => {
    expectEverySplit(cat(vbri(2), ...frames(MPEG1, 3)), Math.round(2 * MS_MPEG1));
  });

  it('does not count a frame cut short', () => {
    const bytes = cat(...frames(MPEG1, 3));
    expectEverySplit(bytes.subarray(0, bytes.length - 1), Math.round(2 * MS_MPEG1));
    expect(walk([bytes.subarray(0, 100)])).toBeUndefined();
  });

  it('gives up after MAX_MP3_RESYNC_BYTES of garbage, keeping what it walked', () => {
    const bytes = cat(...frames(MPEG1, 2), new Uint8Array(MAX_MP3_RESYNC_BYTES + 10), ...frames(MPEG1, 3));
    expect(walk([bytes])).toBe(Math.round(2 * MS_MPEG1));
    expect(walk(splitAt(bytes, [1, 500, 70_000]))).toBe(Math.round(2 * MS_MPEG1));
    const near = cat(...frames(MPEG1, 2), new Uint8Array(MAX_MP3_RESYNC_BYTES - 10), ...frames(MPEG1, 3));
    expect(walk([near])).toBe(Math.round(5 * MS_MPEG1));
  });
});

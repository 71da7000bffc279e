import { describe, expect, it } from 'vitest';
import { type DurationWalker, durationWalker } from '../../../analyzers/lib/audio-frames.ts';
import { AUDIO_HEAD_BYTES, audioFacts } from '../../../analyzers/lib/audio-header.ts';
import { oneByteAtATime } from '../../helpers/splits.ts';
import { containerBody } from '../voice-samples.ts';

/** A walker for `body` as the voice analyzer makes one: from the facts of its first AUDIO_HEAD_BYTES. */
function walkerFor(mime: string, body: Uint8Array): DurationWalker | undefined {
  const head = body.subarray(0, AUDIO_HEAD_BYTES);
  return durationWalker(audioFacts(mime, head)!, head);
}

/** The duration of `body`, fed to its walker as `chunks`. */
function walk(mime: string, body: Uint8Array, chunks: Uint8Array[]): number | undefined {
  const w = walkerFor(mime, body)!;
  for (const c of chunks) w.push(c);
  return w.durationMs;
}

describe('durationWalker', () => {
  // One sentence from espeak-ng (2.807 s as 16 kHz WAV) through real encoders; ffprobe's figure beside ours.
  it.each([
    ['mp3', 'audio/mpeg', 2880], // ffprobe 2.880 (80 frames × 576 / 16 kHz, encoder padding included)
    ['webm', 'audio/webm', 2815], // ffprobe 2.815 (Segment Info Duration)
    ['opus', 'audio/ogg', 2807], // ffprobe 2.814 (last granule less pre-skip: 2.807)
    ['speex', 'audio/ogg', 2811], // ffprobe 2.820
    ['aac', 'audio/aac', 2880], // ffprobe 2.880
    ['amr-nb', 'audio/amr', 2820], // 141 frames of 20 ms (ffprobe estimates 2.717 from the bitrate)
  ])('walks %s to the same duration however the body is cut', (subtype, mime, ms) => {
    const body = containerBody(subtype);
    expect(walk(mime, body, [body])).toBe(ms);
    expect(walk(mime, body, oneByteAtATime(body))).toBe(ms);
    for (let cut = 1; cut < body.length; cut += 61) {
      expect(walk(mime, body, [body.subarray(0, cut), body.subarray(cut)])).toBe(ms);
    }
  });

  it('leaves WAV to its header', () => {
    expect(walkerFor('audio/wav', containerBody('wav'))).toBeUndefined();
  });
});

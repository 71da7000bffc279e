/**
 * Voice in ISO-BMFF files (analyzers/lib/audio-mp4.ts, voice-mp4.ts), on the files fixtures/make/voice-mp4-uploads.sh
 * made with espeak-ng, sox and ffmpeg (test/data/voice/): AAC in MP4 with `moov` after the media, AMR-NB in 3GP,
 * M4A with `moov` first, and a video with a sound track.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_MOOV_BYTES, Mp4Walker } from '../../analyzers/lib/audio-mp4.ts';
import { voice } from '../../analyzers/voice.ts';
import { FlowScript, play } from '../../testkit/playbook.ts';
import { oneByteAtATime, splitAt } from '../helpers/splits.ts';
import { evidenceBytes } from './voice-samples.ts';

const file = (name: string) => readFileSync(new URL(`../data/voice/${name}`, import.meta.url));
const tracksOf = (chunks: Uint8Array[]) => {
  const w = new Mp4Walker();
  for (const c of chunks) w.push(c);
  return w.tracks;
};

/** One HTTP upload of `body` declared as `type`. */
function upload(body: Uint8Array, type: string, limits?: Parameters<typeof play>[2]) {
  const head = {
    msgId: 0,
    method: 'POST',
    url: '/v1/chat/voice',
    headers: [['Content-Type', type]] as [string, string][],
  };
  return play([voice], new FlowScript().message(head, body).close().events, limits);
}

describe('ISO-BMFF tracks', () => {
  it('reads each track from moov, before or after the media', () => {
    const aac = file('note-aac.mp4');
    expect(aac.indexOf('moov')).toBeGreaterThan(aac.indexOf('mdat')); // Android's order
    expect(tracksOf([aac])).toEqual([{ handler: 'soun', format: 'mp4a', sampleRate: 16000, durationMs: 5486 }]);
    expect(tracksOf([file('note-amr.3gp')])).toEqual([
      { handler: 'soun', format: 'samr', sampleRate: 8000, durationMs: 5440 },
    ]);
    const m4a = file('note.m4a');
    expect(m4a.indexOf('moov')).toBeLessThan(m4a.indexOf('mdat'));
    expect(tracksOf([m4a])).toMatchObject([{ handler: 'soun', format: 'mp4a', sampleRate: 22050 }]);
    expect(tracksOf([file('clip-video.mp4')])?.map((t) => t.handler)).toEqual(['vide', 'soun']);
  });

  it('gives the same tracks whatever the chunk boundaries', () => {
    const aac = file('note-aac.mp4');
    const whole = tracksOf([aac]);
    expect(tracksOf(oneByteAtATime(aac))).toEqual(whole);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => {
        expect(tracksOf(splitAt(aac, cuts))).toEqual(whole);
      }),
    );
  });

  it('stops at a moov over the bound, a box shorter than its header, and junk', () => {
    const huge = Buffer.alloc(8);
    huge.writeUInt32BE(MAX_MOOV_BYTES + 9, 0);
    huge.write('moov', 4, 'latin1');
    const w = new Mp4Walker();
    w.push(huge);
    expect([w.stopped, w.tracks]).toEqual([true, undefined]);
    const short = Buffer.from([0, 0, 0, 4, 0x66, 0x74, 0x79, 0x70]);
    const s = new Mp4Walker();
    s.push(short);
    expect(s.stopped).toBe(true);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (junk) => {
        const j = new Mp4Walker();
        j.push(junk); // never throws; whatever it reads is bounded
      }),
    );
  });
});

describe('voice in MP4 and 3GP uploads', () => {
  it('reports an audio-only MP4 and 3GP as voice, with the clip as sent', () => {
    const aac = file('note-aac.mp4');
    const out = upload(aac, 'video/mp4');
    expect(out.findings.map((f) => [f.subtype, f.detail])).toEqual([
      ['aac', { codec: 'aac', bytes: aac.length, container: 'video/mp4', sampleRate: 16000, durationMs: 5486 }],
    ]);
    expect(evidenceBytes(out, out.findings[0]!.evidence.evidenceId)).toEqual(aac);
    expect(upload(file('note-amr.3gp'), 'application/octet-stream').findings.map((f) => f.subtype)).toEqual(['amr-nb']);
  });

  it('never reports a video, even with a sound track, and keeps none of it', () => {
    const out = upload(file('clip-video.mp4'), 'video/mp4');
    expect(out.findings).toEqual([]);
    expect(out.evidenceChunks).toEqual([]);
  });

  it('holds no more than the evidence cap while moov is still to come', () => {
    const aac = file('note-aac.mp4');
    const out = upload(aac, 'video/mp4', { MAX_EVIDENCE_BYTES: 4096 });
    const kept = evidenceBytes(out, out.findings[0]!.evidence.evidenceId);
    expect(kept).toEqual(aac.subarray(0, 4096));
    expect(out.findings[0]!.detail).toMatchObject({ bytes: aac.length, durationMs: 5486 });
  });
});

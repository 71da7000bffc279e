/**
 * Shared inputs of the voice tests: real speech samples taken from a recorded fixture (espeak-ng → sox, 16 kHz
 * 16-bit mono), the container bodies of another (one sentence in seven encoders) and the bytes of an evidence
 * blob. Test support only.
 */
import { join } from 'node:path';
import { voice } from '../../analyzers/voice.ts';
import { captureOf } from '../../eval/score.ts';
import type { CollectingOutput } from '../../src/pipeline/output.ts';
import { replayCapture } from '../../testkit/replay.ts';

export const FIXTURES = join(import.meta.dirname, '../../fixtures');

/** The bytes written to evidence blob `id`. */
export function evidenceBytes(out: CollectingOutput, id: string | undefined): Buffer {
  return Buffer.concat(out.evidenceChunks.filter((c) => c.evidenceId === id).map((c) => c.data));
}

/** PCM samples of the 16 kHz speech clip in the voice-raw-pcm fixture, taken from its WAV evidence. */
export function speechPcm(): Buffer {
  const { out } = replayCapture(captureOf(join(FIXTURES, 'voice-raw-pcm')), [voice]);
  const f = out.findings.find((x) => x.detail?.sampleRate === 16000)!;
  return evidenceBytes(out, f.evidence.evidenceId).subarray(44);
}

let containers: Map<string, Buffer> | undefined;

/**
 * The body of each upload in the voice-http-containers fixture (real encoders: ffmpeg, sox, opusenc), keyed by the
 * voice subtype it was reported as (`mp3`, `webm`, `amr-nb` …), read back from its evidence (kept as sent).
 */
export function containerBody(subtype: string): Buffer {
  if (!containers) {
    const { out } = replayCapture(captureOf(join(FIXTURES, 'voice-http-containers')), [voice]);
    containers = new Map(out.findings.map((f) => [f.subtype, evidenceBytes(out, f.evidence.evidenceId)]));
  }
  const body = containers.get(subtype);
  if (!body) throw new Error(`no ${subtype} upload in voice-http-containers`);
  return body;
}

/**
 * Shared inputs of the voice tests: real speech samples taken from a recorded fixture (espeak-ng → sox, 16 kHz
 * 16-bit mono) and the bytes of an evidence blob. Test support only.
 */
import { join } from 'node:path';
import { voice } from '../../analyzers/voice.ts';
import { captureOf } from '../../eval/score.ts';
import type { CollectingOutput } from '../../src/pipeline/output.ts';
import { replayCapture } from '../helpers/replay.ts';

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

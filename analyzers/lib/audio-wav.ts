/**
 * A 44-byte canonical WAV header for 16-bit PCM evidence. Evidence is written append-only while the stream is
 * still going, so the header cannot be patched at the end: with `dataBytes` unknown the RIFF and data sizes are
 * 0xFFFFFFFF, the streaming convention that ffmpeg, sox and browsers read as "until the end of the file".
 */
import type { AnalyzerContext, EvidenceWriter } from '../../src/model/analyzer.ts';

/** The WAV header for `dataBytes` of 16-bit little-endian PCM (unknown: 0xFFFFFFFF sizes). */
export function wavHeader(sampleRate: number, channels = 1, dataBytes?: number): Uint8Array {
  const b = Buffer.alloc(44);
  const blockAlign = channels * 2;
  b.write('RIFF', 0, 'latin1');
  b.writeUInt32LE(dataBytes === undefined ? 0xffffffff : 36 + dataBytes, 4);
  b.write('WAVEfmt ', 8, 'latin1');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(channels, 22);
  b.writeUInt32LE(sampleRate, 24);
  b.writeUInt32LE(sampleRate * blockAlign, 28);
  b.writeUInt16LE(blockAlign, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36, 'latin1');
  b.writeUInt32LE(dataBytes === undefined ? 0xffffffff : dataBytes, 40);
  return b;
}

/** A new `audio/wav` evidence blob that already holds the header of a 16-bit mono stream of unknown length. */
export function wavWriterFor(ctx: Pick<AnalyzerContext, 'openEvidence'>, sampleRate: number): EvidenceWriter {
  const w = ctx.openEvidence('audio/wav');
  w.write(wavHeader(sampleRate));
  return w;
}

/**
 * What the voice analyzer's clips share: the Clip contract (a part's or a stream's audio bytes in), the session's
 * own description of its audio (read from JSON/form tokens: evidence, not the detector) and the one finding per
 * clip, reported once and updated in place. The clips: voice-container.ts, voice-pcm.ts, voice-opus.ts.
 */
import type { AnalyzerContext, Excerpt, FindingHandle } from '../../src/model/analyzer.ts';
import type { FindingDetail } from '../../src/model/finding.ts';
import type { Micros } from '../../src/model/flow.ts';
import type { Token } from '../../src/model/token.ts';

/** What the session said about its own audio (JSON start frame, `format` fields): evidence, not the detector. */
export interface SessionDescription {
  format?: string;
  sampleRate?: number;
  /** Milliseconds per packet (`frame_duration`). */
  frameMs?: number;
}

/** Takes the audio bytes of one part (or of every message of a stream). */
export interface Clip {
  push(chunk: Uint8Array, ts: Micros): void;
  /** One message of a stream ended: a chance to report or update. */
  messageEnd(): void;
  /** The part or the stream ended. */
  finish(): void;
}

/** The keys `describe` reads (lower-cased). */
export const DESCRIBING_KEYS = new Set([
  'format',
  'codec',
  'encoding',
  'aue',
  'sample_rate',
  'samplerate',
  'rate',
  'frame_duration',
  'frameduration',
]);

/** Reads the session's own description of its audio from JSON/form tokens. */
export function describe(desc: SessionDescription, t: Token): void {
  if (t.offset > 0) return;
  const key = t.key.toLowerCase();
  if (key === 'format' || key === 'codec' || key === 'encoding' || key === 'aue') {
    const v = t.value.toLowerCase();
    const rate = /rate=(\d+)/.exec(v);
    if (rate) desc.sampleRate = Number(rate[1]);
    if (v.includes('opus')) desc.format = 'opus';
    else if (v.includes('pcm') || v.includes('l16') || v === 'raw') desc.format ??= 'pcm';
  } else if (key === 'sample_rate' || key === 'samplerate' || key === 'rate') {
    const n = Number(t.value);
    if (n === 8000 || n === 16000 || n === 24000 || n === 44100 || n === 48000) desc.sampleRate = n;
  } else if (key === 'frame_duration' || key === 'frameduration') {
    const n = Number(t.value);
    if (n > 0 && n <= 120) desc.frameMs = n;
  }
}

/** The finding of one clip or stream, reported once and updated in place. */
export class Report {
  handle: FindingHandle | undefined;
  constructor(
    private readonly ctx: AnalyzerContext,
    private readonly path: string,
    private readonly streaming: boolean,
  ) {}

  emit(subtype: string, confidence: number, detail: FindingDetail, evidenceId?: string): void {
    const excerpt = excerptOf(subtype, detail);
    if (this.handle) this.handle.update({ detail, excerpt, confidence });
    else
      this.handle = this.ctx.report({
        category: 'voice',
        subtype,
        confidence,
        path: this.path,
        excerpt,
        detail,
        ...(evidenceId === undefined ? {} : { evidenceId }),
        ...(this.streaming ? { streaming: true } : {}),
      });
  }
}

/** `raw-pcm 16000 Hz, 4.4 s, 140800 bytes`: a description with nothing personal in it (the clip is evidence). */
function excerptOf(subtype: string, d: FindingDetail): Excerpt {
  const rate = d.sampleRate ? ` ${d.sampleRate} Hz` : '';
  const secs = typeof d.durationMs === 'number' ? `, ${(d.durationMs / 1000).toFixed(1)} s` : '';
  return [`${subtype}${rate}${secs}, ${d.bytes} bytes`];
}

/**
 * 16-bit PCM judged by its signal (lib/pcm-stats.ts): raw and headerless, or the data of a WAV. Undecided bytes
 * wait in a prebuffer bounded by MAX_VOICE_PREBUFFER_BYTES so the evidence clip starts at the start; a speech
 * verdict reports and opens the evidence (raw PCM wrapped in WAV).
 */
import type { AnalyzerContext, EvidenceWriter } from '../../src/model/analyzer.ts';
import type { FindingDetail } from '../../src/model/finding.ts';
import type { Micros } from '../../src/model/flow.ts';
import type { AudioFacts } from './audio-header.ts';
import { wavWriterFor } from './audio-wav.ts';
import { expandG711, type G711Law } from './g711.ts';
import { classifyPcm, guessSampleRate, MIN_PCM_FRAMES, PcmStats } from './pcm-stats.ts';
import { type Clip, Report, type SessionDescription } from './voice-clip.ts';

/** Frames of PCM after which a stream is judged before its end (about 2 s at 16 kHz). */
const DECIDE_FRAMES = 125;

/** Where a gated clip's evidence comes from: raw PCM wrapped as WAV, or a WAV container kept as sent. */
export interface WavSource {
  facts: AudioFacts;
  head: Uint8Array;
  pcm16: { dataOffset: number };
}

/**
 * 16-bit PCM judged from its signal: raw (headerless), the data of a WAV, or G.711 from RTP expanded to it
 * (`law`: 8 kHz, one byte a sample; reported as `g711`, its bytes as sent). Undecided bytes wait in a bounded
 * prebuffer so the evidence clip starts at the start; a speech verdict reports and opens the evidence.
 */
export class PcmClip implements Clip {
  readonly #stats = new PcmStats();
  readonly #report: Report;
  #pre: Uint8Array[] | undefined = [];
  #preBytes = 0;
  #evidence: EvidenceWriter | undefined;
  #skip: number;
  #judgedAt = 0;
  #speech = false;
  #firstTs: Micros | undefined;
  #lastTs: Micros = 0;

  constructor(
    private readonly ctx: AnalyzerContext,
    path: string,
    private readonly desc: SessionDescription,
    private readonly streaming: boolean,
    private readonly wav?: WavSource,
    private readonly law?: G711Law,
  ) {
    this.#report = new Report(ctx, path, streaming);
    this.#skip = wav?.pcm16.dataOffset ?? 0;
  }

  push(sent: Uint8Array, ts: Micros): void {
    const chunk = this.law ? expandG711(sent, this.law) : sent;
    this.#firstTs ??= ts;
    this.#lastTs = ts;
    if (this.#evidence) this.#evidence.write(chunk);
    else if (this.#pre) {
      if (this.#preBytes + chunk.length <= this.ctx.limits.MAX_VOICE_PREBUFFER_BYTES) {
        this.#pre.push(chunk.slice());
        this.#preBytes += chunk.length;
      } else this.#pre = undefined; // too long undecided: the clip will start at the verdict
    }
    let samples = chunk;
    if (this.#skip > 0) {
      const n = Math.min(this.#skip, chunk.length);
      this.#skip -= n;
      samples = chunk.subarray(n);
    }
    this.#stats.push(samples);
    if (!this.#speech && this.#stats.frames >= DECIDE_FRAMES && this.#judgedAt < DECIDE_FRAMES) this.#judge();
  }

  messageEnd(): void {
    const frames = this.#stats.frames;
    if (this.#speech) this.#emit();
    else if (this.streaming && frames >= MIN_PCM_FRAMES && frames - this.#judgedAt >= DECIDE_FRAMES / 2) this.#judge();
  }

  finish(): void {
    if (!this.#speech && this.#stats.frames >= MIN_PCM_FRAMES && this.#stats.frames > this.#judgedAt) this.#judge();
    if (this.#speech) this.#emit();
    this.#evidence?.end();
  }

  #judge(): void {
    this.#judgedAt = this.#stats.frames;
    if (classifyPcm(this.#stats.summary()) !== 'speech') return;
    this.#speech = true;
    this.#stats.narrow(); // judged for good: only the sample-rate guess (r1) still reads the signal
    this.#evidence = this.wav ? this.ctx.openEvidence('audio/wav') : wavWriterFor(this.ctx, this.#rate().rate);
    for (const c of this.#pre ?? []) this.#evidence.write(c);
    this.#pre = undefined;
    if (this.streaming) this.#emit(); // a single part is reported once, at its end, with its full size
  }

  /** Sample rate: the WAV header, the session's description, the cadence of a live stream, else the signal. */
  #rate(): { rate: number; from: string } {
    if (this.wav?.facts.sampleRate) return { rate: this.wav.facts.sampleRate, from: 'header' };
    if (this.law) return { rate: 8000, from: 'payload-type' };
    if (this.desc.sampleRate) return { rate: this.desc.sampleRate, from: 'session' };
    const spanUs = this.#lastTs - (this.#firstTs ?? this.#lastTs);
    if (this.streaming && spanUs >= 1_000_000) {
      const bytesPerSec = this.#stats.bytes / (spanUs / 1e6);
      for (const rate of [8000, 16000])
        if (Math.abs(bytesPerSec / (2 * rate) - 1) < 0.15) return { rate, from: 'cadence' };
    }
    return { rate: guessSampleRate(this.#stats.summary()), from: 'signal' };
  }

  #emit(): void {
    const { rate, from } = this.#rate();
    const pcmBytes = this.#stats.bytes; // the samples (a WAV's header is skipped before the stats)
    const subtype = this.wav ? 'wav' : this.law ? 'g711' : 'raw-pcm';
    const detail: FindingDetail = {
      codec: this.wav ? 'wav' : (this.law ?? 'pcm-s16le'),
      ...(this.law ? { container: 'rtp' } : {}),
      bytes: this.law ? pcmBytes / 2 : pcmBytes + (this.wav?.pcm16.dataOffset ?? 0),
      sampleRate: rate,
      sampleRateFrom: from,
      channels: 1,
      // A WAV header's duration only caps what was sent (a truncated upload must not claim the whole clip).
      durationMs: Math.min(
        this.wav?.facts.durationMs ?? Number.POSITIVE_INFINITY,
        Math.round((pcmBytes / (2 * rate)) * 1000),
      ),
      speech: true,
      ...(this.streaming ? { streaming: true } : {}),
    };
    this.#report.emit(subtype, 0.9, detail, this.#evidence?.id);
  }
}

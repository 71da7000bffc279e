/**
 * A voice container sniffed by magic (WAV, Ogg, MP3, AAC, AMR, WebM …): codec facts from its head, duration
 * from the header or the frames actually sent, kept as sent for evidence; a WAV of 16-bit PCM is judged by its
 * signal through a PcmClip instead.
 */
import type { AnalyzerContext, EvidenceWriter } from '../../src/model/analyzer.ts';
import type { FindingDetail } from '../../src/model/finding.ts';
import type { Micros } from '../../src/model/flow.ts';
import type { MediaInfo } from '../../src/model/media.ts';
import { type DurationWalker, durationWalker } from './audio-frames.ts';
import { AUDIO_HEAD_BYTES, type AudioFacts, audioFacts } from './audio-header.ts';
import { type Clip, Report, type SessionDescription } from './voice-clip.ts';
import { PcmClip } from './voice-pcm.ts';

/** A container sniffed by magic: codec facts from the head, duration from header or frames, kept as sent. */
export class ContainerClip implements Clip {
  #head: Uint8Array[] | undefined = [];
  #headBytes = 0;
  #bytes = 0;
  #facts: AudioFacts | undefined;
  #walker: DurationWalker | undefined;
  #evidence: EvidenceWriter | undefined;
  #pcm: PcmClip | undefined;
  readonly #report: Report;

  constructor(
    private readonly ctx: AnalyzerContext,
    private readonly info: MediaInfo,
    private readonly desc: SessionDescription,
    private readonly streaming = false,
  ) {
    this.#report = new Report(ctx, info.origin, streaming);
  }

  push(chunk: Uint8Array, ts: Micros): void {
    this.#bytes += chunk.length;
    if (this.#head) {
      this.#head.push(chunk.slice());
      this.#headBytes += chunk.length;
      if (this.#headBytes >= AUDIO_HEAD_BYTES) this.#start(ts);
      return;
    }
    this.#feed(chunk, ts);
  }

  messageEnd(): void {
    if (this.#head) this.#start(this.ctx.now());
    this.#decide();
  }

  finish(): void {
    this.messageEnd();
    this.#pcm?.finish();
    this.#evidence?.end();
  }

  #start(ts: Micros): void {
    const head = Buffer.concat(this.#head ?? [], this.#headBytes);
    this.#head = undefined;
    this.#facts = audioFacts(this.info.mime, head);
    if (!this.#facts) return;
    this.#walker = durationWalker(this.#facts, head);
    const pcm16 = this.#facts.pcm16;
    if (pcm16) {
      // WAV PCM: the signal must be speech; the clip (the WAV as sent) is kept by the PcmClip once it is.
      this.#pcm = new PcmClip(this.ctx, this.info.origin, this.desc, this.streaming, {
        facts: this.#facts,
        head,
        pcm16,
      });
    } else {
      this.#evidence = this.ctx.openEvidence(this.info.mime);
    }
    this.#feed(head, ts);
  }

  #feed(chunk: Uint8Array, ts: Micros): void {
    if (!this.#facts) return;
    this.#walker?.push(chunk);
    if (this.#pcm) this.#pcm.push(chunk, ts);
    else this.#evidence?.write(chunk);
  }

  #decide(): void {
    const f = this.#facts;
    if (!f || this.#pcm) {
      this.#pcm?.messageEnd();
      return;
    }
    const durationMs = f.durationMs ?? this.#walker?.durationMs;
    const sampleRate = f.sampleRate ?? this.#walker?.sampleRate;
    const detail: FindingDetail = {
      codec: f.codec,
      bytes: this.#bytes,
      ...(sampleRate ? { sampleRate } : {}),
      ...(f.channels ? { channels: f.channels } : {}),
      ...(durationMs === undefined ? {} : { durationMs }),
      ...(this.streaming ? { streaming: true } : {}),
    };
    this.#report.emit(f.codec, 0.9, detail, this.#evidence?.id);
  }
}

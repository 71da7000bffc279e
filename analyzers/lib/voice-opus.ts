/**
 * Raw Opus packets sent with no container (one per stream message), believed from their TOC bytes and the
 * session's own description; evidence is the packets wrapped in Ogg Opus. Packets wait, at most
 * MAX_VOICE_PENDING_PACKETS, until the stream is believed, so the clip starts at the start.
 */
import type { AnalyzerContext, EvidenceWriter } from '../../src/model/analyzer.ts';
import type { FindingDetail } from '../../src/model/finding.ts';
import { MAX_OGG_PACKET_BYTES, OggOpusWriter } from './audio-ogg-writer.ts';
import { opusPacketMs } from './audio-opus.ts';
import { type Clip, Report, type SessionDescription } from './voice-clip.ts';

/** Raw codec packets needed before the session's description is believed. */
const MIN_PACKETS = 5;

/**
 * Raw Opus packets with no container, one per message, named by the session's own description: believed once
 * MIN_PACKETS packets, nine in ten of all, have valid TOC bytes giving the session's `frame_duration` (any
 * duration when it gave none; encoders switch between SILK, hybrid and CELT configurations mid-stream, so the
 * configuration is not held constant). The duration is read from the TOC bytes; the evidence is the packets
 * wrapped in Ogg Opus.
 */
export class OpusPackets implements Clip {
  readonly #report: Report;
  #packets = 0;
  #valid = 0;
  #ms = 0;
  #bytes = 0;
  #current: Uint8Array[] = [];
  #currentBytes = 0;
  #pending: Array<{ packet: Uint8Array; ms: number }> | undefined = [];
  #evidence: EvidenceWriter | undefined;
  #ogg: OggOpusWriter | undefined;

  constructor(
    private readonly ctx: AnalyzerContext,
    path: string,
    private readonly desc: SessionDescription,
    /** What carried the packets: `none` (one per stream message), `rtp`. */
    private readonly container: 'none' | 'rtp' = 'none',
  ) {
    this.#report = new Report(ctx, path, true);
  }

  push(chunk: Uint8Array): void {
    this.#bytes += chunk.length;
    this.#currentBytes += chunk.length;
    if (this.#currentBytes <= MAX_OGG_PACKET_BYTES) this.#current.push(chunk.slice());
  }

  messageEnd(): void {
    const size = this.#currentBytes;
    const packet = size <= MAX_OGG_PACKET_BYTES ? Buffer.concat(this.#current, size) : undefined;
    this.#current = [];
    this.#currentBytes = 0;
    if (size === 0) return;
    this.#packets++;
    const ms = packet ? opusPacketMs(packet[0]!, packet[1]) : undefined;
    if (!packet || ms === undefined || (this.desc.frameMs !== undefined && ms !== this.desc.frameMs)) return;
    this.#valid++;
    this.#ms += ms;
    if (this.#ogg) this.#ogg.packet(packet, ms);
    else if (this.#pending && this.#pending.length < this.ctx.limits.MAX_VOICE_PENDING_PACKETS)
      this.#pending.push({ packet, ms });
    if (this.#valid >= MIN_PACKETS && this.#valid >= 0.9 * this.#packets) this.#emit();
  }

  finish(): void {
    this.#ogg?.end();
    this.#evidence?.end();
  }

  #emit(): void {
    if (!this.#ogg) {
      const evidence = this.ctx.openEvidence('audio/ogg;codecs=opus');
      this.#evidence = evidence;
      this.#ogg = new OggOpusWriter((page) => evidence.write(page), this.desc.sampleRate ?? 48000);
      for (const p of this.#pending ?? []) this.#ogg.packet(p.packet, p.ms);
      this.#pending = undefined;
    }
    const detail: FindingDetail = {
      codec: 'opus',
      container: this.container,
      bytes: this.#bytes,
      packets: this.#packets,
      durationMs: Math.round(this.#ms),
      streaming: true,
      ...(this.desc.sampleRate ? { sampleRate: this.desc.sampleRate, sampleRateFrom: 'session' } : {}),
      ...(this.desc.frameMs ? { frameMs: this.desc.frameMs } : {}),
    };
    this.#report.emit('opus', 0.85, detail, this.#evidence?.id);
  }
}

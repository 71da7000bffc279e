/**
 * Voice: recorded or streamed speech leaving the device. Containers and codecs are recognised from the
 * sniffed media (magic), with codec, sample rate, channels and duration from their headers and frames (an MP4 or
 * 3GP file is voice when its `moov` shows sound and no picture: lib/voice-mp4.ts);
 * headerless 16-bit PCM is recognised from the signal (analyzers/lib/pcm-stats.ts), never from a URL,
 * Content-Type or `format` field; WAV and raw PCM must also sound like speech (tones, music and silence do
 * not count). On WebSocket and MQTT flows the audio of all messages is one stream with one finding, reported at
 * the first confident detection and updated as frames arrive; the session's own description (`{"type":"hello",
 * "audio_params":{"format":"opus","sample_rate":16000}}`, `"format":"audio/L16;rate=16000"`) names raw codec
 * packets and gives the sample rate; a stream message whose vendor framing wraps a gzip member is inflated (a
 * bounded sample, lib/audio-gzip-frame.ts) and its payload joins the stream (a bare gzip member is inflated by the
 * pipeline and arrives as a part of its own). Downloads (a TTS reply, music) are
 * not looked at. RTP packets (one message each) are read per source: G.711 expanded to PCM and judged like it, Opus
 * in a dynamic payload type once its timestamps fit (lib/voice-rtp.ts). Evidence: containers as sent, raw PCM wrapped in WAV (0xFFFFFFFF sizes, lib/audio-wav.ts), raw
 * Opus packets wrapped in Ogg (lib/audio-ogg-writer.ts), capped by the pipeline.
 */
import type { Analyzer, AnalyzerContext, AnalyzerState, FlowAnalyzerState, Verdict } from '../src/model/analyzer.ts';
import type { Micros } from '../src/model/flow.ts';
import type { MediaInfo } from '../src/model/media.ts';
import { header, type MessageHead } from '../src/model/message.ts';
import type { Token } from '../src/model/token.ts';
import { gunzipFrame, gzipOffset, MAX_GZIP_HEADER_OFFSET } from './lib/audio-gzip-frame.ts';
import { type Clip, DESCRIBING_KEYS, describe, type SessionDescription } from './lib/voice-clip.ts';
import { ContainerClip } from './lib/voice-container.ts';
import { MP4_MIMES, Mp4Clip } from './lib/voice-mp4.ts';
import { OpusPackets } from './lib/voice-opus.ts';
import { PcmClip } from './lib/voice-pcm.ts';
import { MAX_RTP_SOURCES, type RtpFields, RtpVoice, rtpFields } from './lib/voice-rtp.ts';

/** Weak magic that quiet PCM matches by chance (`00 00 01 00` is an icon, `00 00 00 01` an H.264 start code). */
const WEAK_MAGIC = new Set(['image/x-icon', 'video/h264']);
/** Audio sniffed by a bare frame sync (no ID3): one message of a PCM stream matches it now and then by chance. */
const FRAME_SYNC_AUDIO = new Set(['audio/mpeg', 'audio/aac']);

const isStream = (head: MessageHead) => head.protocol !== 'http';

export const voice: Analyzer = {
  name: 'voice',
  wants: (head) => head.direction === 'upload',
  tokens: { key: (key) => DESCRIBING_KEYS.has(key.toLowerCase()) },
  openFlow: () => new VoiceFlow(),
};

class VoiceFlow implements FlowAnalyzerState {
  readonly desc: SessionDescription = {};
  /** The flow's one PCM stream (WebSocket/MQTT/raw messages). */
  pcm: PcmClip | undefined;
  opus: OpusPackets | undefined;
  /** Containers seen on a stream flow, one finding per codec. */
  readonly containers = new Map<string, ContainerClip>();
  /** RTP sources (by SSRC), each its own stream and finding. */
  readonly rtp = new Map<string, RtpVoice>();

  /** The RTP source `ssrc`'s audio, undefined past MAX_RTP_SOURCES sources. */
  rtpSource(ctx: AnalyzerContext, origin: string, ssrc: string, fields: RtpFields): RtpVoice | undefined {
    let source = this.rtp.get(ssrc);
    if (!source && this.rtp.size < MAX_RTP_SOURCES) {
      source = new RtpVoice(ctx, origin, fields);
      this.rtp.set(ssrc, source);
    }
    return source;
  }

  /** The flow's one raw stream: Opus packets when the session said so, else 16-bit PCM. */
  raw(ctx: AnalyzerContext, origin: string): Clip {
    if (this.desc.format === 'opus') {
      this.opus ??= new OpusPackets(ctx, origin, this.desc);
      return this.opus;
    }
    this.pcm ??= new PcmClip(ctx, origin, this.desc, true);
    return this.pcm;
  }

  message(head: MessageHead, ctx: AnalyzerContext): AnalyzerState {
    return new VoiceMessage(this, head, ctx);
  }

  close(): void {
    this.pcm?.finish();
    this.opus?.finish();
    for (const c of this.containers.values()) c.finish();
    for (const r of this.rtp.values()) r.finish();
  }
}

class VoiceMessage implements AnalyzerState {
  readonly #parts = new Map<number, Clip | null>();
  constructor(
    private readonly flow: VoiceFlow,
    private readonly head: MessageHead,
    private readonly ctx: AnalyzerContext,
  ) {}

  media(info: MediaInfo, chunk: Uint8Array): Verdict {
    let clip = this.#parts.get(info.partId);
    if (clip === undefined) {
      clip = this.#clipFor(info, chunk);
      this.#parts.set(info.partId, clip);
    }
    clip?.push(chunk, this.ctx.now());
    return undefined;
  }

  mediaEnd(info: MediaInfo): Verdict {
    const clip = this.#parts.get(info.partId);
    if (clip && !isStream(this.head)) clip.finish();
    else clip?.messageEnd();
    return undefined;
  }

  token(t: Token): Verdict {
    describe(this.flow.desc, t);
    return undefined;
  }

  end(): void {}

  #clipFor(info: MediaInfo, first: Uint8Array): Clip | null {
    if (this.head.protocol === 'rtp') return RtpPacketPart.of(this.flow, this.ctx, this.head, info.origin);
    const stream = isStream(this.head);
    if (info.sniffed && MP4_MIMES.has(info.mime)) return new Mp4Clip(this.ctx, info);
    if (info.family === 'audio' && info.sniffed && !(stream && this.#chanceSync(info, first))) {
      if (!stream) return new ContainerClip(this.ctx, info, this.flow.desc);
      const key = info.mime.split(';')[0]!;
      const c = this.flow.containers.get(key) ?? new ContainerClip(this.ctx, info, this.flow.desc, true);
      this.flow.containers.set(key, c);
      return c;
    }
    const raw = info.family === 'unknown' || info.family === 'audio' || WEAK_MAGIC.has(info.mime);
    // A message that is a bare gzip member reaches us inflated, as its own part (ADR 0023): only vendor framing
    // around a gzip member (no magic at offset 0) is left to StreamPart.
    if (stream && raw) return new StreamPart(this.flow, this.ctx, info.origin);
    return raw ? new PcmClip(this.ctx, info.origin, this.flow.desc, false) : null;
  }

  /** A bare MPEG/AAC frame sync in one message of a stream already known as PCM: chance, not a container. */
  #chanceSync(info: MediaInfo, first: Uint8Array): boolean {
    const pcm = this.flow.desc.format === 'pcm' || this.flow.pcm !== undefined;
    return pcm && FRAME_SYNC_AUDIO.has(info.mime.split(';')[0]!) && !(first[0] === 0x49 && first[1] === 0x44);
  }
}

/** One RTP packet's payload (one message), handed to its source's stream at the message's end. */
class RtpPacketPart implements Clip {
  #chunks: Uint8Array[] = [];
  #ts: Micros = 0;

  private constructor(
    private readonly source: RtpVoice,
    private readonly fields: RtpFields,
  ) {}

  /** The part for an RTP head with its fields, or null (no fields, or a source past the flow's limit). */
  static of(flow: VoiceFlow, ctx: AnalyzerContext, head: MessageHead, origin: string): RtpPacketPart | null {
    const fields = rtpFields(head);
    const source = fields && flow.rtpSource(ctx, origin, header(head, 'ssrc') ?? '', fields);
    return fields && source ? new RtpPacketPart(source, fields) : null;
  }

  push(chunk: Uint8Array, ts: Micros): void {
    this.#ts = ts;
    this.#chunks.push(new Uint8Array(chunk)); // a copy: the chunk may be a view of a reused buffer
  }

  messageEnd(): void {
    const payload = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    this.#chunks = [];
    if (payload.length > 0) this.source.packet(this.fields, payload, this.#ts);
  }

  finish(): void {
    this.messageEnd();
  }
}

/**
 * One message (part) of a stream on its way to the flow's raw stream: passed through as it comes, unless its
 * first bytes show a vendor header and a gzip member, in which case the message (at most
 * MAX_AUDIO_GZIP_FRAME_BYTES)
 * is inflated at its end and the payload joins the stream instead.
 */
class StreamPart implements Clip {
  #held: Uint8Array[] = [];
  #bytes = 0;
  #mode: 'undecided' | 'pass' | 'gzip' | 'skip' = 'undecided';
  #ts: Micros = 0;

  constructor(
    private readonly flow: VoiceFlow,
    private readonly ctx: AnalyzerContext,
    private readonly origin: string,
  ) {}

  push(chunk: Uint8Array, ts: Micros): void {
    this.#ts = ts;
    if (this.#mode === 'pass') this.#target().push(chunk, ts);
    if (this.#mode === 'pass' || this.#mode === 'skip') return;
    this.#held.push(chunk.slice());
    this.#bytes += chunk.length;
    if (this.#mode === 'undecided' && this.#bytes >= MAX_GZIP_HEADER_OFFSET + 10) this.#decide();
    if (this.#mode === 'gzip' && this.#bytes > this.ctx.limits.MAX_AUDIO_GZIP_FRAME_BYTES) {
      this.#mode = 'skip';
      this.#held = [];
    }
  }

  messageEnd(): void {
    if (this.#mode === 'undecided') this.#decide();
    if (this.#mode === 'gzip') {
      const payload = gunzipFrame(Buffer.concat(this.#held, this.#bytes), this.ctx.limits);
      if (payload) this.#target().push(payload, this.#ts);
    }
    if (this.#mode !== 'skip') this.#target().messageEnd();
  }

  finish(): void {
    this.messageEnd();
  }

  #decide(): void {
    const held = Buffer.concat(this.#held, this.#bytes);
    if (gzipOffset(held) >= 0) {
      this.#mode = 'gzip';
      return;
    }
    this.#mode = 'pass';
    this.#held = [];
    if (held.length > 0) this.#target().push(held, this.#ts);
  }

  #target(): Clip {
    return this.flow.raw(this.ctx, this.origin);
  }
}

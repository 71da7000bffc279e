/**
 * Voice: recorded or streamed speech leaving the device. Containers and codecs are recognised from the
 * sniffed media (magic), with codec, sample rate, channels and duration from their headers and frames;
 * headerless 16-bit PCM is recognised from the signal (analyzers/lib/pcm-stats.ts), never from a URL,
 * Content-Type or `format` field; WAV and raw PCM must also sound like speech (tones, music and silence do
 * not count). On WebSocket and MQTT flows the audio of all messages is one stream with one finding, reported at
 * the first confident detection and updated as frames arrive; the session's own description (`{"type":"hello",
 * "audio_params":{"format":"opus","sample_rate":16000}}`, `"format":"audio/L16;rate=16000"`) names raw codec
 * packets and gives the sample rate; a stream message whose vendor framing wraps a gzip member is inflated (a
 * bounded sample, lib/audio-gzip-frame.ts) and its payload joins the stream. Downloads (a TTS reply, music) are
 * not looked at. Evidence: containers as sent, raw PCM wrapped in WAV (0xFFFFFFFF sizes, lib/audio-wav.ts), raw
 * Opus packets wrapped in Ogg (lib/audio-ogg-writer.ts), capped by the pipeline.
 */
import type {
  Analyzer,
  AnalyzerContext,
  AnalyzerState,
  EvidenceWriter,
  FindingHandle,
  FlowAnalyzerState,
  Verdict,
} from '../src/model/analyzer.ts';
import type { FindingDetail } from '../src/model/finding.ts';
import type { Micros } from '../src/model/flow.ts';
import type { MediaInfo } from '../src/model/media.ts';
import type { MessageHead } from '../src/model/message.ts';
import type { Token } from '../src/model/token.ts';
import { type DurationWalker, durationWalker } from './lib/audio-frames.ts';
import { gunzipFrame, gzipOffset, MAX_GZIP_FRAME_BYTES, MAX_GZIP_HEADER_OFFSET } from './lib/audio-gzip-frame.ts';
import { AUDIO_HEAD_BYTES, type AudioFacts, audioFacts } from './lib/audio-header.ts';
import { MAX_OGG_PACKET_BYTES, OggOpusWriter } from './lib/audio-ogg-writer.ts';
import { opusPacketMs } from './lib/audio-opus.ts';
import { wavWriterFor } from './lib/audio-wav.ts';
import { classifyPcm, guessSampleRate, MIN_PCM_FRAMES, PcmStats } from './lib/pcm-stats.ts';

/** Frames of PCM after which a stream is judged before its end (about 2 s at 16 kHz). */
const DECIDE_FRAMES = 125;
/** PCM kept in memory while undecided, so the evidence clip starts at the start (8 s at 16 kHz). */
const MAX_PREBUFFER_BYTES = 256 * 1024;
/** Raw codec packets needed before the session's description is believed. */
const MIN_PACKETS = 5;
/** Raw codec packets kept while undecided, so the evidence clip starts at the start. */
const MAX_PENDING_PACKETS = 64;

/** What the session said about its own audio (JSON start frame, `format` fields): evidence, not the detector. */
interface SessionDescription {
  format?: string;
  sampleRate?: number;
  /** Milliseconds per packet (`frame_duration`). */
  frameMs?: number;
}

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
    const stream = isStream(this.head);
    if (info.family === 'audio' && info.sniffed && !(stream && this.#chanceSync(info, first))) {
      if (!stream) return new ContainerClip(this.ctx, info, this.flow.desc);
      const key = info.mime.split(';')[0]!;
      const c = this.flow.containers.get(key) ?? new ContainerClip(this.ctx, info, this.flow.desc, true);
      this.flow.containers.set(key, c);
      return c;
    }
    const raw = info.family === 'unknown' || info.family === 'audio' || WEAK_MAGIC.has(info.mime);
    if (stream && (raw || info.mime === 'application/gzip')) return new StreamPart(this.flow, this.ctx, info.origin);
    return raw ? new PcmClip(this.ctx, info.origin, this.flow.desc, false) : null;
  }

  /** A bare MPEG/AAC frame sync in one message of a stream already known as PCM: chance, not a container. */
  #chanceSync(info: MediaInfo, first: Uint8Array): boolean {
    const pcm = this.flow.desc.format === 'pcm' || this.flow.pcm !== undefined;
    return pcm && FRAME_SYNC_AUDIO.has(info.mime.split(';')[0]!) && !(first[0] === 0x49 && first[1] === 0x44);
  }
}

/**
 * One message (part) of a stream on its way to the flow's raw stream: passed through as it comes, unless its
 * first bytes show a vendor header and a gzip member, in which case the message (at most MAX_GZIP_FRAME_BYTES)
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
    if (this.#mode === 'gzip' && this.#bytes > MAX_GZIP_FRAME_BYTES) {
      this.#mode = 'skip';
      this.#held = [];
    }
  }

  messageEnd(): void {
    if (this.#mode === 'undecided') this.#decide();
    if (this.#mode === 'gzip') {
      const payload = gunzipFrame(Buffer.concat(this.#held, this.#bytes));
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

/** Takes the audio bytes of one part (or of every message of a stream). */
interface Clip {
  push(chunk: Uint8Array, ts: Micros): void;
  /** One message of a stream ended: a chance to report or update. */
  messageEnd(): void;
  /** The part or the stream ended. */
  finish(): void;
}

/** The keys `describe` reads (lower-cased). */
const DESCRIBING_KEYS = new Set([
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
function describe(desc: SessionDescription, t: Token): void {
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
class Report {
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

function excerptOf(subtype: string, d: FindingDetail): string {
  const rate = d.sampleRate ? ` ${d.sampleRate} Hz` : '';
  const secs = typeof d.durationMs === 'number' ? `, ${(d.durationMs / 1000).toFixed(1)} s` : '';
  return `${subtype}${rate}${secs}, ${d.bytes} bytes`;
}

/** A container sniffed by magic: codec facts from the head, duration from header or frames, kept as sent. */
class ContainerClip implements Clip {
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

/** Where a gated clip's evidence comes from: raw PCM wrapped as WAV, or a WAV container kept as sent. */
interface WavSource {
  facts: AudioFacts;
  head: Uint8Array;
  pcm16: { dataOffset: number };
}

/**
 * 16-bit PCM judged from its signal: raw (headerless) or the data of a WAV. Undecided bytes wait in a bounded
 * prebuffer so the evidence clip starts at the start; a speech verdict reports and opens the evidence.
 */
class PcmClip implements Clip {
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
  ) {
    this.#report = new Report(ctx, path, streaming);
    this.#skip = wav?.pcm16.dataOffset ?? 0;
  }

  push(chunk: Uint8Array, ts: Micros): void {
    this.#firstTs ??= ts;
    this.#lastTs = ts;
    if (this.#evidence) this.#evidence.write(chunk);
    else if (this.#pre) {
      if (this.#preBytes + chunk.length <= MAX_PREBUFFER_BYTES) {
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
    const subtype = this.wav ? 'wav' : 'raw-pcm';
    const detail: FindingDetail = {
      codec: this.wav ? 'wav' : 'pcm-s16le',
      bytes: pcmBytes + (this.wav?.pcm16.dataOffset ?? 0),
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

/**
 * Raw Opus packets with no container, one per message, named by the session's own description: believed once
 * MIN_PACKETS packets, nine in ten of all, have valid TOC bytes giving the session's `frame_duration` (any
 * duration when it gave none; encoders switch between SILK, hybrid and CELT configurations mid-stream, so the
 * configuration is not held constant). The duration is read from the TOC bytes; the evidence is the packets
 * wrapped in Ogg Opus.
 */
class OpusPackets implements Clip {
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
    else if (this.#pending && this.#pending.length < MAX_PENDING_PACKETS) this.#pending.push({ packet, ms });
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
      container: 'none',
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

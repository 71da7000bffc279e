/**
 * An ISO-BMFF upload (MP4, 3GPP, M4A, QuickTime) is voice when it holds sound and no picture: an audio-only MP4 or
 * 3GP is what phones' recorders write (Android's MediaRecorder: AAC in MP4, AMR in 3GP), and only the `moov` box
 * tells it from a video. Until `moov` has passed (after the media, with MediaRecorder) the file's first
 * MAX_EVIDENCE_BYTES are held for the evidence the finding would keep (the evidence's own cap: nothing past it is
 * ever stored); then they become the clip, or are dropped for a video. An M4A (its brand says audio) is voice
 * from the start.
 */
import type { AnalyzerContext, EvidenceWriter } from '../../src/model/analyzer.ts';
import type { FindingDetail } from '../../src/model/finding.ts';
import type { MediaInfo } from '../../src/model/media.ts';
import type { AudioCodec } from './audio-header.ts';
import { type Mp4Track, Mp4Walker } from './audio-mp4.ts';
import { type Clip, Report } from './voice-clip.ts';

/** Sniffed types of ISO-BMFF files that may hold only sound. */
export const MP4_MIMES: ReadonlySet<string> = new Set([
  'audio/mp4',
  'video/mp4',
  'video/3gpp',
  'video/3gpp2',
  'video/quicktime',
]);

/** Sample entry formats by the codec the voice analyzer names; another audio format is `mp4`. */
const CODECS: Record<string, AudioCodec> = {
  mp4a: 'aac',
  samr: 'amr-nb',
  sawb: 'amr-wb',
  Opus: 'opus',
  '.mp3': 'mp3',
  fLaC: 'flac',
};

export class Mp4Clip implements Clip {
  readonly #walker = new Mp4Walker();
  readonly #report: Report;
  #held: Uint8Array[] | undefined = [];
  #heldBytes = 0;
  #bytes = 0;
  /** undefined until decided. */
  #voice: boolean | undefined;
  #evidence: EvidenceWriter | undefined;
  #ended = false;

  constructor(
    private readonly ctx: AnalyzerContext,
    private readonly info: MediaInfo,
  ) {
    this.#report = new Report(ctx, info.origin, false);
    if (info.mime === 'audio/mp4') this.#start();
  }

  push(chunk: Uint8Array): void {
    this.#bytes += chunk.length;
    if (!this.#walker.stopped) this.#walker.push(chunk);
    if (this.#voice === undefined) this.#hold(chunk);
    else if (this.#voice) this.#evidence?.write(chunk);
    if (this.#walker.tracks && this.#voice === undefined) this.#decide(this.#walker.tracks);
  }

  /** The part (a whole file, also in one message of a stream) ended: report, and the clip is complete. */
  messageEnd(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#walker.tracks && this.#voice === undefined) this.#decide(this.#walker.tracks);
    if (!this.#voice) return;
    const t = this.#walker.tracks?.find((x) => x.handler === 'soun');
    const codec = t ? (CODECS[t.format] ?? 'mp4') : 'aac';
    const detail: FindingDetail = {
      codec,
      bytes: this.#bytes,
      container: this.info.mime,
      ...(t?.sampleRate ? { sampleRate: t.sampleRate } : {}),
      ...(t?.durationMs === undefined ? {} : { durationMs: t.durationMs }),
    };
    this.#report.emit(codec, 0.9, detail, this.#evidence?.id);
    this.#evidence?.end();
  }

  finish(): void {
    this.messageEnd();
  }

  /** Sound and no picture: voice. */
  #decide(tracks: readonly Mp4Track[]): void {
    if (tracks.some((t) => t.handler === 'soun') && !tracks.some((t) => t.handler === 'vide')) this.#start();
    else {
      this.#voice = false;
      this.#held = undefined;
    }
  }

  #start(): void {
    this.#voice = true;
    this.#evidence = this.ctx.openEvidence(this.info.mime.startsWith('video/3gpp') ? 'audio/3gpp' : 'audio/mp4');
    for (const c of this.#held ?? []) this.#evidence.write(c);
    this.#held = undefined;
  }

  /** The file's first bytes, up to the evidence cap, while undecided. */
  #hold(chunk: Uint8Array): void {
    const room = this.ctx.limits.MAX_EVIDENCE_BYTES - this.#heldBytes;
    if (!this.#held || room <= 0) return;
    const part = chunk.length <= room ? chunk.slice() : chunk.slice(0, room);
    this.#held.push(part);
    this.#heldBytes += part.length;
  }
}

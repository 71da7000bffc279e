/**
 * WebM/Matroska audio duration, counted as chunks arrive without buffering the body: an EBML walker reads element
 * headers (variable-length IDs and sizes), enters the few masters it needs (Segment, Info, Tracks, TrackEntry,
 * Cluster, BlockGroup — unknown sizes allowed, as MediaRecorder writes them), reads a handful of small values
 * (TimecodeScale, Duration, track number/type/codec/CodecDelay, Cluster Timecode, the first bytes of each block)
 * and skips everything else by its size. The duration is where the last whole block of the audio track ends (its
 * Opus TOC gives its length; other codecs take the step between blocks), less the codec delay, capped by Segment
 * Info's Duration when present: a truncated upload reports what was sent. It does not decode, and does not check
 * the nesting of elements.
 */
import { opusPacketMs } from './audio-opus.ts';
import { RecordReader } from './record-reader.ts';

/** Tracks remembered from the Tracks element (a WebM upload holds one or two). */
const MAX_WEBM_TRACKS = 16;
/** Bytes read of a value or a block's head (an element header is at most 4 + 8 bytes). */
const PEEK = 16;

const ID = {
  segment: 0x18538067,
  info: 0x1549a966,
  tracks: 0x1654ae6b,
  trackEntry: 0xae,
  cluster: 0x1f43b675,
  blockGroup: 0xa0,
  timecodeScale: 0x2ad7b1,
  duration: 0x4489,
  timecode: 0xe7,
  trackNumber: 0xd7,
  trackType: 0x83,
  codecId: 0x86,
  codecDelay: 0x56aa,
  simpleBlock: 0xa3,
  block: 0xa1,
} as const;
const MASTERS = new Set<number>([ID.segment, ID.info, ID.tracks, ID.trackEntry, ID.cluster, ID.blockGroup]);
const VALUES = new Set<number>([
  ID.timecodeScale,
  ID.duration,
  ID.timecode,
  ID.trackNumber,
  ID.trackType,
  ID.codecId,
  ID.codecDelay,
  ID.simpleBlock,
  ID.block,
]);

/** Length of the EBML variable-length integer starting with byte `b` (1–8), or 0 when `b` is 0. */
const vintLength = (b: number) => (b === 0 ? 0 : Math.clz32(b) - 23);

/** The element header filling `h[0..have)`: bytes it needs first, or its id and size (-1: unknown; id -1: bad). */
function elementHeader(h: Uint8Array, have: number): { need: number } | { id: number; size: number } {
  const idLen = vintLength(h[0]!);
  if (idLen === 0 || idLen > 4) return { id: -1, size: 0 };
  if (have < idLen + 1) return { need: idLen + 1 };
  const sizeLen = vintLength(h[idLen]!);
  if (sizeLen === 0) return { id: -1, size: 0 };
  if (have < idLen + sizeLen) return { need: idLen + sizeLen };
  let id = 0;
  for (let i = 0; i < idLen; i++) id = id * 256 + h[i]!;
  let size = h[idLen]! & (0xff >> sizeLen);
  let unknown = size === 0xff >> sizeLen;
  for (let i = 1; i < sizeLen; i++) {
    size = size * 256 + h[idLen + i]!;
    unknown &&= h[idLen + i] === 0xff;
  }
  return { id, size: unknown ? -1 : size };
}

const uint = (b: Uint8Array) => b.reduce((n, x) => n * 256 + x, 0);

interface Track {
  number?: number;
  type?: number;
  codec?: string;
  /** CodecDelay (ns): audio the decoder drops at the start (Opus pre-skip). */
  delayNs?: number;
}

/** Walks a WebM/Matroska stream chunk by chunk; `durationMs` is the audio of the whole blocks walked so far. */
export class WebmWalker {
  readonly #reader = new RecordReader(PEEK, 1, {
    head: (h) => this.#step(h),
    skipped: () => this.#blockPassed(),
  });
  /** The element whose value is being read (0: reading an element header). */
  #value = 0;
  #valueSize = 0;
  #scaleNs = 1_000_000;
  /** Segment Info's Duration, in TimecodeScale units. */
  #declared: number | undefined;
  #clusterTime = 0;
  readonly #tracks: Track[] = [];
  /** The TrackEntry being read (undefined past MAX_WEBM_TRACKS). */
  #entry: Track | undefined;
  /** The audio track, once Tracks named one (until then every block counts). */
  #audio: Track | undefined;
  #prevBlock: number | undefined;
  /** End (ms) of the block being skipped, counted once its last byte has passed. */
  #pendingEnd: number | undefined;
  #endMs: number | undefined;

  get durationMs(): number | undefined {
    if (this.#endMs === undefined) return undefined;
    const sent = this.#endMs - (this.#audio?.delayNs ?? 0) / 1e6;
    const declared = this.#declared === undefined ? sent : (this.#declared * this.#scaleNs) / 1e6;
    return Math.max(0, Math.round(Math.min(sent, declared)));
  }

  push(chunk: Uint8Array): void {
    this.#reader.push(chunk);
  }

  #step(h: Uint8Array): void {
    if (this.#value !== 0) {
      this.#readValue(h);
      return;
    }
    const e = elementHeader(h, h.length);
    if ('need' in e) this.#reader.want(e.need);
    else if (e.id < 0) this.#reader.stop();
    else if (MASTERS.has(e.id)) {
      if (e.id === ID.trackEntry) this.#entry = this.#tracks.length < MAX_WEBM_TRACKS ? this.#newTrack() : undefined;
      this.#reader.next(0, 1);
    } else if (e.size < 0)
      this.#reader.stop(); // an unknown size is only legal on a master
    else if (VALUES.has(e.id) && e.size > 0) {
      this.#value = e.id;
      this.#valueSize = e.size;
      this.#reader.next(0, Math.min(e.size, PEEK));
    } else this.#reader.next(e.size, 1);
  }

  #newTrack(): Track {
    const t: Track = {};
    this.#tracks.push(t);
    return t;
  }

  #readValue(v: Uint8Array): void {
    const id = this.#value;
    const track = this.#entry;
    if (id === ID.timecodeScale) this.#scaleNs = uint(v) || 1_000_000;
    else if (id === ID.duration && (v.length === 4 || v.length === 8)) {
      const dv = new DataView(v.buffer, v.byteOffset, v.length);
      const units = v.length === 8 ? dv.getFloat64(0) : dv.getFloat32(0);
      if (units > 0) this.#declared = units;
    } else if (id === ID.timecode) this.#clusterTime = uint(v);
    else if (id === ID.trackNumber && track) track.number = uint(v);
    else if (id === ID.trackType && track) track.type = uint(v);
    else if (id === ID.codecId && track) track.codec = String.fromCharCode(...v);
    else if (id === ID.codecDelay && track) track.delayNs = uint(v);
    else if (id === ID.simpleBlock || id === ID.block) this.#readBlock(v);
    this.#value = 0;
    this.#reader.next(this.#valueSize - v.length, 1);
  }

  /** A block's head: track number, timecode relative to its cluster, flags, then (unlaced) the frame's first bytes. */
  #readBlock(v: Uint8Array): void {
    const n = vintLength(v[0]!);
    if (n === 0 || n + 3 > v.length) return;
    const trackNumber = uint(v.subarray(0, n)) - 2 ** (7 * n);
    this.#audio ??= this.#audioTrack();
    if (this.#audio && this.#audio.number !== trackNumber) return;
    const ms = ((this.#clusterTime + (((v[n]! << 24) >> 16) | v[n + 1]!)) * this.#scaleNs) / 1e6;
    const laced = (v[n + 2]! & 0x06) !== 0;
    const opus = this.#audio?.codec === 'A_OPUS' && !laced && n + 3 < v.length;
    const frameMs = opus ? opusPacketMs(v[n + 3]!, v[n + 4]) : undefined;
    const step = frameMs ?? (this.#prevBlock !== undefined && ms > this.#prevBlock ? ms - this.#prevBlock : 0);
    this.#prevBlock = ms;
    this.#pendingEnd = ms + step;
  }

  #blockPassed(): void {
    if (this.#pendingEnd === undefined) return;
    this.#endMs = Math.max(this.#endMs ?? 0, this.#pendingEnd);
    this.#pendingEnd = undefined;
  }

  /** The first audio track (type 2, or an `A_` codec) named so far. */
  #audioTrack(): Track | undefined {
    return this.#tracks.find((t) => t.number !== undefined && (t.type === 2 || t.codec?.startsWith('A_')));
  }
}

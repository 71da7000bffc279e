/**
 * Reads what an audio container's head says (codec, sample rate, channels, duration when the header holds
 * it) from the first bytes of a part that magic already called audio. It parses headers only: no decoding,
 * no frame walking (audio-frames.ts counts frames for the formats whose duration is not in a header).
 */
import { ascii } from '../../src/decode/magic-checks.ts';
import { id3v2Size, mpegHeader } from './audio-mp3.ts';

/** Codec subtypes the voice analyzer reports (kebab-case, analyzers/README.md). */
export type AudioCodec =
  | 'wav'
  | 'opus'
  | 'speex'
  | 'vorbis'
  | 'flac'
  | 'amr-nb'
  | 'amr-wb'
  | 'silk'
  | 'mp3'
  | 'aac'
  | 'webm'
  | 'raw-pcm'
  /** An audio track of an MP4/3GP file in a codec not named above. */
  | 'mp4';

/** What a container head says. */
export interface AudioFacts {
  codec: AudioCodec;
  sampleRate?: number;
  channels?: number;
  durationMs?: number;
  /** WAV only: the samples are 16-bit PCM starting at `dataOffset`, so the signal can be checked for speech. */
  pcm16?: { dataOffset: number };
}

/** Bytes of a part's head kept for `audioFacts` (an ID3 tag or a WAV LIST chunk can push the header past 512). */
export const AUDIO_HEAD_BYTES = 4096;

const u16le = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8);
const u32le = (b: Uint8Array, o: number) => (u16le(b, o) + u16le(b, o + 2) * 65536) >>> 0;
const u32be = (b: Uint8Array, o: number) => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

/** Facts from the head of a part sniffed as `mime` (family audio), or undefined when it is not voice-capable. */
export function audioFacts(mime: string, head: Uint8Array): AudioFacts | undefined {
  if (mime === 'audio/wav') return wav(head);
  if (mime.startsWith('audio/ogg')) return ogg(head);
  if (mime === 'audio/amr') return { codec: 'amr-nb', sampleRate: 8000, channels: 1 };
  if (mime === 'audio/amr-wb') return { codec: 'amr-wb', sampleRate: 16000, channels: 1 };
  if (mime === 'audio/silk') return { codec: 'silk' };
  if (mime === 'audio/flac') return flac(head);
  if (mime === 'audio/mpeg') return mp3(head);
  if (mime === 'audio/aac') return adts(head);
  if (mime === 'audio/webm') return webm(head);
  return undefined;
}

function wav(b: Uint8Array): AudioFacts {
  const facts: AudioFacts = { codec: 'wav' };
  let byteRate = 0;
  let bits = 0;
  let format = 0;
  for (let o = 12; o + 8 <= b.length; ) {
    const size = u32le(b, o + 4);
    if (ascii(b, o, 'fmt ') && o + 24 <= b.length) {
      format = u16le(b, o + 8);
      facts.channels = u16le(b, o + 10);
      facts.sampleRate = u32le(b, o + 12);
      byteRate = u32le(b, o + 16);
      bits = u16le(b, o + 22);
      if (format === 0xfffe && o + 34 <= b.length) format = u16le(b, o + 32); // WAVE_FORMAT_EXTENSIBLE subformat
    } else if (ascii(b, o, 'data')) {
      // 0 and 0xFFFFFFFF are what streaming writers put before they know the size.
      if (byteRate > 0 && size > 0 && size < 0xffffffff) facts.durationMs = Math.round((size / byteRate) * 1000);
      if (format === 1 && bits === 16 && facts.channels === 1) facts.pcm16 = { dataOffset: o + 8 };
      break;
    }
    o += 8 + size + (size & 1);
  }
  return facts;
}

function ogg(b: Uint8Array): AudioFacts | undefined {
  if (b.length < 27) return undefined;
  const p = 27 + b[26]!;
  if (ascii(b, p, 'OpusHead') && p + 16 <= b.length) {
    return { codec: 'opus', channels: b[p + 9]!, sampleRate: u32le(b, p + 12) || 48000 };
  }
  if (ascii(b, p, 'Speex   ') && p + 52 <= b.length) {
    return { codec: 'speex', sampleRate: u32le(b, p + 36), channels: u32le(b, p + 48) };
  }
  if (ascii(b, p, '\x01vorbis') && p + 16 <= b.length) {
    return { codec: 'vorbis', channels: b[p + 11]!, sampleRate: u32le(b, p + 12) };
  }
  if (ascii(b, p, '\x7fFLAC')) return { codec: 'flac', ...flacInfo(b, p + 13) };
  return undefined;
}

/** Sample rate (and the Ogg granule rate) of an Ogg stream's codec: Opus granules always count 48 kHz. */
export function granuleRate(facts: AudioFacts): number | undefined {
  return facts.codec === 'opus' ? 48000 : facts.sampleRate;
}

function flac(b: Uint8Array): AudioFacts {
  return { codec: 'flac', ...flacInfo(b, 4) };
}

/** STREAMINFO at `o` (its metadata block header): rate, channels, duration from the total sample count. */
function flacInfo(b: Uint8Array, o: number): Partial<AudioFacts> {
  const s = o + 4;
  if (s + 18 > b.length) return {};
  const sampleRate = (b[s + 10]! << 12) | (b[s + 11]! << 4) | (b[s + 12]! >> 4);
  const channels = ((b[s + 12]! >> 1) & 7) + 1;
  const total = (b[s + 13]! & 0x0f) * 2 ** 32 + u32be(b, s + 14);
  return {
    sampleRate,
    channels,
    ...(total > 0 && sampleRate > 0 ? { durationMs: Math.round((total / sampleRate) * 1000) } : {}),
  };
}

/** MPEG audio: rate and channels of the first frame header (after an ID3v2 tag, when it ends inside the head). */
function mp3(b: Uint8Array): AudioFacts {
  const f = mpegHeader(b, id3v2Size(b) ?? 0);
  return f ? { codec: 'mp3', channels: f.channels, sampleRate: f.sampleRate } : { codec: 'mp3' };
}

export const ADTS_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

function adts(b: Uint8Array): AudioFacts {
  if (b.length < 4) return { codec: 'aac' };
  const sampleRate = ADTS_RATES[(b[2]! >> 2) & 0x0f];
  const channels = ((b[2]! & 1) << 2) | (b[3]! >> 6);
  return { codec: 'aac', ...(sampleRate ? { sampleRate } : {}), ...(channels ? { channels } : {}) };
}

/** WebM: the sampling frequency of the first audio track, when inside the head (channels are not read). */
function webm(b: Uint8Array): AudioFacts {
  const facts: AudioFacts = { codec: 'webm' };
  for (let i = 0; i + 3 < b.length; i++) {
    // SamplingFrequency (0xB5) as an 8- or 4-byte float
    if (b[i] === 0xb5 && (b[i + 1] === 0x88 || b[i + 1] === 0x84)) {
      const n = b[i + 1] === 0x88 ? 8 : 4;
      if (i + 2 + n > b.length) break;
      const v = new DataView(b.buffer, b.byteOffset + i + 2, n);
      const rate = n === 8 ? v.getFloat64(0) : v.getFloat32(0);
      if (rate >= 8000 && rate <= 192000 && Number.isInteger(rate)) facts.sampleRate = rate;
    }
  }
  return facts;
}

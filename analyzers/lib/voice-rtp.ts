/**
 * Voice carried by RTP, one packet per message (src/streams/rtp.ts gives its payload type, sequence number and
 * timestamp as headers). G.711 (payload types 0 PCMU and 8 PCMA) is expanded to 16-bit PCM and judged from the
 * signal like raw PCM (lib/voice-pcm.ts: tones and silence are not speech; evidence a WAV of the expanded samples).
 * A dynamic payload type is Opus when the packets' durations, read from their TOC bytes, match the steps of their
 * timestamps at Opus's 48 kHz RTP clock (RFC 7587) for nine in ten of the first MIN_STEPS steps: video (a 90 kHz
 * clock, several packets per frame) and encrypted payloads (SRTP) do not. Then the packets are raw Opus
 * (lib/voice-opus.ts; evidence Ogg Opus). Other payloads (G.722, G.729, GSM) are not read, nor packets of another
 * payload type under the same source (DTMF events, comfort noise).
 */
import type { AnalyzerContext } from '../../src/model/analyzer.ts';
import type { Micros } from '../../src/model/flow.ts';
import { header, type MessageHead } from '../../src/model/message.ts';
import { opusPacketMs } from './audio-opus.ts';
import type { Clip } from './voice-clip.ts';
import { OpusPackets } from './voice-opus.ts';
import { PcmClip } from './voice-pcm.ts';

/** Timestamp steps checked before a dynamic payload type is believed to be Opus (or not). */
const MIN_STEPS = 10;
/** Opus's RTP clock: samples per millisecond (RFC 7587 4.1). */
const OPUS_CLOCK_PER_MS = 48;
/** Sources (SSRC) of one flow read at most: the rest are not. */
export const MAX_RTP_SOURCES = 4;

/** The RTP fields of a packet's head. */
export interface RtpFields {
  payloadType: number;
  sequence: number;
  timestamp: number;
}

/** The RTP fields src/streams/rtp.ts put in a head, or undefined when they are not all there. */
export function rtpFields(head: MessageHead): RtpFields | undefined {
  const payloadType = Number(header(head, 'payload-type'));
  const sequence = Number(header(head, 'sequence'));
  const timestamp = Number(header(head, 'timestamp'));
  if (![payloadType, sequence, timestamp].every(Number.isInteger)) return undefined;
  return { payloadType, sequence, timestamp };
}

/** One RTP source's audio: G.711 expanded to PCM, Opus once its timestamps say so, anything else ignored. */
export class RtpVoice {
  #clip: Clip | undefined;
  /** A dynamic payload type being checked: its packets so far and how many timestamp steps fit Opus. */
  #checking: { packets: Array<{ payload: Uint8Array; ts: Micros }>; last: RtpFields; steps: number; fit: number };
  #ignored = false;
  /** The source's audio payload type: DTMF events (RFC 4733) and comfort noise share its SSRC under types of their own. */
  readonly #payloadType: number;

  constructor(
    private readonly ctx: AnalyzerContext,
    private readonly origin: string,
    first: RtpFields,
  ) {
    this.#payloadType = first.payloadType;
    this.#checking = { packets: [], last: first, steps: 0, fit: 0 };
    if (first.payloadType === 0 || first.payloadType === 8) {
      this.#clip = new PcmClip(ctx, origin, {}, true, undefined, first.payloadType === 0 ? 'pcmu' : 'pcma');
    } else if (first.payloadType < 96) this.#ignored = true;
  }

  packet(fields: RtpFields, payload: Uint8Array, ts: Micros): void {
    if (this.#ignored || fields.payloadType !== this.#payloadType) return;
    if (!this.#clip) this.#check(fields, payload, ts);
    else {
      this.#clip.push(payload, ts);
      this.#clip.messageEnd();
    }
  }

  finish(): void {
    this.#clip?.finish();
  }

  #check(fields: RtpFields, payload: Uint8Array, ts: Micros): void {
    const c = this.#checking;
    const lost = (fields.sequence - c.last.sequence) & 0xffff;
    if (c.packets.length > 0 && lost >= 1) {
      const ms = opusPacketMs(payload[0]!, payload[1]);
      const step = (fields.timestamp - c.last.timestamp) >>> 0;
      c.steps++;
      if (ms !== undefined && step === ms * OPUS_CLOCK_PER_MS * lost) c.fit++;
    }
    c.last = fields;
    c.packets.push({ payload: new Uint8Array(payload), ts }); // a copy: the chunk may be a view of a reused buffer
    if (c.steps < MIN_STEPS) return;
    if (c.fit < 0.9 * c.steps) {
      this.#ignored = true;
      return;
    }
    this.#clip = new OpusPackets(this.ctx, this.origin, { format: 'opus' }, 'rtp');
    for (const p of c.packets) {
      this.#clip.push(p.payload, p.ts);
      this.#clip.messageEnd();
    }
    c.packets = [];
  }
}

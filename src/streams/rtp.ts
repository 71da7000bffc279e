/**
 * An RTP flow (UDP) → FlowEvents: each packet is a message (`protocol: 'rtp'`), its payload the body, its fields
 * as headers (`Payload-Type`, `SSRC`, `Sequence`, `Timestamp`, and for a static audio payload type its media type
 * as `Content-Type`, `audio/PCMU; rate=8000`). One datagram that looks like RTP is not enough (a quarter of random
 * bytes start with version 2): a direction is RTP once its second datagram continues the first's stream (same
 * SSRC and payload type, the next sequence numbers); otherwise that direction is raw bytes as any UDP payload.
 * RTCP multiplexed on the same port (RFC 5761) is skipped. Not here: parsing (src/decode/rtp.ts), what the payload
 * holds (the voice analyzer).
 */
import { continuesStream, parseRtp, type RtpPacket, staticAudioType } from '../decode/rtp.ts';
import type { FlowId, Micros, MsgId } from '../model/flow.ts';
import type { Headers } from '../model/message.ts';
import type { ViolationInput } from '../model/violation.ts';
import { RawStream } from './raw.ts';
import type { EmitEvent, StreamDir } from './types.ts';

/** Malformed datagrams reported per flow; the rest are only counted. */
const MAX_REPORTED = 3;

/** A direction waiting for its second datagram (the first copied: the reader reuses its buffers), RTP, or raw. */
type DirState =
  | { mode: 'undecided'; first: { bytes: Uint8Array; packet: RtpPacket | undefined; ts: Micros } }
  | { mode: 'rtp'; last: RtpPacket }
  | { mode: 'raw' };

export class RtpStream {
  readonly #flowId: FlowId;
  readonly #emit: EmitEvent;
  readonly #report: (v: ViolationInput, ts: Micros) => void;
  readonly #raw: RawStream;
  readonly #dirs: Partial<Record<StreamDir, DirState>> = {};
  #nextMsgId = 0;
  #malformed = 0;

  constructor(flowId: FlowId, emit: EmitEvent, report: (v: ViolationInput, ts: Micros) => void) {
    this.#flowId = flowId;
    this.#emit = emit;
    this.#report = report;
    this.#raw = new RawStream(flowId, emit, () => this.#nextMsgId++);
  }

  /** One datagram. */
  data(dir: StreamDir, bytes: Uint8Array, ts: Micros): void {
    const state = this.#dirs[dir];
    if (state === undefined) {
      const copy = new Uint8Array(bytes);
      this.#dirs[dir] = { mode: 'undecided', first: { bytes: copy, packet: parseRtp(copy), ts } };
    } else if (state.mode === 'undecided') {
      const packet = parseRtp(bytes);
      const { first } = state;
      if (first.packet && packet && continuesStream(first.packet, packet)) {
        this.#packet(dir, first.packet, first.ts);
        this.#packet(dir, packet, ts);
        this.#dirs[dir] = { mode: 'rtp', last: packet };
      } else {
        this.#dirs[dir] = { mode: 'raw' };
        this.#raw.data(dir, first.bytes, first.ts);
        this.#raw.data(dir, bytes, ts);
      }
    } else if (state.mode === 'raw') this.#raw.data(dir, bytes, ts);
    else {
      const packet = parseRtp(bytes);
      if (packet) {
        this.#packet(dir, packet, ts);
        state.last = packet;
      } else if (!rtcp(bytes) && ++this.#malformed <= MAX_REPORTED) {
        this.#report({ decoder: 'rtp', code: 'malformed-packet', message: `${bytes.length}-byte datagram` }, ts);
      }
    }
  }

  close(ts: Micros): void {
    for (const dir of ['up', 'down'] as const) {
      const state = this.#dirs[dir];
      if (state?.mode === 'undecided') this.#raw.data(dir, state.first.bytes, state.first.ts); // one datagram
    }
    this.#raw.close(ts);
  }

  #packet(dir: StreamDir, p: RtpPacket, ts: Micros): void {
    const msgId: MsgId = this.#nextMsgId++;
    const type = staticAudioType(p.payloadType);
    const headers: Headers = [
      ['Payload-Type', String(p.payloadType)],
      ['SSRC', p.ssrc.toString(16).padStart(8, '0')],
      ['Sequence', String(p.sequence)],
      ['Timestamp', String(p.timestamp)],
      ...(type === undefined ? [] : [['Content-Type', type] as const]),
    ];
    const flowId = this.#flowId;
    const direction = dir === 'up' ? 'upload' : 'download';
    this.#emit({ ts, type: 'message.head', flowId, msg: { msgId, direction, protocol: 'rtp', headers } });
    this.#emit({ ts, type: 'message.chunk', flowId, msgId, data: p.payload });
    this.#emit({ ts, type: 'message.end', flowId, msgId });
  }
}

/** An RTCP packet (types 200–204) sharing the port (RFC 5761). */
function rtcp(b: Uint8Array): boolean {
  return b.length >= 8 && b[0]! >> 6 === 2 && b[1]! >= 200 && b[1]! <= 204;
}

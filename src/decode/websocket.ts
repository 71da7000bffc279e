/**
 * Sans-io WebSocket (RFC 6455) frame parser for ONE direction of an upgraded connection: frame headers with
 * 7/16/64-bit lengths, masking, fragmentation (continuation frames join one message), control frames
 * (ping/pong/close, close code parsed) interleaved inside fragmented messages, and permessage-deflate
 * (RFC 7692: RSV1, raw deflate, `00 00 ff ff` appended at message end, context takeover or not: one inflater per
 * direction, reset at each message end under no-context-takeover).
 * Each text/binary message is reported as start → data… → end, payload unmasked and inflated: the
 * "content-encoding kept" rule of message.chunk does not apply to permessage-deflate, which is framing and is
 * removed here. Malformed input becomes a violation (decoder `websocket`), never a throw.
 * Not here: the HTTP handshake (http1.ts), FlowEvents (src/streams/websocket.ts), MQTT inside binary
 * messages (mqtt.ts).
 */

import { DEFAULT_LIMITS, type Limits } from '../model/limits.ts';
import type { ViolationInput } from '../model/violation.ts';
import { SyncDecompressor } from './zlib-sync.ts';

/** A control frame as seen (its payload is not kept: a close reason or ping body is not personal data we need). */
export interface ControlFrame {
  /** 8 close, 9 ping, 10 pong. */
  opcode: 8 | 9 | 10;
  length: number;
  /** Close frames with a payload: the status code (1000 normal, 1001 going away, …). */
  closeCode?: number;
}

/** What one direction's parser reports, in stream order. */
export interface WebSocketSink {
  /** First frame of a text (1) or binary (2) message; `compressed` when RSV1 was set (permessage-deflate). */
  start(opcode: 1 | 2, compressed: boolean): void;
  /** Payload bytes of the open message, unmasked and inflated (a fresh view; chunking follows the input). */
  data(chunk: Uint8Array): void;
  /** Bytes of the open (uncompressed) message lost in the capture. */
  gap(length: number): void;
  /** The open message's final frame ended (or the stream did: see `close`). */
  end(): void;
  control(frame: ControlFrame): void;
  violation(v: ViolationInput): void;
}

/** permessage-deflate as negotiated for the sender of this direction. */
export interface DeflateParams {
  /** `client_no_context_takeover` for the client's direction, `server_no_context_takeover` for the server's. */
  noContextTakeover: boolean;
}

/** The bounds of src/model/limits.ts the WebSocket parser enforces; the frame bound defaults to DEFAULT_LIMITS. */
export type WebSocketLimits = Pick<Limits, 'MAX_INFLATE_BYTES'> & Partial<Pick<Limits, 'MAX_WEBSOCKET_FRAME_BYTES'>>;

export interface WebSocketOptions {
  /** True for the client→server direction, whose frames must be masked. */
  fromClient: boolean;
  /** Negotiated permessage-deflate for this direction; absent = not negotiated. */
  deflate?: DeflateParams;
  limits: WebSocketLimits;
}

type State = 'header' | 'payload' | 'stopped';

/** Message-level state of the frame being read. */
type FrameRole = 'control' | 'message' | 'skip';

const MSG_TRAILER = new Uint8Array([0x00, 0x00, 0xff, 0xff]);
const MAX_CONTROL_PAYLOAD = 125;

/** Parses one direction of a WebSocket connection. Feed it bytes in order; it calls the sink. */
export class WebSocketDecoder {
  readonly #sink: WebSocketSink;
  readonly #fromClient: boolean;
  readonly #deflate: DeflateParams | undefined;
  readonly #maxInflate: number;
  readonly #maxFrame: number;
  #state: State = 'header';
  /** Stream offset of the next byte, for violation offsets. */
  #pos = 0;
  readonly #hdr = new Uint8Array(14);
  #hdrLen = 0;
  #hdrNeed = 2;
  #frameStart = 0;
  // The frame being read.
  #fin = false;
  #opcode = 0;
  #mask: Uint8Array | undefined;
  #frameLen = 0;
  #remaining = 0;
  #role: FrameRole = 'skip';
  #ctl: Uint8Array | undefined;
  #ctlLen = 0;
  // The message being read.
  #inMessage = false;
  #compressed = false;
  /** One raw inflater per direction, made at the first compressed message; reset when its window must go. */
  #inflater: SyncDecompressor | undefined;
  #inflated = 0;
  /** The message's inflated output was cut (size bound or corrupt data): the rest of its payload is dropped. */
  #inflateStopped = false;
  /** A context-takeover inflater lost its window (bound hit, gap, corrupt data): later compressed messages drop. */
  #deflateBroken = false;
  #notedWindowLost = false;
  #notedUnmasked = false;
  #notedMasked = false;
  #notedRsv1 = false;

  constructor(sink: WebSocketSink, opts: WebSocketOptions) {
    this.#sink = sink;
    this.#fromClient = opts.fromClient;
    this.#deflate = opts.deflate;
    this.#maxInflate = opts.limits.MAX_INFLATE_BYTES;
    this.#maxFrame = opts.limits.MAX_WEBSOCKET_FRAME_BYTES ?? DEFAULT_LIMITS.MAX_WEBSOCKET_FRAME_BYTES;
  }

  /** True once a fatal violation stopped this direction. */
  get stopped(): boolean {
    return this.#state === 'stopped';
  }

  write(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length && this.#state !== 'stopped') {
      const next = this.#state === 'header' ? this.#header(chunk, off) : this.#payload(chunk, off);
      this.#pos += next - off;
      off = next;
    }
  }

  /** `length` bytes of this direction were lost. Inside an uncompressed payload it is a message gap; else sync is lost. */
  gap(length: number): void {
    if (this.#state === 'stopped' || length <= 0) return;
    const inPayload = this.#state === 'payload' && length <= this.#remaining;
    if (!inPayload) {
      this.#stop('gap-lost-sync', `${length} bytes lost outside a frame payload`);
      return;
    }
    this.#remaining -= length;
    this.#pos += length;
    if (this.#role === 'message') {
      if (this.#compressed) this.#breakInflate('gap-in-compressed-message', `${length} bytes lost`);
      else this.#sink.gap(length);
    } else if (this.#role === 'control') this.#ctl = undefined;
    if (this.#remaining === 0) this.#frameEnd();
  }

  /** End of the stream: a message still open is ended (and flagged truncated). */
  end(): void {
    if (this.#state !== 'stopped' && (this.#hdrLen > 0 || this.#state === 'payload')) {
      this.#violation('truncated-frame', this.#frameStart);
    }
    this.#endMessage(false);
    this.#state = 'stopped';
    this.#inflater?.close();
    this.#inflater = undefined;
  }

  #header(chunk: Uint8Array, off: number): number {
    const take = Math.min(this.#hdrNeed - this.#hdrLen, chunk.length - off);
    this.#hdr.set(chunk.subarray(off, off + take), this.#hdrLen);
    if (this.#hdrLen === 0) this.#frameStart = this.#pos;
    this.#hdrLen += take;
    if (this.#hdrLen === 2) {
      const b1 = this.#hdr[1]!;
      const len7 = b1 & 0x7f;
      this.#hdrNeed = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (b1 & 0x80 ? 4 : 0);
    }
    if (this.#hdrLen < this.#hdrNeed) return off + take;
    this.#hdrLen = 0;
    this.#hdrNeed = 2;
    this.#startFrame();
    return off + take;
  }

  #startFrame(): void {
    const bad = this.#readHeader();
    if (bad) this.#stop(bad[0], bad[1]);
  }

  /** Sets up the frame whose header is in #hdr; returns [code, message] when it is fatally malformed. */
  #readHeader(): [string, string] | undefined {
    const h = this.#hdr;
    const b0 = h[0]!;
    const b1 = h[1]!;
    this.#fin = (b0 & 0x80) !== 0;
    const rsv1 = (b0 & 0x40) !== 0;
    const opcode = b0 & 0x0f;
    const masked = (b1 & 0x80) !== 0;
    let len = b1 & 0x7f;
    let p = 2;
    /** The declared length as written: exact even past 2^53, where `len` (a float) rounds. */
    let exact = (): string => String(len);
    if (len === 126) {
      len = (h[2]! << 8) | h[3]!;
      p = 4;
    } else if (len === 127) {
      const hi = ((h[2]! << 24) | (h[3]! << 16) | (h[4]! << 8) | h[5]!) >>> 0;
      const lo = ((h[6]! << 24) | (h[7]! << 16) | (h[8]! << 8) | h[9]!) >>> 0;
      if (hi & 0x80000000) return ['frame-too-large', 'length has the most significant bit set'];
      len = hi * 2 ** 32 + lo;
      exact = () => String((BigInt(hi) << 32n) | BigInt(lo));
      p = 10;
    }
    this.#mask = masked ? h.slice(p, p + 4) : undefined;
    if (len > this.#maxFrame) return ['frame-too-large', `frame of ${exact()} bytes`];
    if (b0 & 0x30) return ['bad-rsv', 'RSV2/RSV3 set: no extension using them was negotiated'];
    if (masked !== this.#fromClient) this.#noteMasking(masked);
    this.#opcode = opcode;
    this.#frameLen = this.#remaining = len;
    this.#state = 'payload';
    if (opcode >= 8) {
      if (opcode > 10) return ['bad-opcode', `opcode ${opcode}`];
      if (!this.#fin || len > MAX_CONTROL_PAYLOAD) return ['bad-control-frame', `opcode ${opcode}`];
      if (rsv1) return ['bad-rsv', 'RSV1 on a control frame'];
      this.#role = 'control';
      this.#ctl = new Uint8Array(len);
      this.#ctlLen = 0;
    } else if (opcode === 0) {
      if (rsv1) return ['bad-rsv', 'RSV1 on a continuation frame'];
      if (!this.#inMessage) this.#violation('unexpected-continuation', this.#frameStart);
      this.#role = this.#inMessage ? 'message' : 'skip';
    } else if (opcode === 1 || opcode === 2) {
      if (this.#inMessage) {
        this.#violation('missing-continuation', this.#frameStart, 'a new message began before the last one ended');
        this.#endMessage(false);
      }
      this.#startMessage(opcode, rsv1);
      this.#role = 'message';
    } else return ['bad-opcode', `opcode ${opcode}`];
    if (len === 0) this.#frameEnd();
    return undefined;
  }

  #noteMasking(masked: boolean): void {
    if (!masked && !this.#notedUnmasked) {
      this.#notedUnmasked = true;
      this.#violation('unmasked-client-frame', this.#frameStart);
    } else if (masked && !this.#notedMasked) {
      this.#notedMasked = true;
      this.#violation('masked-server-frame', this.#frameStart);
    }
  }

  #startMessage(opcode: 1 | 2, rsv1: boolean): void {
    this.#inMessage = true;
    this.#compressed = rsv1;
    this.#inflated = 0;
    this.#inflateStopped = false;
    if (rsv1 && !this.#deflate && !this.#notedRsv1) {
      // A capture that missed the handshake: inflate anyway, assuming context takeover.
      this.#notedRsv1 = true;
      this.#violation('rsv1-not-negotiated', this.#frameStart);
    }
    this.#sink.start(opcode, rsv1);
    if (rsv1 && this.#deflateBroken) {
      this.#inflateStopped = true;
      // Said once per direction: the first message lost this way names the loss, the rest follow it.
      if (!this.#notedWindowLost) {
        this.#notedWindowLost = true;
        this.#violation(
          'inflate-window-lost',
          this.#frameStart,
          'compressed messages after the inflater lost its window are not read',
        );
      }
    } else if (rsv1) this.#inflater ??= new SyncDecompressor('inflate-raw');
  }

  #payload(chunk: Uint8Array, off: number): number {
    const n = Math.min(this.#remaining, chunk.length - off);
    let data = chunk.subarray(off, off + n);
    // Masked payload is copied once while unmasking: the input may be shared (reassembler buffers, re-fed tests).
    if (this.#mask && this.#role !== 'skip') data = unmask(data, this.#mask, this.#frameLen - this.#remaining);
    this.#remaining -= n;
    if (this.#role === 'control') {
      this.#ctl?.set(data, this.#ctlLen);
      this.#ctlLen += n;
    } else if (this.#role === 'message' && n > 0) this.#messageData(data);
    if (this.#remaining === 0 && this.#state === 'payload') this.#frameEnd();
    return off + n;
  }

  #messageData(data: Uint8Array): void {
    if (!this.#compressed) this.#sink.data(data);
    else this.#inflate(data);
  }

  #inflate(data: Uint8Array): void {
    if (this.#inflateStopped || !this.#inflater) return;
    const err = this.#inflater.write(data, (out) => {
      const room = this.#maxInflate - this.#inflated;
      const piece = out.length > room ? out.subarray(0, room) : out;
      this.#inflated += piece.length;
      if (piece.length > 0) this.#sink.data(piece);
      return out.length <= room;
    });
    if (err === 'stopped') this.#breakInflate('inflate-size-exceeded', `more than ${this.#maxInflate} bytes inflated`);
    else if (err !== undefined) this.#breakInflate('inflate-error', err);
  }

  /**
   * Stop inflating this message. Without context takeover the inflater is reset at the message end; with it the
   * window is lost for the rest of the direction too.
   */
  #breakInflate(code: string, message: string): void {
    if (this.#inflateStopped) return;
    this.#inflateStopped = true;
    this.#violation(code, this.#pos, message);
    if (!this.#deflate?.noContextTakeover) this.#loseWindow();
  }

  /** Context takeover broken: later compressed messages of this direction are dropped. */
  #loseWindow(): void {
    this.#inflater?.close();
    this.#inflater = undefined;
    this.#deflateBroken = true;
  }

  #frameEnd(): void {
    this.#state = 'header';
    if (this.#role === 'control') {
      const frame: ControlFrame = { opcode: this.#opcode as 8 | 9 | 10, length: this.#frameLen };
      const ctl = this.#ctl;
      if (this.#opcode === 8 && ctl && this.#frameLen >= 2 && this.#ctlLen === this.#frameLen) {
        frame.closeCode = (ctl[0]! << 8) | ctl[1]!;
      }
      this.#ctl = undefined;
      this.#sink.control(frame);
    } else if (this.#role === 'message' && this.#fin) this.#endMessage(true);
  }

  /** Ends the open message; `complete` when its final frame arrived (the deflate trailer is fed then). */
  #endMessage(complete: boolean): void {
    if (!this.#inMessage) return;
    if (this.#compressed && this.#inflater) {
      if (complete && !this.#inflateStopped) this.#inflate(MSG_TRAILER);
      // No context takeover, or a sender that ended its deflate stream (BFINAL): the next message starts afresh.
      if (this.#deflate?.noContextTakeover || (complete && this.#inflater?.trailing)) this.#inflater?.reset();
      else if (!complete) this.#loseWindow();
    }
    this.#inMessage = false;
    this.#sink.end();
  }

  #stop(code: string, message: string): void {
    this.#violation(code, this.#frameStart, message);
    this.#endMessage(false);
    this.#state = 'stopped';
    this.#inflater?.close();
    this.#inflater = undefined;
  }

  #violation(code: string, offset: number, message?: string): void {
    this.#sink.violation({ decoder: 'websocket', code, offset, ...(message ? { message } : {}) });
  }
}

/** XOR with the 4-byte mask, starting `at` bytes into the frame's payload; returns a new array. */
export function unmask(data: Uint8Array, mask: Uint8Array, at: number): Uint8Array {
  const out = new Uint8Array(data.length);
  const m0 = mask[at & 3]!;
  const m1 = mask[(at + 1) & 3]!;
  const m2 = mask[(at + 2) & 3]!;
  const m3 = mask[(at + 3) & 3]!;
  const n = data.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    out[i] = data[i]! ^ m0;
    out[i + 1] = data[i + 1]! ^ m1;
    out[i + 2] = data[i + 2]! ^ m2;
    out[i + 3] = data[i + 3]! ^ m3;
  }
  const tail = [m0, m1, m2];
  for (let k = 0; i < n; i++, k++) out[i] = data[i]! ^ tail[k]!;
  return out;
}

/** permessage-deflate parameters from a `Sec-WebSocket-Extensions` response header, per direction. */
export function negotiatedDeflate(extensions: string | undefined): { up?: DeflateParams; down?: DeflateParams } {
  if (!extensions) return {};
  for (const ext of extensions.split(',')) {
    const [name, ...params] = ext.split(';').map((s) => s.trim().toLowerCase());
    if (name !== 'permessage-deflate') continue;
    const has = (p: string) => params.some((x) => x.split('=')[0]!.trim() === p);
    return {
      up: { noContextTakeover: has('client_no_context_takeover') },
      down: { noContextTakeover: has('server_no_context_takeover') },
    };
  }
  return {};
}

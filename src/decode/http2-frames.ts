/**
 * HTTP/2 frames (RFC 9113 section 4, 6) of one direction, read incrementally from bytes in any chunking: the
 * client's connection preface, then 9-byte frame headers and their payloads. DATA payloads stream out as they
 * arrive (padding removed, never buffered); a header block (HEADERS or PUSH_PROMISE and its CONTINUATIONs) is
 * assembled whole, bounded by `maxHeaderBlockBytes` and `maxContinuations`; RST_STREAM, SETTINGS and GOAWAY are
 * read, PRIORITY, PING, WINDOW_UPDATE and unknown types skipped. Bad framing gives a violation: a frame longer
 * than the receiver's SETTINGS_MAX_FRAME_SIZE is reported and read on; anything that loses the frame boundary or
 * the header block (bad preface, CONTINUATION out of place, a block past its bound, bad padding, a gap outside
 * a DATA payload) stops the direction, since neither frames nor HPACK can resume after it.
 * Not here: HPACK (hpack.ts), streams and messages (src/streams/http2.ts).
 */

/** The client connection preface (RFC 9113 3.4). */
export const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Frame types read here. */
const DATA = 0x0;
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const PUSH_PROMISE = 0x5;
const GOAWAY = 0x7;
const CONTINUATION = 0x9;

const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;

/** SETTINGS_MAX_FRAME_SIZE's initial value (RFC 9113 6.5.2). */
export const HTTP2_DEFAULT_MAX_FRAME = 16_384;
/** A SETTINGS frame is read whole up to this (the initial max frame size); a longer one is skipped. */
const MAX_SETTINGS_PAYLOAD = HTTP2_DEFAULT_MAX_FRAME;

/** Where one direction's frames go. */
export interface Http2FrameSink {
  /** DATA payload bytes of a stream, padding removed (a view: copy to keep). */
  data(streamId: number, bytes: Uint8Array): void;
  /** DATA payload bytes of a stream lost in the capture. */
  dataGap(streamId: number, length: number): void;
  /** END_STREAM on a DATA frame, after its last bytes. */
  endStream(streamId: number): void;
  /** A whole header block: a HEADERS frame's (with END_STREAM), or a PUSH_PROMISE's with its promised stream. */
  headers(streamId: number, block: Uint8Array, endStream: boolean, promised?: number): void;
  reset(streamId: number, code: number): void;
  /** SETTINGS parameters (identifier, value) of a frame that is not an ACK. */
  settings(params: ReadonlyArray<readonly [number, number]>): void;
  goaway(lastStreamId: number, code: number): void;
  /** `offset`: where in this direction's bytes (gaps included). */
  violation(code: string, offset: number, message?: string): void;
}

export interface Http2FrameBounds {
  /** Bytes of one header block (all its frames' fragments). */
  maxHeaderBlockBytes: number;
  /** CONTINUATION frames after one HEADERS or PUSH_PROMISE. */
  maxContinuations: number;
}

type State = 'preface' | 'header' | 'pad-length' | 'data' | 'payload' | 'skip' | 'dead';

interface Block {
  streamId: number;
  parts: Uint8Array[];
  length: number;
  endStream: boolean;
  promised: number | undefined;
  continuations: number;
}

/** One direction's frame reader. */
export class Http2FrameReader {
  readonly #sink: Http2FrameSink;
  readonly #bounds: Http2FrameBounds;
  #state: State;
  /** Stream offset of the next byte (gaps included). */
  #pos = 0;
  #prefaceSeen = 0;
  readonly #head = new Uint8Array(9);
  #headLen = 0;
  // The current frame.
  #type = 0;
  #flags = 0;
  #stream = 0;
  #length = 0;
  #frameStart = 0;
  /** DATA: payload bytes still to come, then padding to skip. */
  #dataLeft = 0;
  #padLeft = 0;
  /** 'payload': the bytes kept, how many to keep, and how many to skip after. */
  #payload: Uint8Array = new Uint8Array(0);
  #payloadLen = 0;
  #skipAfter = 0;
  #skipLeft = 0;
  /** The header block being assembled across CONTINUATION frames. */
  #block: Block | undefined;
  /** The receiver's SETTINGS_MAX_FRAME_SIZE (set by the caller from the other direction's SETTINGS). */
  maxFrameBytes = HTTP2_DEFAULT_MAX_FRAME;

  /** `client`: this direction starts with the connection preface. */
  constructor(sink: Http2FrameSink, bounds: Http2FrameBounds, client: boolean) {
    this.#sink = sink;
    this.#bounds = bounds;
    this.#state = client ? 'preface' : 'header';
  }

  /** Stopped: the rest of this direction is not read. */
  get stopped(): boolean {
    return this.#state === 'dead';
  }

  /** Inside a header block: HEADERS seen, its END_HEADERS not yet. */
  get inBlock(): boolean {
    return this.#block !== undefined;
  }

  write(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length && this.#state !== 'dead') {
      const next = this.#step(bytes, off);
      this.#pos += next - off;
      off = next;
    }
  }

  /** Stops reading (the caller lost what it needs to go on: the HPACK table after a bad block). */
  stop(): void {
    this.#state = 'dead';
    this.#block = undefined;
  }

  /** The direction ended: a frame (or the header block) cut short is reported. */
  end(): void {
    if (this.#state === 'dead') return;
    const inFrame =
      !(this.#state === 'header' && this.#headLen === 0) && !(this.#state === 'preface' && this.#prefaceSeen === 0);
    if (inFrame || this.#block) this.#stop('truncated-frame', this.#frameStart);
  }

  /** `length` bytes lost: inside a DATA payload or skipped bytes the reader goes on, anywhere else it stops. */
  gap(length: number): void {
    if (this.#state === 'dead') return;
    if (this.#state === 'data' && length <= this.#dataLeft) {
      this.#sink.dataGap(this.#stream, length);
      this.#dataLeft -= length;
      this.#pos += length;
      if (this.#dataLeft === 0) this.#afterData();
      return;
    }
    if (this.#state === 'skip' && length <= this.#skipLeft) {
      this.#skipLeft -= length;
      this.#pos += length;
      if (this.#skipLeft === 0) this.#frameEnd();
      return;
    }
    this.#stop('gap', this.#pos, `${length} bytes lost outside a DATA payload`);
  }

  #step(bytes: Uint8Array, off: number): number {
    switch (this.#state) {
      case 'preface': {
        const n = Math.min(HTTP2_PREFACE.length - this.#prefaceSeen, bytes.length - off);
        for (let i = 0; i < n; i++) {
          if (bytes[off + i] !== HTTP2_PREFACE[this.#prefaceSeen + i]) {
            this.#stop('bad-preface', this.#pos + i);
            return off + i;
          }
        }
        this.#prefaceSeen += n;
        if (this.#prefaceSeen === HTTP2_PREFACE.length) this.#state = 'header';
        return off + n;
      }
      case 'header': {
        if (this.#headLen === 0) this.#frameStart = this.#pos;
        const n = Math.min(9 - this.#headLen, bytes.length - off);
        this.#head.set(bytes.subarray(off, off + n), this.#headLen);
        this.#headLen += n;
        if (this.#headLen === 9) this.#frameHeader();
        return off + n;
      }
      case 'pad-length': {
        this.#padLeft = bytes[off]!;
        if (this.#padLeft >= this.#length) {
          this.#stop('bad-padding', this.#pos);
          return off;
        }
        this.#dataLeft = this.#length - 1 - this.#padLeft;
        this.#state = 'data';
        if (this.#dataLeft === 0) this.#afterData();
        return off + 1;
      }
      case 'data': {
        const n = Math.min(this.#dataLeft, bytes.length - off);
        this.#sink.data(this.#stream, bytes.subarray(off, off + n));
        this.#dataLeft -= n;
        if (this.#dataLeft === 0) this.#afterData();
        return off + n;
      }
      case 'payload': {
        const n = Math.min(this.#payload.length - this.#payloadLen, bytes.length - off);
        this.#payload.set(bytes.subarray(off, off + n), this.#payloadLen);
        this.#payloadLen += n;
        if (this.#payloadLen === this.#payload.length) this.#payloadDone();
        return off + n;
      }
      case 'skip': {
        const n = Math.min(this.#skipLeft, bytes.length - off);
        this.#skipLeft -= n;
        if (this.#skipLeft === 0) this.#frameEnd();
        return off + n;
      }
      case 'dead':
        return bytes.length;
    }
  }

  #frameHeader(): void {
    const h = this.#head;
    this.#headLen = 0;
    this.#length = (h[0]! << 16) | (h[1]! << 8) | h[2]!;
    this.#type = h[3]!;
    this.#flags = h[4]!;
    this.#stream = ((h[5]! & 0x7f) << 24) | (h[6]! << 16) | (h[7]! << 8) | h[8]!;
    if (this.#block && (this.#type !== CONTINUATION || this.#stream !== this.#block.streamId)) {
      this.#stop('expected-continuation', this.#frameStart);
      return;
    }
    if (this.#length > this.maxFrameBytes)
      this.#sink.violation('frame-too-large', this.#frameStart, `${this.#length} > ${this.maxFrameBytes}`);
    switch (this.#type) {
      case DATA:
        if (this.#stream === 0) {
          this.#sink.violation('data-on-stream-0', this.#frameStart);
          this.#skip(this.#length);
        } else if (this.#flags & PADDED) {
          if (this.#length === 0) this.#stop('bad-padding', this.#frameStart);
          else this.#state = 'pad-length';
        } else {
          this.#padLeft = 0;
          this.#dataLeft = this.#length;
          this.#state = 'data';
          if (this.#length === 0) this.#afterData();
        }
        return;
      case HEADERS:
      case PUSH_PROMISE:
      case CONTINUATION: {
        if (this.#type === CONTINUATION && !this.#block) {
          this.#stop('unexpected-continuation', this.#frameStart);
          return;
        }
        const held = this.#block?.length ?? 0;
        if (held + this.#length > this.#bounds.maxHeaderBlockBytes) {
          this.#stop('header-block-too-large', this.#frameStart, `over ${this.#bounds.maxHeaderBlockBytes} bytes`);
          return;
        }
        if (this.#block && ++this.#block.continuations > this.#bounds.maxContinuations) {
          this.#stop(
            'continuation-flood',
            this.#frameStart,
            `over ${this.#bounds.maxContinuations} CONTINUATION frames`,
          );
          return;
        }
        this.#collect(this.#length, 0);
        return;
      }
      case RST_STREAM:
        this.#collect(Math.min(4, this.#length), this.#length - Math.min(4, this.#length));
        return;
      case GOAWAY:
        this.#collect(Math.min(8, this.#length), this.#length - Math.min(8, this.#length));
        return;
      case SETTINGS:
        if (this.#length > MAX_SETTINGS_PAYLOAD || this.#length % 6 !== 0) {
          this.#sink.violation('bad-settings', this.#frameStart, `${this.#length} bytes`);
          this.#skip(this.#length);
        } else this.#collect(this.#length, 0);
        return;
      default: // PRIORITY, PING, WINDOW_UPDATE and unknown types: nothing here needs them
        this.#skip(this.#length);
    }
  }

  #collect(keep: number, skipAfter: number): void {
    this.#payload = new Uint8Array(keep);
    this.#payloadLen = 0;
    this.#skipAfter = skipAfter;
    this.#state = 'payload';
    if (keep === 0) this.#payloadDone();
  }

  #skip(n: number): void {
    this.#skipLeft = n;
    this.#state = 'skip';
    if (n === 0) this.#frameEnd();
  }

  #payloadDone(): void {
    const p = this.#payload;
    this.#payload = new Uint8Array(0);
    switch (this.#type) {
      case HEADERS:
      case PUSH_PROMISE:
      case CONTINUATION:
        this.#fragment(p);
        break;
      case RST_STREAM:
        if (p.length === 4) this.#sink.reset(this.#stream, readU32(p, 0));
        else this.#sink.violation('bad-rst-stream', this.#frameStart);
        break;
      case GOAWAY:
        if (p.length === 8) this.#sink.goaway(readU32(p, 0) & 0x7fffffff, readU32(p, 4));
        else this.#sink.violation('bad-goaway', this.#frameStart);
        break;
      case SETTINGS:
        if (!(this.#flags & 0x1)) {
          const params: Array<readonly [number, number]> = [];
          for (let i = 0; i + 6 <= p.length; i += 6) params.push([(p[i]! << 8) | p[i + 1]!, readU32(p, i + 2)]);
          this.#sink.settings(params);
        }
        break;
    }
    if (this.#state === 'dead') return;
    this.#skip(this.#skipAfter);
  }

  /** A HEADERS, PUSH_PROMISE or CONTINUATION payload: its fragment joins the block, delivered at END_HEADERS. */
  #fragment(p: Uint8Array): void {
    let start = 0;
    let end = p.length;
    let promised: number | undefined;
    if (this.#type !== CONTINUATION) {
      const pad = this.#flags & PADDED ? (p[0] ?? 0) : 0;
      if (this.#flags & PADDED) start = 1;
      if (this.#type === HEADERS && this.#flags & PRIORITY) start += 5;
      if (this.#type === PUSH_PROMISE) {
        promised = p.length >= start + 4 ? readU32(p, start) & 0x7fffffff : 0;
        start += 4;
      }
      end = p.length - pad;
      if ((this.#flags & PADDED && p.length === 0) || end < start) {
        this.#stop('bad-padding', this.#frameStart);
        return;
      }
      if (this.#stream === 0) {
        this.#stop('headers-on-stream-0', this.#frameStart);
        return;
      }
      this.#block = {
        streamId: this.#stream,
        parts: [],
        length: 0,
        endStream: this.#type === HEADERS && (this.#flags & END_STREAM) !== 0,
        promised,
        continuations: 0,
      };
    }
    const block = this.#block!;
    block.parts.push(p.subarray(start, end));
    block.length += end - start;
    if (!(this.#flags & END_HEADERS)) return;
    this.#block = undefined;
    const whole = block.parts.length === 1 ? block.parts[0]! : Buffer.concat(block.parts);
    this.#sink.headers(block.streamId, whole, block.endStream, block.promised);
  }

  #afterData(): void {
    if (this.#padLeft > 0) this.#skip(this.#padLeft);
    else this.#frameEnd();
  }

  #frameEnd(): void {
    this.#state = 'header';
    if (this.#type === DATA && this.#stream !== 0 && this.#flags & END_STREAM) this.#sink.endStream(this.#stream);
    this.#type = -1;
  }

  #stop(code: string, offset: number, message?: string): void {
    this.#state = 'dead';
    this.#block = undefined;
    this.#sink.violation(code, offset, message);
  }
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

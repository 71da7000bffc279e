/**
 * The TLS record layer of the first flights, one instance per connection, fed each direction's bytes in any
 * chunking: clear-text handshake messages reassembled across records, alerts, ChangeCipherSpec, and the size of
 * encrypted records. It decrypts nothing and parses no handshake body (tls-hello.ts, x509-names.ts do); each side
 * stops at its first encrypted record, at a gap, at bad bytes (a violation) or after MAX_TLS_SCAN_BYTES.
 * The record header check and the handshake message assembler are shared with tls-decrypt/session.ts.
 */

import { DEFAULT_LIMITS, type Limits } from '../model/limits.ts';
import type { ViolationInput } from '../model/violation.ts';
import { ChunkList } from './chunk-list.ts';

/** The bounds of src/model/limits.ts the record reader enforces. */
export type TlsRecordLimits = Pick<Limits, 'MAX_TLS_SCAN_BYTES' | 'MAX_TLS_HANDSHAKE_BYTES'>;

/** RFC 8446 §5.2: a record's payload is at most 2^14 + 256 bytes (+ 2048 for TLS 1.2 ciphertext). */
export const MAX_RECORD_BYTES = (1 << 14) + 2048;

export type TlsSide = 'client' | 'server';

export const CONTENT_CHANGE_CIPHER_SPEC = 20;
export const CONTENT_ALERT = 21;
export const CONTENT_HANDSHAKE = 22;
export const CONTENT_APPLICATION_DATA = 23;

/** What the record reader found, in wire order per side. */
export interface TlsRecordEvents {
  handshake(side: TlsSide, type: number, body: Uint8Array): void;
  alert(side: TlsSide, level: number, description: number): void;
  /** A record this reader cannot read (after ChangeCipherSpec, or application data): its type and length. */
  encrypted(side: TlsSide, contentType: number, length: number): void;
  violation(v: ViolationInput): void;
}

/** The body length a 5-byte record header announces, or -1 when it is no TLS record header. */
export function recordLength(h: Uint8Array): number {
  const type = h[0] as number;
  const length = ((h[3] as number) << 8) | (h[4] as number);
  return type < CONTENT_CHANGE_CIPHER_SPEC || type > 24 || h[1] !== 3 || length > MAX_RECORD_BYTES ? -1 : length;
}

/** A record header for a violation message (numbers only, never content). */
export const recordHeaderText = (h: Uint8Array): string =>
  `record type ${h[0]}, version ${h[1]}.${h[2]}, length ${((h[3] as number) << 8) | (h[4] as number)}`;

/** One handshake message: `body` is absent when it was larger than the bound (its bytes are skipped). */
export interface HandshakeMessage {
  type: number;
  length: number;
  body?: Uint8Array;
}

/**
 * Handshake messages (1-byte type, 24-bit length, body) reassembled from the handshake records of one side, clear
 * or decrypted. A message larger than `maxBytes` is announced without its body and its bytes are dropped as they
 * come, so a huge certificate chain costs no memory.
 */
export class HandshakeAssembler {
  readonly #buf = new ChunkList();
  readonly #max: number;
  /** Bytes of an oversized message still to drop. */
  #skip = 0;

  constructor(maxBytes: number) {
    this.#max = maxBytes;
  }

  push(bytes: Uint8Array): void {
    this.#buf.push(bytes);
  }

  /** The next whole message, or undefined until more bytes come. */
  next(): HandshakeMessage | undefined {
    if (this.#skip > 0) {
      const n = Math.min(this.#skip, this.#buf.length);
      this.#buf.skip(n);
      this.#skip -= n;
      if (this.#skip > 0) return undefined;
    }
    if (this.#buf.length < 4) return undefined;
    const h = this.#buf.peek(4);
    const type = h[0] as number;
    const length = ((h[1] as number) << 16) | ((h[2] as number) << 8) | (h[3] as number);
    if (length > this.#max) {
      this.#buf.skip(4);
      this.#skip = length;
      return { type, length };
    }
    if (this.#buf.length < 4 + length) return undefined;
    this.#buf.skip(4);
    return { type, length, body: this.#buf.consume(length) };
  }
}

interface Side {
  buf: ChunkList;
  hs: HandshakeAssembler;
  /** Bytes of this side taken in so far. */
  seen: number;
  /** ChangeCipherSpec seen: later records are ciphertext. */
  cipher: boolean;
  stopped: boolean;
}

const newSide = (maxHandshake: number): Side => ({
  buf: new ChunkList(),
  hs: new HandshakeAssembler(maxHandshake),
  seen: 0,
  cipher: false,
  stopped: false,
});

export class TlsRecordReader {
  readonly #ev: TlsRecordEvents;
  readonly #sides: Record<TlsSide, Side>;
  readonly #maxScan: number;
  readonly #maxHandshake: number;

  constructor(events: TlsRecordEvents, limits: TlsRecordLimits = DEFAULT_LIMITS) {
    this.#ev = events;
    this.#maxScan = limits.MAX_TLS_SCAN_BYTES;
    this.#maxHandshake = limits.MAX_TLS_HANDSHAKE_BYTES;
    this.#sides = { client: newSide(this.#maxHandshake), server: newSide(this.#maxHandshake) };
  }

  /** Bytes of one direction. Kept by copy, so `chunk` may be a view the caller reuses. */
  write(side: TlsSide, chunk: Uint8Array): void {
    const s = this.#sides[side];
    if (s.stopped || chunk.length === 0) return;
    const take = Math.min(chunk.length, this.#maxScan - s.seen);
    s.seen += take;
    s.buf.push(chunk.slice(0, take));
    this.#records(side, s);
    if (!s.stopped && s.seen >= this.#maxScan) this.stop(side);
  }

  /** Stop reading a side (a gap in the capture, or nothing more to learn); its buffers are dropped. */
  stop(side: TlsSide): void {
    const s = this.#sides[side];
    s.stopped = true;
    s.buf = new ChunkList();
    s.hs = new HandshakeAssembler(this.#maxHandshake);
  }

  /** Both sides stopped: nothing this reader would report any more. */
  get done(): boolean {
    return this.#sides.client.stopped && this.#sides.server.stopped;
  }

  #records(side: TlsSide, s: Side): void {
    while (!s.stopped && s.buf.length >= 5) {
      const h = s.buf.peek(5);
      const type = h[0] as number;
      const length = recordLength(h);
      if (length < 0) {
        this.#fail(side, 'bad-record-header', recordHeaderText(h));
        return;
      }
      if (s.buf.length < 5 + length) return;
      s.buf.skip(5);
      const body = s.buf.consume(length);
      if (s.cipher || type === CONTENT_APPLICATION_DATA || type === 24) {
        this.#ev.encrypted(side, type, length);
        this.stop(side);
      } else if (type === CONTENT_CHANGE_CIPHER_SPEC) s.cipher = true;
      else if (type === CONTENT_ALERT) this.#alerts(side, body);
      else this.#handshake(side, s, body);
    }
  }

  #alerts(side: TlsSide, body: Uint8Array): void {
    if (body.length % 2 !== 0 || body.length === 0) {
      this.#fail(side, 'bad-alert', `alert record of ${body.length} bytes`);
      return;
    }
    for (let i = 0; i < body.length; i += 2) this.#ev.alert(side, body[i] as number, body[i + 1] as number);
  }

  #handshake(side: TlsSide, s: Side, body: Uint8Array): void {
    s.hs.push(body);
    for (let m = s.hs.next(); m !== undefined && !s.stopped; m = s.hs.next()) {
      if (m.body === undefined) {
        this.#fail(side, 'handshake-too-large', `handshake message type ${m.type} of ${m.length} bytes`);
        return;
      }
      this.#ev.handshake(side, m.type, m.body);
    }
  }

  #fail(side: TlsSide, code: string, message: string): void {
    this.#ev.violation({ decoder: 'tls', code, message: `${side}: ${message}`, offset: this.#sides[side].seen });
    this.stop(side);
  }
}

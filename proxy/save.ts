/**
 * `--save FILE.pcapng`: what the proxy relayed, as a capture Wireshark opens and `toyscope replay` analyzes.
 * Each connection becomes synthetic TCP between the device's and the cloud's real addresses (handshake, data
 * segments, FIN or RST), raw IP link type, microsecond times as relayed. The SYN carries a connection note
 * (src/capture/connection-note.ts) with source, host, TLS state and TLS metadata, which replay honours: an
 * intercepted HTTPS flow replays as `intercepted`. With `--save-tls` (a connection that carries its DeviceWire)
 * an intercepted connection is written as the device saw it instead: its real TLS bytes, preceded by a
 * Decryption Secrets Block with the leg's secrets (so Wireshark opens it decrypted and replay decrypts it), and
 * a note of TLS `none` (as on the wire) that keeps the live TLS metadata (the cloud's version, cipher,
 * certificate). Written through a fixed buffer with synchronous writes, so the tap never queues unbounded data.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { isIP } from 'node:net';
import { formatNote } from '../src/capture/connection-note.ts';
import { DSB_TLS_KEY_LOG } from '../src/decode/tls-keylog.ts';
import type { Micros } from '../src/model/flow.ts';
import type { StreamDir } from '../src/streams/types.ts';
import type { FlowTap, LiveConnection, OpenTap, TapEnd } from './tap.ts';

const LINKTYPE_RAW = 101;
const DSB = 10;
const BUFFER_BYTES = 1024 * 1024;
/** Payload per synthetic segment: well under IPv4's 64 KiB datagram. */
const SEGMENT_BYTES = 32 * 1024;
const SYN = 0x02;
const FIN = 0x01;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;

interface Side {
  addr: Uint8Array;
  port: number;
  seq: number;
}

export class PcapngSave {
  readonly #fd: number;
  readonly #buf = Buffer.allocUnsafe(BUFFER_BYTES);
  #used = 0;
  #closed = false;

  /** Creates (or truncates) `file` and writes the section and interface headers. */
  constructor(file: string) {
    this.#fd = openSync(file, 'w', 0o600);
    this.#block(0x0a0d0d0a, shbBody());
    this.#block(1, idbBody());
  }

  /** The tap that writes one connection. */
  readonly open: OpenTap = (conn) => this.#connection(conn);

  /** Writes what is buffered. */
  flush(): void {
    let at = 0;
    while (at < this.#used) at += writeSync(this.#fd, this.#buf, at, this.#used - at);
    this.#used = 0;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.flush();
    closeSync(this.#fd);
  }

  #connection(conn: LiveConnection): FlowTap {
    const { wire } = conn;
    const v6 = isIP(conn.client.ip) === 6 || isIP(conn.server.ip) === 6;
    const dev: Side = { addr: address(conn.client.ip, v6), port: conn.client.port, seq: 1_000 };
    const cloud: Side = { addr: address(conn.server.ip, v6), port: conn.server.port, seq: 5_000 };
    const note = formatNote({
      source: 'live',
      tls: wire ? 'none' : conn.tls,
      ...(conn.server.host ? { host: conn.server.host } : {}),
      ...(conn.tlsInfo ? { tlsInfo: conn.tlsInfo } : {}),
    });
    const ts = Math.min(conn.openTs, wire?.firstTs ?? conn.openTs);
    this.#segment(ts, dev, cloud, SYN, undefined, note, v6);
    dev.seq++;
    this.#segment(ts, cloud, dev, SYN | ACK, undefined, undefined, v6);
    cloud.seq++;
    this.#segment(ts, dev, cloud, ACK, undefined, undefined, v6);
    const data = (dir: StreamDir, bytes: Uint8Array, at: Micros) => {
      if (this.#closed) return;
      const [from, to] = dir === 'up' ? [dev, cloud] : [cloud, dev];
      for (let i = 0; i < bytes.length; i += SEGMENT_BYTES) {
        const part = bytes.subarray(i, i + SEGMENT_BYTES);
        this.#segment(at, from, to, PSH | ACK, part, undefined, v6);
        from.seq = (from.seq + part.length) >>> 0;
      }
    };
    wire?.attach({ data, secret: (line) => this.#secret(line) });
    return {
      // With the wire, the plaintext the relay taps is what the secrets decrypt: not written twice.
      data: wire ? () => {} : data,
      close: (at: Micros, end: TapEnd) => {
        wire?.detach();
        if (this.#closed) return;
        if (end.reason === 'fin') {
          this.#segment(at, dev, cloud, FIN | ACK, undefined, undefined, v6);
          dev.seq++;
          this.#segment(at, cloud, dev, FIN | ACK, undefined, undefined, v6);
          cloud.seq++;
          this.#segment(at, dev, cloud, ACK, undefined, undefined, v6);
        } else this.#segment(at, dev, cloud, RST | ACK, undefined, undefined, v6);
      },
    };
  }

  /** A Decryption Secrets Block of type TLSK holding one key log line, before the packets it decrypts. */
  #secret(line: Uint8Array): void {
    if (this.#closed) return;
    const body = Buffer.alloc(8 + pad4(line.length));
    body.writeUInt32LE(DSB_TLS_KEY_LOG, 0);
    body.writeUInt32LE(line.length, 4);
    body.set(line, 8);
    this.#block(DSB, body);
  }

  #segment(
    ts: Micros,
    from: Side,
    to: Side,
    flags: number,
    payload: Uint8Array | undefined,
    comment: string | undefined,
    v6: boolean,
  ) {
    const len = payload?.length ?? 0;
    const ipLen = (v6 ? 40 : 20) + 20 + len;
    const pkt = Buffer.alloc(ipLen - len);
    let o = 0;
    if (v6) {
      pkt.writeUInt32BE(0x60000000, 0);
      pkt.writeUInt16BE(20 + len, 4);
      pkt[6] = 6;
      pkt[7] = 64;
      pkt.set(from.addr, 8);
      pkt.set(to.addr, 24);
      o = 40;
    } else {
      pkt[0] = 0x45;
      pkt.writeUInt16BE(ipLen, 2);
      pkt[8] = 64;
      pkt[9] = 6;
      pkt.set(from.addr, 12);
      pkt.set(to.addr, 16);
      pkt.writeUInt16BE(ipv4Checksum(pkt), 10);
      o = 20;
    }
    pkt.writeUInt16BE(from.port, o);
    pkt.writeUInt16BE(to.port, o + 2);
    pkt.writeUInt32BE(from.seq >>> 0, o + 4);
    pkt.writeUInt32BE(flags & ACK ? to.seq >>> 0 : 0, o + 8);
    pkt[o + 12] = 5 << 4;
    pkt[o + 13] = flags;
    pkt.writeUInt16BE(65535, o + 14);
    this.#epb(ts, pkt, payload, comment);
  }

  /** An Enhanced Packet Block: interface 0, time in µs, the packet (header + payload) and an optional comment. */
  #epb(ts: Micros, head: Buffer, payload: Uint8Array | undefined, comment: string | undefined): void {
    const caplen = head.length + (payload?.length ?? 0);
    const opt = comment === undefined ? undefined : Buffer.from(comment, 'utf8');
    const optLen = opt ? 4 + pad4(opt.length) + 4 : 0;
    const total = 12 + 20 + pad4(caplen) + optLen;
    this.#reserve(total);
    const b = this.#buf;
    let o = this.#used;
    o = b.writeUInt32LE(6, o);
    o = b.writeUInt32LE(total, o);
    o = b.writeUInt32LE(0, o);
    o = b.writeUInt32LE(Math.floor(ts / 2 ** 32), o);
    o = b.writeUInt32LE(ts % 2 ** 32, o);
    o = b.writeUInt32LE(caplen, o);
    o = b.writeUInt32LE(caplen, o);
    o += head.copy(b, o);
    if (payload) {
      b.set(payload, o);
      o += payload.length;
    }
    o = zero(b, o, pad4(caplen) - caplen);
    if (opt) {
      o = b.writeUInt16LE(1, o);
      o = b.writeUInt16LE(opt.length, o);
      o += opt.copy(b, o);
      o = zero(b, o, pad4(opt.length) - opt.length);
      o = b.writeUInt32LE(0, o); // opt_endofopt
    }
    o = b.writeUInt32LE(total, o);
    this.#used = o;
  }

  #block(type: number, body: Buffer): void {
    const total = 12 + body.length;
    this.#reserve(total);
    let o = this.#buf.writeUInt32LE(type, this.#used);
    o = this.#buf.writeUInt32LE(total, o);
    o += body.copy(this.#buf, o);
    this.#used = this.#buf.writeUInt32LE(total, o);
  }

  /** Makes room for `n` bytes (a block larger than the buffer cannot occur: segments are at most 32 KiB). */
  #reserve(n: number): void {
    if (this.#used + n > BUFFER_BYTES) this.flush();
  }
}

function shbBody(): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(0x1a2b3c4d, 0);
  b.writeUInt16LE(1, 4);
  b.writeUInt16LE(0, 6);
  b.writeInt32LE(-1, 8); // section length unknown
  b.writeInt32LE(-1, 12);
  return b;
}

function idbBody(): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(LINKTYPE_RAW, 0);
  b.writeUInt32LE(0, 4); // no snap length
  return b;
}

/** An address as bytes; IPv4 mapped into IPv6 when the connection is written as IPv6. */
function address(ip: string, v6: boolean): Uint8Array {
  if (isIP(ip) === 4) {
    const v4 = Uint8Array.from(ip.split('.').map(Number));
    if (!v6) return v4;
    const out = new Uint8Array(16);
    out[10] = 0xff;
    out[11] = 0xff;
    out.set(v4, 12);
    return out;
  }
  const [head = '', tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = Number.parseInt(g, 16) || 0;
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

function ipv4Checksum(h: Buffer): number {
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (h[i]! << 8) | h[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const pad4 = (n: number) => (n + 3) & ~3;

function zero(b: Buffer, o: number, n: number): number {
  b.fill(0, o, o + n);
  return o + n;
}

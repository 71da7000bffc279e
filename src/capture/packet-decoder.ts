/**
 * One captured frame → link → IP → a TCP segment or a UDP datagram (with the MACs when the link has them),
 * or a skipped reason; a tunnel's payload (tunnels.ts: IP in IP, GRE, ERSPAN, VXLAN, GENEVE) is decoded again as
 * the frame inside, up to MAX_TUNNEL_DEPTH deep. Holds only IP fragment state; it does not reassemble TCP streams (tcp-reassembly.ts)
 * or group datagrams (udp.ts).
 */

import type { Micros } from '../model/flow.ts';
import type { Endpoint } from '../streams/types.ts';
import { IpDecoder, type IpDecoderOptions, PROTO_TCP, PROTO_UDP, protoName } from './ip.ts';
import { decodeLink, formatMac } from './link.ts';
import type { TcpSegment } from './tcp-reassembly.ts';
import { ipTunnel, MAX_TUNNEL_DEPTH, udpTunnel } from './tunnels.ts';
import type { RawPacket } from './types.ts';
import type { UdpDatagram } from './udp.ts';

/** Where decoded packets go. */
export interface PacketSink {
  tcp(seg: TcpSegment): void;
  udp(dgram: UdpDatagram): void;
  skipped(reason: string): void;
  /** Malformed or hostile IP fragments (decoder `ip`). */
  violation(code: string, message: string, ts: Micros): void;
}

export class PacketDecoder {
  readonly #sink: PacketSink;
  readonly #ip: IpDecoder;
  /** The last MAC pair seen, so that a capture between two hosts formats them once. */
  #macBytes = new Uint8Array(12);
  #macs: [string, string] | undefined;

  constructor(sink: PacketSink, opts?: IpDecoderOptions) {
    this.#sink = sink;
    this.#ip = new IpDecoder(sink, opts);
  }

  packet(p: RawPacket): void {
    const reason = this.#decode(p, p.linkType, p.data, 0);
    if (reason !== undefined) this.#sink.skipped(reason);
  }

  /** Emits the segment or datagram of frame `d` (`p`'s, or a tunnel's inside it); returns the skipped reason otherwise. */
  #decode(p: RawPacket, linkType: number, d: Uint8Array, depth: number): string | undefined {
    const link = decodeLink(linkType, d);
    if (typeof link === 'string') return link;
    const ip = this.#ip.decode(link.ip, d, link.offset, p.ts);
    if (ip === undefined || typeof ip === 'string') return ip;
    const [srcMac, dstMac] = this.#macPair(d, link.srcMacAt, link.dstMacAt);
    const pl = ip.payload;
    if (ip.proto === PROTO_TCP) {
      if (pl.length < 20) return 'truncated-tcp';
      const hl = (pl[12]! >> 4) * 4;
      if (hl < 20 || pl.length < hl) return 'bad-tcp-header';
      this.#sink.tcp({
        ts: p.ts,
        src: endpoint(ip.src, (pl[0]! << 8) | pl[1]!, srcMac),
        dst: endpoint(ip.dst, (pl[2]! << 8) | pl[3]!, dstMac),
        seq: ((pl[4]! << 24) | (pl[5]! << 16) | (pl[6]! << 8) | pl[7]!) >>> 0,
        ack: ((pl[8]! << 24) | (pl[9]! << 16) | (pl[10]! << 8) | pl[11]!) >>> 0,
        flags: pl[13]!,
        window: (pl[14]! << 8) | pl[15]!,
        data: pl.subarray(hl),
        len: pl.length - hl + ip.missing,
        ...(p.comment !== undefined ? { comment: p.comment } : {}),
      });
      return undefined;
    }
    if (ip.proto === PROTO_UDP) {
      if (pl.length < 8) return 'truncated-udp';
      const ulen = (pl[4]! << 8) | pl[5]!;
      // Length 0 happens for jumbograms and offloaded packets: take what the IP layer gave.
      const end = ulen >= 8 ? Math.min(ulen, pl.length) : pl.length;
      const dstPort = (pl[2]! << 8) | pl[3]!;
      const data = pl.subarray(8, end);
      const inner = udpTunnel(dstPort, data);
      if (inner)
        return depth < MAX_TUNNEL_DEPTH ? this.#decode(p, inner.linkType, inner.data, depth + 1) : 'tunnel-too-deep';
      this.#sink.udp({
        ts: p.ts,
        src: endpoint(ip.src, (pl[0]! << 8) | pl[1]!, srcMac),
        dst: endpoint(ip.dst, dstPort, dstMac),
        data,
      });
      return undefined;
    }
    const inner = ipTunnel(ip.proto, pl);
    if (typeof inner === 'string') return inner;
    if (inner)
      return depth < MAX_TUNNEL_DEPTH ? this.#decode(p, inner.linkType, inner.data, depth + 1) : 'tunnel-too-deep';
    return protoName(ip.proto);
  }

  /** End of capture: fragments still waiting are dropped as `ip-fragment-timeout`. */
  end(): void {
    this.#ip.expire(Number.POSITIVE_INFINITY);
  }

  #macPair(d: Uint8Array, srcAt: number, dstAt: number): [string | undefined, string | undefined] {
    if (srcAt < 0) return [undefined, undefined];
    if (dstAt < 0) return [formatMac(d, srcAt), undefined];
    const m = this.#macs;
    if (m !== undefined && sameBytes(this.#macBytes, d, srcAt, dstAt)) return m;
    if (m !== undefined && sameBytes(this.#macBytes, d, dstAt, srcAt)) return [m[1], m[0]];
    this.#macBytes.set(d.subarray(srcAt, srcAt + 6), 0);
    this.#macBytes.set(d.subarray(dstAt, dstAt + 6), 6);
    this.#macs = [formatMac(d, srcAt), formatMac(d, dstAt)];
    return this.#macs;
  }
}

/** True when the cached 12 bytes are the MAC at `aAt` then the MAC at `bAt`. */
function sameBytes(cache: Uint8Array, d: Uint8Array, aAt: number, bAt: number): boolean {
  for (let i = 0; i < 6; i++) if (cache[i] !== d[aAt + i] || cache[6 + i] !== d[bAt + i]) return false;
  return true;
}

/** The all-zero MAC of the loopback interface (and of a few broken drivers) names no device. */
const NO_MAC = '00:00:00:00:00:00';

function endpoint(ip: string, port: number, mac: string | undefined): Endpoint {
  return mac === undefined || mac === NO_MAC ? { ip, port } : { ip, port, mac };
}

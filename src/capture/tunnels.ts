/**
 * Tunnels a capture may hold a device's traffic in — a cloud's traffic mirror or an overlay network (VXLAN, GENEVE),
 * a switch's remote span (GRE, ERSPAN), an IPv6 transition or a VPN-less site link (IP in IP, 6in4) — so that the
 * packets inside are decoded as if captured where they were sent. Each function says what a payload carries: the
 * inner frame and its link type to decode again, a skipped reason, or undefined when it is no tunnel.
 */
import { LINKTYPE_ETHERNET, LINKTYPE_RAW } from './link.ts';

export interface InnerFrame {
  linkType: number;
  data: Uint8Array;
}

/** Tunnels inside tunnels read at most this deep (a hostile capture could nest them without end). */
export const MAX_TUNNEL_DEPTH = 4;

const PROTO_IPIP = 4;
const PROTO_IPV6_IN_IP = 41;
const PROTO_GRE = 47;
export const VXLAN_PORT = 4789;
export const GENEVE_PORT = 6081;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_TEB = 0x6558; // transparent Ethernet bridging: an Ethernet frame inside
const ETHERTYPE_ERSPAN_II = 0x88be;
const ETHERTYPE_ERSPAN_III = 0x22eb;

/** What an IP payload of protocol `proto` carries, when it is a tunnel. */
export function ipTunnel(proto: number, p: Uint8Array): InnerFrame | string | undefined {
  if (proto === PROTO_IPIP || proto === PROTO_IPV6_IN_IP) return { linkType: LINKTYPE_RAW, data: p };
  if (proto !== PROTO_GRE) return undefined;
  if (p.length < 4) return 'truncated-gre';
  const flags = p[0]!;
  if ((p[1]! & 0x07) !== 0) return 'gre-v1'; // PPTP's enhanced GRE: PPP inside, not read
  // Checksum (and its reserved half) when C or R is set, then key (K), then sequence number (S).
  const at = 4 + (flags & 0xc0 ? 4 : 0) + (flags & 0x20 ? 4 : 0) + (flags & 0x10 ? 4 : 0);
  if (p.length < at) return 'truncated-gre';
  return byType((p[2]! << 8) | p[3]!, p, at, 'gre');
}

/** What a UDP payload sent to `port` carries, when it is a VXLAN or GENEVE tunnel. */
export function udpTunnel(port: number, p: Uint8Array): InnerFrame | undefined {
  if (port === VXLAN_PORT && p.length >= 8 + 14 && (p[0]! & 0x08) !== 0) {
    return { linkType: LINKTYPE_ETHERNET, data: p.subarray(8) };
  }
  if (port === GENEVE_PORT && p.length >= 8 && p[0]! >> 6 === 0) {
    const inner = byType((p[2]! << 8) | p[3]!, p, 8 + (p[0]! & 0x3f) * 4, 'geneve');
    return typeof inner === 'object' ? inner : undefined;
  }
  return undefined;
}

function byType(type: number, p: Uint8Array, at: number, name: string): InnerFrame | string {
  if (p.length <= at) return `truncated-${name}`;
  if (type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6) return { linkType: LINKTYPE_RAW, data: p.subarray(at) };
  if (type === ETHERTYPE_TEB) return { linkType: LINKTYPE_ETHERNET, data: p.subarray(at) };
  // ERSPAN type II: an 8-byte header; type III: 12 bytes, and 8 more when its O bit says a subheader follows.
  if (type === ETHERTYPE_ERSPAN_II) return ethernetAt(p, at + 8, 'erspan');
  if (type === ETHERTYPE_ERSPAN_III) return ethernetAt(p, at + 12 + ((p[at + 11] ?? 0) & 0x01 ? 8 : 0), 'erspan');
  return `${name}-0x${type.toString(16).padStart(4, '0')}`;
}

function ethernetAt(p: Uint8Array, at: number, name: string): InnerFrame | string {
  return p.length < at + 14 ? `truncated-${name}` : { linkType: LINKTYPE_ETHERNET, data: p.subarray(at) };
}

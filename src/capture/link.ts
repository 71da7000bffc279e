/**
 * Link-layer decoding: finds the IP packet inside a captured frame for the link types replay supports
 * (Ethernet with stacked 802.1Q/802.1ad tags and PPPoE sessions, Linux cooked SLL and SLL2, raw IP, BSD
 * null/loopback, IPv4, IPv6, and 802.11 data frames with or without a radiotap header: a monitor-mode capture of an
 * open test network) and where the MAC addresses sit. It allocates nothing but its small result and does not parse
 * IP.
 */

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;
export const LINKTYPE_IEEE802_11 = 105;
export const LINKTYPE_IEEE802_11_RADIOTAP = 127;

const ETHERTYPE_PPPOE_SESSION = 0x8864;
/** PPP protocol numbers of IPv4 and IPv6 in a PPPoE session. */
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;

/** VLAN tags followed before giving up (stacked 802.1ad/802.1Q): a parse guard, the walk already ends with the frame. */
export const MAX_VLAN_TAGS = 8;

/** Where the IP packet starts in a frame and where its MAC addresses are. */
export interface LinkFrame {
  /** IP version of the payload. */
  ip: 4 | 6;
  /** Offset of the IP header in the frame. */
  offset: number;
  /** Offset of the 6-byte source MAC, or -1. */
  srcMacAt: number;
  /** Offset of the 6-byte destination MAC, or -1. */
  dstMacAt: number;
}

/** Decoded frame, or the `skipped` reason (`link-type-<n>`, `arp`, `ethertype-0x…`, `truncated-link`, …). */
export type LinkResult = LinkFrame | string;

const ETHERTYPE_NAMES: Record<number, string> = {
  2054: 'arp',
  32821: 'rarp',
  34958: 'eapol',
  35020: 'lldp',
  34915: 'pppoe-discovery',
};

export function decodeLink(linkType: number, d: Uint8Array): LinkResult {
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return ethernet(d);
    case LINKTYPE_LINUX_SLL:
      if (d.length < 16) return 'truncated-link';
      return byEtherType(d, (d[14]! << 8) | d[15]!, 16, sllMac(d, (d[2]! << 8) | d[3]!, (d[4]! << 8) | d[5]!, 6), -1);
    case LINKTYPE_LINUX_SLL2:
      if (d.length < 20) return 'truncated-link';
      return byEtherType(d, (d[0]! << 8) | d[1]!, 20, sllMac(d, (d[8]! << 8) | d[9]!, d[11]!, 12), -1);
    case LINKTYPE_IEEE802_11:
      return wlan(d, 0);
    case LINKTYPE_IEEE802_11_RADIOTAP:
      // Radiotap: version 0, then its own length (little-endian), then the 802.11 frame.
      if (d.length < 4 || d[0] !== 0) return 'truncated-link';
      return wlan(d, d[2]! | (d[3]! << 8));
    case LINKTYPE_RAW:
    case 12:
    case 14:
      return rawIp(d);
    case LINKTYPE_IPV4:
      return d.length > 0 && d[0]! >> 4 === 4 ? frame(4, 0) : 'bad-ip-version';
    case LINKTYPE_IPV6:
      return d.length > 0 && d[0]! >> 4 === 6 ? frame(6, 0) : 'bad-ip-version';
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP:
      return bsdLoopback(d);
    default:
      return `link-type-${linkType}`;
  }
}

function frame(ip: 4 | 6, offset: number, srcMacAt = -1, dstMacAt = -1): LinkFrame {
  return { ip, offset, srcMacAt, dstMacAt };
}

function ethernet(d: Uint8Array): LinkResult {
  let off = 12;
  for (let tags = 0; ; tags++) {
    if (d.length < off + 2) return 'truncated-link';
    const type = (d[off]! << 8) | d[off + 1]!;
    if (type === 0x8100 || type === 0x88a8 || type === 0x9100) {
      if (tags >= MAX_VLAN_TAGS) return 'vlan-too-deep';
      off += 4;
      continue;
    }
    return byEtherType(d, type, off + 2, 6, 0);
  }
}

function byEtherType(d: Uint8Array, type: number, offset: number, srcMacAt: number, dstMacAt: number): LinkResult {
  if (type === 0x0800) return frame(4, offset, srcMacAt, dstMacAt);
  if (type === 0x86dd) return frame(6, offset, srcMacAt, dstMacAt);
  if (type === ETHERTYPE_PPPOE_SESSION) return pppoe(d, offset, srcMacAt, dstMacAt);
  if (type < 0x0600) return 'llc';
  return ETHERTYPE_NAMES[type] ?? `ethertype-0x${type.toString(16).padStart(4, '0')}`;
}

/**
 * A PPPoE session frame (a capture on a DSL uplink): version/type 0x11, code 0, session id, length, then the PPP
 * protocol of the payload.
 */
function pppoe(d: Uint8Array, at: number, srcMacAt: number, dstMacAt: number): LinkResult {
  if (d.length < at + 8) return 'truncated-link';
  if (d[at] !== 0x11 || d[at + 1] !== 0) return 'pppoe-bad-header';
  const protocol = (d[at + 6]! << 8) | d[at + 7]!;
  if (protocol === PPP_IPV4) return frame(4, at + 8, srcMacAt, dstMacAt);
  if (protocol === PPP_IPV6) return frame(6, at + 8, srcMacAt, dstMacAt);
  return `ppp-0x${protocol.toString(16).padStart(4, '0')}`;
}

/**
 * An 802.11 frame at `at`: a data frame's payload after its LLC/SNAP header, the addresses by the To/From DS bits
 * (station → AP: source addr2, destination addr3; AP → station: destination addr1, source addr3; WDS: addr3 and
 * addr4). Management and control frames, data frames without data, protected (encrypted) frames and A-MSDUs are
 * skipped by name: a WPA-protected network's frames cannot be read without its keys.
 */
function wlan(d: Uint8Array, at: number): LinkResult {
  if (d.length < at + 24) return 'truncated-link';
  const fc0 = d[at]!;
  const fc1 = d[at + 1]!;
  if (((fc0 >> 2) & 3) !== 2) return 'wlan-not-data';
  const subtype = fc0 >> 4;
  if (subtype & 4) return 'wlan-no-data'; // null function, CF-Ack/Poll without data, QoS null
  if (fc1 & 0x40) return 'wlan-protected';
  const toDs = fc1 & 1;
  const fromDs = (fc1 >> 1) & 1;
  let hdr = at + (toDs && fromDs ? 30 : 24);
  if (subtype & 8) {
    if (d.length < hdr + 2) return 'truncated-link';
    if (d[hdr]! & 0x80) return 'wlan-amsdu';
    hdr += 2 + (fc1 & 0x80 ? 4 : 0); // QoS control, and HT control when the order bit says so
  }
  const src = at + (toDs && fromDs ? 24 : fromDs ? 16 : 10);
  const dst = at + (toDs ? 16 : 4);
  if (d.length < hdr + 8) return 'truncated-link';
  const snap = d[hdr] === 0xaa && d[hdr + 1] === 0xaa && d[hdr + 2] === 0x03;
  if (!snap || d[hdr + 3] !== 0 || d[hdr + 4] !== 0 || d[hdr + 5] !== 0) return 'llc';
  return byEtherType(d, (d[hdr + 6]! << 8) | d[hdr + 7]!, hdr + 8, src, dst);
}

/** Cooked captures carry the sender's link address: a MAC when ARPHRD is Ethernet (1) and it is 6 bytes. */
function sllMac(d: Uint8Array, arphrd: number, addrLen: number, at: number): number {
  return arphrd === 1 && addrLen === 6 && d.length >= at + 6 ? at : -1;
}

function rawIp(d: Uint8Array): LinkResult {
  if (d.length === 0) return 'truncated-link';
  const v = d[0]! >> 4;
  return v === 4 ? frame(4, 0) : v === 6 ? frame(6, 0) : 'bad-ip-version';
}

/** BSD null/loopback: a 4-byte address family, in the capturing host's byte order (NULL) or big-endian (LOOP). */
function bsdLoopback(d: Uint8Array): LinkResult {
  if (d.length < 4) return 'truncated-link';
  const le = d[0]! | (d[1]! << 8) | (d[2]! << 16) | (d[3]! << 24);
  const af = (le & 0xffff0000) !== 0 ? ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0 : le;
  if (af === 2) return frame(4, 4);
  if (af === 24 || af === 28 || af === 30) return frame(6, 4);
  return `loopback-af-${af}`;
}

/** `aa:bb:cc:dd:ee:ff` for the 6 bytes at `at`. */
export function formatMac(d: Uint8Array, at: number): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += (i ? ':' : '') + HEX[d[at + i]!];
  return s;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

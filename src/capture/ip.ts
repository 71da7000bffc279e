/**
 * IPv4 and IPv6 decoding down to the transport payload: IPv4 options skipped (the header checksum is not
 * checked: loopback captures carry offloaded checksums), IPv6 extension headers walked (hop-by-hop, routing,
 * destination options, AH, fragment), and fragments of either version reassembled with bounds (datagrams in
 * flight, fragments per datagram, a timeout in capture time). Hostile fragments are flagged, never trusted:
 * overlaps with conflicting bytes are a violation (the first copy wins, as in TCP); a fragment past 65,535 bytes,
 * past the end the last fragment set, with a length not a multiple of 8, or a fragment header inside a
 * reassembled IPv6 payload drops its datagram with a violation and a skipped reason.
 * It does not parse TCP or UDP; non-TCP/UDP protocols come back as a skipped reason named after the protocol.
 */
import type { Micros } from '../model/flow.ts';
import { DEFAULT_LIMITS, type Limits } from '../model/limits.ts';

/** The bounds of src/model/limits.ts fragment reassembly enforces. */
export type IpLimits = Pick<Limits, 'MAX_FRAGMENT_DATAGRAMS' | 'MAX_FRAGMENTS_PER_DATAGRAM' | 'FRAGMENT_TIMEOUT_US'>;

/** IPv6 extension headers followed before giving up (a parse guard: the walk already ends with the packet). */
export const MAX_IPV6_EXT_HEADERS = 16;

export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

/** A transport payload found in an IP packet (or reassembled from fragments). */
export interface IpPacket {
  version: 4 | 6;
  src: string;
  dst: string;
  /** IP protocol number of `payload` (6 TCP, 17 UDP). */
  proto: number;
  payload: Uint8Array;
  /** Bytes the IP header declares beyond what the capture kept (snap length). */
  missing: number;
}

/** Decoded packet, `undefined` for a fragment held for reassembly, or a skipped reason. */
export type IpResult = IpPacket | string | undefined;

/** Largest IP payload a reassembled datagram may have (the 16-bit length fields; jumbograms are not fragmented). */
export const MAX_DATAGRAM_BYTES = 65_535;

/** What the decoder reports besides packets. */
export interface IpEvents {
  /** Something not decoded (a fragment timeout or overflow, a dropped datagram): counted in `skipped`. */
  skipped(reason: string): void;
  /** Malformed or hostile fragments (`ip-fragment-overlap`, `ip-fragment-out-of-range` …), dated by capture time. */
  violation(code: string, message: string, ts: Micros): void;
}

const PROTO_NAMES: Record<number, string> = {
  1: 'icmp',
  2: 'igmp',
  4: 'ipip',
  41: 'ipv6-in-ip',
  47: 'gre',
  50: 'esp',
  58: 'icmpv6',
  59: 'ipv6-no-next-header',
  89: 'ospf',
  103: 'pim',
  112: 'vrrp',
  132: 'sctp',
};

/** The skipped reason for a protocol we do not follow (`icmp`, `ip-proto-253`, …). */
export function protoName(proto: number): string {
  return PROTO_NAMES[proto] ?? `ip-proto-${proto}`;
}

interface Pending {
  firstTs: Micros;
  version: 4 | 6;
  src: string;
  dst: string;
  proto: number;
  /** Total payload length, known once the last fragment arrived; else -1. */
  total: number;
  parts: Fragment[];
}

interface Fragment {
  off: number;
  bytes: Uint8Array;
}

export interface IpDecoderOptions {
  /** The run's limits; default DEFAULT_LIMITS. */
  limits?: IpLimits;
}

/** Stateful (fragments) IP decoder; `events` receive fragment timeouts, overflows and hostile fragments. */
export class IpDecoder {
  readonly #pending = new Map<string, Pending>();
  readonly #ev: IpEvents;
  readonly #timeout: number;
  readonly #maxDatagrams: number;
  readonly #maxFragments: number;
  readonly #v4Names = new Map<number, string>();
  /** The two most recent IPv6 addresses (a conversation's endpoints), formatted once. */
  readonly #v6Cache: Array<{ bytes: Uint8Array; name: string }> = [];
  #lastSweep = 0;

  constructor(events: IpEvents, opts: IpDecoderOptions = {}) {
    this.#ev = events;
    const limits = opts.limits ?? DEFAULT_LIMITS;
    this.#timeout = limits.FRAGMENT_TIMEOUT_US;
    this.#maxDatagrams = limits.MAX_FRAGMENT_DATAGRAMS;
    this.#maxFragments = limits.MAX_FRAGMENTS_PER_DATAGRAM;
  }

  decode(version: 4 | 6, d: Uint8Array, off: number, ts: Micros): IpResult {
    if (this.#pending.size > 0 && ts - this.#lastSweep > 1_000_000) this.expire(ts);
    return version === 4 ? this.#v4(d, off, ts) : this.#v6(d, off, ts);
  }

  /** Drops datagrams older than the timeout at `ts` (all of them with `Infinity`, at end of capture). */
  expire(ts: Micros): void {
    this.#lastSweep = ts;
    for (const [key, p] of this.#pending) {
      if (ts - p.firstTs <= this.#timeout) continue;
      this.#pending.delete(key);
      this.#ev.skipped('ip-fragment-timeout');
    }
  }

  #v4(d: Uint8Array, off: number, ts: Micros): IpResult {
    if (d.length < off + 20) return 'truncated-ip';
    const ihl = (d[off]! & 0x0f) * 4;
    if (ihl < 20 || d.length < off + ihl) return 'bad-ip-header';
    const declared = (d[off + 2]! << 8) | d[off + 3]!;
    // Total length 0: segmentation offload on the capturing host; the captured bytes are the packet.
    const end = declared === 0 ? d.length : off + declared;
    if (end < off + ihl) return 'bad-ip-header';
    const payload = d.subarray(off + ihl, Math.min(end, d.length));
    const missing = Math.max(0, end - d.length);
    const proto = d[off + 9]!;
    const src = this.#v4Name(d, off + 12);
    const dst = this.#v4Name(d, off + 16);
    const frag = (d[off + 6]! << 8) | d[off + 7]!;
    if ((frag & 0x3fff) === 0) return { version: 4, src, dst, proto, payload, missing };
    if (missing > 0) return 'ip-fragment-truncated';
    const id = (d[off + 4]! << 8) | d[off + 5]!;
    const key = `4|${src}|${dst}|${proto}|${id}`;
    const whole = this.#fragment(key, ts, 4, src, dst, proto, (frag & 0x1fff) * 8, (frag & 0x2000) !== 0, payload);
    return whole;
  }

  #v6(d: Uint8Array, off: number, ts: Micros): IpResult {
    if (d.length < off + 40) return 'truncated-ip';
    const plen = (d[off + 4]! << 8) | d[off + 5]!;
    const end = plen === 0 ? d.length : off + 40 + plen;
    const missing = Math.max(0, end - d.length);
    const src = this.#v6Name(d, off + 8);
    const dst = this.#v6Name(d, off + 24);
    return this.#walk6(d.subarray(off + 40, Math.min(end, d.length)), d[off + 6]!, src, dst, missing, ts);
  }

  /** Follows IPv6 extension headers from `nh` at the start of `p` (`reassembled`: a payload made of fragments). */
  #walk6(
    p: Uint8Array,
    nh: number,
    src: string,
    dst: string,
    missing: number,
    ts: Micros,
    reassembled = false,
  ): IpResult {
    let at = 0;
    for (let hops = 0; hops < MAX_IPV6_EXT_HEADERS; hops++) {
      if (nh === PROTO_TCP || nh === PROTO_UDP)
        return { version: 6, src, dst, proto: nh, payload: p.subarray(at), missing };
      if (nh !== 0 && nh !== 43 && nh !== 44 && nh !== 60 && nh !== 51) return protoName(nh);
      if (p.length < at + 8) return 'truncated-ip';
      const next = p[at]!;
      if (nh === 44) {
        if (reassembled) return this.#drop('ip-fragment-nested', 'a fragment header inside a reassembled payload', ts);
        const fo = (p[at + 2]! << 8) | p[at + 3]!;
        const body = p.subarray(at + 8);
        if ((fo & 0xfff9) === 0) {
          // Atomic fragment (offset 0, no more fragments): nothing to reassemble.
          p = body;
          at = 0;
          nh = next;
          continue;
        }
        if (missing > 0) return 'ip-fragment-truncated';
        const id = ((p[at + 4]! << 24) | (p[at + 5]! << 16) | (p[at + 6]! << 8) | p[at + 7]!) >>> 0;
        const whole = this.#fragment(`6|${src}|${dst}|${id}`, ts, 6, src, dst, next, fo & 0xfff8, (fo & 1) !== 0, body);
        if (!whole) return undefined;
        return this.#walk6(whole.payload, whole.proto, src, dst, 0, ts, true);
      }
      at += nh === 51 ? (p[at + 1]! + 2) * 4 : (p[at + 1]! + 1) * 8;
      nh = next;
    }
    return 'ipv6-too-many-headers';
  }

  /**
   * Stores one fragment; returns the whole payload once every byte from 0 to the last fragment's end is there.
   * A fragment that cannot belong to a valid datagram drops the datagram with a violation.
   */
  #fragment(
    key: string,
    ts: Micros,
    version: 4 | 6,
    src: string,
    dst: string,
    proto: number,
    off: number,
    more: boolean,
    bytes: Uint8Array,
  ): IpPacket | undefined {
    const end = off + bytes.length;
    if (end > MAX_DATAGRAM_BYTES) {
      this.#pending.delete(key);
      return this.#drop('ip-fragment-out-of-range', `fragment at ${off} + ${bytes.length} bytes ends past 65535`, ts);
    }
    if (more && bytes.length % 8 !== 0) {
      this.#pending.delete(key);
      return this.#drop(
        'ip-fragment-misaligned',
        `non-final fragment of ${bytes.length} bytes (not a multiple of 8)`,
        ts,
      );
    }
    let p = this.#pending.get(key);
    if (!p) {
      if (this.#pending.size >= this.#maxDatagrams) {
        const oldest = this.#pending.keys().next().value!;
        this.#pending.delete(oldest);
        this.#ev.skipped('ip-fragment-overflow');
      }
      p = { firstTs: ts, version, src, dst, proto, total: -1, parts: [] };
      this.#pending.set(key, p);
    }
    if (off === 0) p.proto = proto;
    if (p.parts.length >= this.#maxFragments) {
      this.#pending.delete(key);
      this.#ev.skipped('ip-fragment-overflow');
      return undefined;
    }
    const inconsistent = this.#inconsistency(p, end, more);
    if (inconsistent) {
      this.#pending.delete(key);
      return this.#drop('ip-fragment-inconsistent', inconsistent, ts);
    }
    if (!more) p.total = end;
    if (conflicts(p.parts, off, bytes)) {
      this.#ev.violation('ip-fragment-overlap', `fragment at ${off} overlaps earlier bytes with different ones`, ts);
    }
    p.parts.push({ off, bytes: bytes.slice() });
    if (p.total < 0 || !covered(p.parts, p.total)) return undefined;
    this.#pending.delete(key);
    const whole = new Uint8Array(p.total);
    // Written last-arrived first, so on overlaps the first copy wins (every part ends within the total).
    for (let i = p.parts.length - 1; i >= 0; i--) {
      const part = p.parts[i]!;
      whole.set(part.bytes, part.off);
    }
    return { version, src, dst, proto: p.proto, payload: whole, missing: 0 };
  }

  /** Why a fragment ending at `end` cannot join `p`: a second, different end, or bytes past the datagram's end. */
  #inconsistency(p: Pending, end: number, more: boolean): string | undefined {
    if (!more && p.total >= 0 && p.total !== end) return `two last fragments (ending at ${p.total} and ${end})`;
    const total = more ? p.total : end;
    if (total < 0) return undefined;
    if (end > total) return `fragment ending at ${end} is past the last one's end (${total})`;
    for (const part of p.parts) {
      if (part.off + part.bytes.length > total) return `fragment bytes past the datagram's end (${total})`;
    }
    return undefined;
  }

  /** A datagram dropped for a malformed fragment: a violation and a skipped reason of the same name. */
  #drop(code: string, message: string, ts: Micros): undefined {
    this.#ev.violation(code, message, ts);
    this.#ev.skipped(code);
    return undefined;
  }

  #v6Name(d: Uint8Array, at: number): string {
    for (const e of this.#v6Cache) if (sameAddress(e.bytes, d, at)) return e.name;
    const entry = { bytes: d.slice(at, at + 16), name: formatIpv6(d, at) };
    if (this.#v6Cache.unshift(entry) > 2) this.#v6Cache.pop();
    return entry.name;
  }

  #v4Name(d: Uint8Array, at: number): string {
    const n = ((d[at]! << 24) | (d[at + 1]! << 16) | (d[at + 2]! << 8) | d[at + 3]!) >>> 0;
    let s = this.#v4Names.get(n);
    if (s === undefined) {
      if (this.#v4Names.size >= 4096) this.#v4Names.clear();
      s = `${d[at]}.${d[at + 1]}.${d[at + 2]}.${d[at + 3]}`;
      this.#v4Names.set(n, s);
    }
    return s;
  }
}

function sameAddress(a: Uint8Array, d: Uint8Array, at: number): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== d[at + i]) return false;
  return true;
}

/** True when `bytes` at `off` overlap a stored fragment with different bytes. */
function conflicts(parts: readonly Fragment[], off: number, bytes: Uint8Array): boolean {
  const end = off + bytes.length;
  for (const p of parts) {
    const from = Math.max(off, p.off);
    const to = Math.min(end, p.off + p.bytes.length);
    for (let i = from; i < to; i++) if (bytes[i - off] !== p.bytes[i - p.off]) return true;
  }
  return false;
}

function covered(parts: readonly Fragment[], total: number): boolean {
  const sorted = [...parts].sort((a, b) => a.off - b.off);
  let reach = 0;
  for (const p of sorted) {
    if (p.off > reach) return false;
    reach = Math.max(reach, p.off + p.bytes.length);
  }
  return reach >= total;
}

/** RFC 5952 text form of the 16 bytes at `at`: lower case, longest zero run (≥ 2 groups) as `::`. */
export function formatIpv6(d: Uint8Array, at: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((d[at + 2 * i]! << 8) | d[at + 2 * i + 1]!);
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${d[at + 12]}.${d[at + 13]}.${d[at + 14]}.${d[at + 15]}`;
  }
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) =>
    g
      .slice(from, to)
      .map((x) => x.toString(16))
      .join(':');
  return best < 0 ? hex(0, 8) : `${hex(0, best)}::${hex(best + bestLen, 8)}`;
}

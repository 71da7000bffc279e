/**
 * Builds capture bytes for tests and benches: Ethernet (with VLAN tags), IPv4 (with fragments), IPv6 (with
 * extension headers), TCP and UDP packets, and whole pcap / pcapng files. Checksums are filled in for IPv4
 * headers only (the readers do not check TCP/UDP checksums). It is a writer for synthetic traffic, not a
 * general packet crafting library.
 */

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

const enc = new TextEncoder();

/** Bytes of a string (UTF-8) or the bytes themselves. */
export const bytesOf = (b: Uint8Array | string): Uint8Array => (typeof b === 'string' ? enc.encode(b) : b);

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function parseIpv4(s: string): Uint8Array {
  return Uint8Array.from(s.split('.').map(Number));
}

export function parseIpv6(s: string): Uint8Array {
  const [head = '', tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = Number.parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

export function parseMac(s: string): Uint8Array {
  return Uint8Array.from(s.split(':').map((x) => Number.parseInt(x, 16)));
}

export interface EthernetOptions {
  src?: string;
  dst?: string;
  /** VLAN ids, outermost first; the outermost uses 0x88a8 when `qinq` is set. */
  vlans?: number[];
  qinq?: boolean;
}

export function ethernet(etherType: number, payload: Uint8Array, o: EthernetOptions = {}): Uint8Array {
  const tags = o.vlans ?? [];
  const out = new Uint8Array(14 + 4 * tags.length + payload.length);
  out.set(parseMac(o.dst ?? '02:00:00:00:00:02'), 0);
  out.set(parseMac(o.src ?? '02:00:00:00:00:01'), 6);
  let at = 12;
  tags.forEach((vid, i) => {
    const tpid = i === 0 && o.qinq ? 0x88a8 : 0x8100;
    out.set([tpid >> 8, tpid & 0xff, (vid >> 8) & 0x0f, vid & 0xff], at);
    at += 4;
  });
  out.set([etherType >> 8, etherType & 0xff], at);
  out.set(payload, at + 2);
  return out;
}

export interface Ipv4Options {
  src: string;
  dst: string;
  proto: number;
  id?: number;
  /** More-fragments flag. */
  mf?: boolean;
  /** Fragment offset in bytes (multiple of 8). */
  fragOffset?: number;
  /** Override the total length field (0 = offloaded). */
  totalLength?: number;
  options?: Uint8Array;
}

export function ipv4(payload: Uint8Array, o: Ipv4Options): Uint8Array {
  const opts = o.options ?? new Uint8Array(0);
  const hl = 20 + opts.length;
  const out = new Uint8Array(hl + payload.length);
  const total = o.totalLength ?? out.length;
  const frag = ((o.mf ? 0x2000 : 0) | ((o.fragOffset ?? 0) >> 3)) & 0xffff;
  const id = o.id ?? 1;
  out.set([0x40 | (hl >> 2), 0, total >> 8, total & 0xff, id >> 8, id & 0xff, frag >> 8, frag & 0xff, 64, o.proto]);
  out.set(parseIpv4(o.src), 12);
  out.set(parseIpv4(o.dst), 16);
  out.set(opts, 20);
  let sum = 0;
  for (let i = 0; i < hl; i += 2) sum += (out[i]! << 8) | out[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  const ck = ~sum & 0xffff;
  out[10] = ck >> 8;
  out[11] = ck & 0xff;
  out.set(payload, hl);
  return out;
}

/** An IPv6 extension header (hop-by-hop 0, routing 43, destination options 60): 8 bytes, padded. */
export function ext6(next: number, body = new Uint8Array(6)): Uint8Array {
  const len = Math.ceil((body.length + 2) / 8) * 8;
  const out = new Uint8Array(len);
  out[0] = next;
  out[1] = len / 8 - 1;
  out.set(body, 2);
  return out;
}

/** An IPv6 fragment header. */
export function frag6(next: number, offset: number, more: boolean, id: number): Uint8Array {
  const fo = offset | (more ? 1 : 0);
  return Uint8Array.from([next, 0, fo >> 8, fo & 0xff, id >>> 24, (id >> 16) & 0xff, (id >> 8) & 0xff, id & 0xff]);
}

/** IPv6 packet; `next` is the first next-header value (extension headers go at the start of `payload`). */
export function ipv6(payload: Uint8Array, o: { src: string; dst: string; next: number }): Uint8Array {
  const out = new Uint8Array(40 + payload.length);
  out.set([0x60, 0, 0, 0, payload.length >> 8, payload.length & 0xff, o.next, 64]);
  out.set(parseIpv6(o.src), 8);
  out.set(parseIpv6(o.dst), 24);
  out.set(payload, 40);
  return out;
}

export interface TcpOptions {
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  flags: number;
  window?: number;
}

export function tcp(payload: Uint8Array, o: TcpOptions): Uint8Array {
  const out = new Uint8Array(20 + payload.length);
  const w = o.window ?? 65535;
  const ack = o.ack ?? 0;
  out.set([o.sport >> 8, o.sport & 0xff, o.dport >> 8, o.dport & 0xff]);
  out.set([o.seq >>> 24, (o.seq >> 16) & 0xff, (o.seq >> 8) & 0xff, o.seq & 0xff], 4);
  out.set([ack >>> 24, (ack >> 16) & 0xff, (ack >> 8) & 0xff, ack & 0xff], 8);
  out.set([0x50, o.flags, w >> 8, w & 0xff], 12);
  out.set(payload, 20);
  return out;
}

export function udp(payload: Uint8Array, o: { sport: number; dport: number }): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  const len = out.length;
  out.set([o.sport >> 8, o.sport & 0xff, o.dport >> 8, o.dport & 0xff, len >> 8, len & 0xff, 0, 0]);
  out.set(payload, 8);
  return out;
}

/** A TCP segment in IPv4 or IPv6 (by the address form) inside Ethernet. */
export function tcpFrame(
  o: TcpOptions & { src: string; dst: string; payload?: Uint8Array | string; eth?: EthernetOptions },
): Uint8Array {
  const seg = tcp(bytesOf(o.payload ?? ''), o);
  const v6 = o.src.includes(':');
  const ip = v6 ? ipv6(seg, { src: o.src, dst: o.dst, next: 6 }) : ipv4(seg, { src: o.src, dst: o.dst, proto: 6 });
  return ethernet(v6 ? 0x86dd : 0x0800, ip, o.eth);
}

/** A UDP datagram in IPv4 or IPv6 inside Ethernet. */
export function udpFrame(o: {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  payload: Uint8Array | string;
  eth?: EthernetOptions;
}): Uint8Array {
  const dg = udp(bytesOf(o.payload), o);
  const v6 = o.src.includes(':');
  const ip = v6 ? ipv6(dg, { src: o.src, dst: o.dst, next: 17 }) : ipv4(dg, { src: o.src, dst: o.dst, proto: 17 });
  return ethernet(v6 ? 0x86dd : 0x0800, ip, o.eth);
}

/** One frame to write: `ts` in microseconds. */
export interface Frame {
  ts: number;
  data: Uint8Array;
  /** Original length when the frame was cut (default data.length). */
  origLen?: number;
}

export interface PcapOptions {
  linkType?: number;
  nanos?: boolean;
  bigEndian?: boolean;
  snaplen?: number;
}

export function pcapHeader(o: PcapOptions = {}): Uint8Array {
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  const le = !o.bigEndian;
  v.setUint32(0, o.nanos ? 0xa1b23c4d : 0xa1b2c3d4, le);
  v.setUint16(4, 2, le);
  v.setUint16(6, 4, le);
  v.setUint32(16, o.snaplen ?? 262144, le);
  v.setUint32(20, o.linkType ?? 1, le);
  return b;
}

export function pcapRecord(f: Frame, o: PcapOptions = {}): Uint8Array {
  const b = new Uint8Array(16 + f.data.length);
  const v = new DataView(b.buffer);
  const le = !o.bigEndian;
  const sec = Math.floor(f.ts / 1e6);
  const us = f.ts - sec * 1e6;
  v.setUint32(0, sec, le);
  v.setUint32(4, o.nanos ? us * 1000 : us, le);
  v.setUint32(8, f.data.length, le);
  v.setUint32(12, f.origLen ?? f.data.length, le);
  b.set(f.data, 16);
  return b;
}

export function pcapFile(frames: Frame[], o: PcapOptions = {}): Uint8Array {
  return concat([pcapHeader(o), ...frames.map((f) => pcapRecord(f, o))]);
}

/** A pcapng block: type, length, body padded to 4, trailing length. */
export function pcapngBlock(type: number, body: Uint8Array, le = true): Uint8Array {
  const padded = Math.ceil(body.length / 4) * 4;
  const b = new Uint8Array(12 + padded);
  const v = new DataView(b.buffer);
  v.setUint32(0, type, le);
  v.setUint32(4, b.length, le);
  b.set(body, 8);
  v.setUint32(b.length - 4, b.length, le);
  return b;
}

/** pcapng options list: [code, value] pairs, then opt_endofopt. */
export function pcapngOptions(opts: Array<[number, Uint8Array]>, le = true): Uint8Array {
  const parts = opts.map(([code, val]) => {
    const b = new Uint8Array(4 + Math.ceil(val.length / 4) * 4);
    const v = new DataView(b.buffer);
    v.setUint16(0, code, le);
    v.setUint16(2, val.length, le);
    b.set(val, 4);
    return b;
  });
  return concat([...parts, new Uint8Array(4)]);
}

export function shb(le = true, options?: Uint8Array): Uint8Array {
  const body = new Uint8Array(16 + (options?.length ?? 0));
  const v = new DataView(body.buffer);
  v.setUint32(0, 0x1a2b3c4d, le);
  v.setUint16(4, 1, le);
  v.setUint16(6, 0, le);
  v.setInt32(8, -1, le);
  v.setInt32(12, -1, le);
  if (options) body.set(options, 16);
  return pcapngBlock(0x0a0d0d0a, body, le);
}

export function idb(linkType: number, o: { snaplen?: number; tsresol?: number; tsoffset?: number; le?: boolean } = {}) {
  const le = o.le ?? true;
  const opts: Array<[number, Uint8Array]> = [];
  if (o.tsresol !== undefined) opts.push([9, Uint8Array.of(o.tsresol)]);
  if (o.tsoffset !== undefined) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, BigInt(o.tsoffset), le);
    opts.push([14, b]);
  }
  const head = new Uint8Array(8);
  const v = new DataView(head.buffer);
  v.setUint16(0, linkType, le);
  v.setUint32(4, o.snaplen ?? 0, le);
  return pcapngBlock(1, concat([head, opts.length ? pcapngOptions(opts, le) : new Uint8Array(0)]), le);
}

/** Enhanced Packet Block; `units` is the timestamp in the interface's resolution (a bigint for large values). */
export function epb(
  ifId: number,
  units: bigint,
  data: Uint8Array,
  o: { le?: boolean; origLen?: number; options?: Uint8Array } = {},
) {
  const le = o.le ?? true;
  const head = new Uint8Array(20);
  const v = new DataView(head.buffer);
  v.setUint32(0, ifId, le);
  v.setUint32(4, Number(units >> 32n), le);
  v.setUint32(8, Number(units & 0xffffffffn), le);
  v.setUint32(12, data.length, le);
  v.setUint32(16, o.origLen ?? data.length, le);
  const padded = new Uint8Array(Math.ceil(data.length / 4) * 4);
  padded.set(data);
  return pcapngBlock(6, concat([head, padded, o.options ?? new Uint8Array(0)]), le);
}

/** Obsolete Packet Block (type 2). */
export function opb(ifId: number, units: bigint, data: Uint8Array, le = true): Uint8Array {
  const b = epb(ifId, units, data, { le });
  const v = new DataView(b.buffer);
  v.setUint32(0, 2, le);
  v.setUint16(8, ifId, le);
  v.setUint16(10, 0, le);
  return b;
}

/** Simple Packet Block (type 3). */
export function spb(data: Uint8Array, origLen = data.length, le = true): Uint8Array {
  const head = new Uint8Array(4);
  new DataView(head.buffer).setUint32(0, origLen, le);
  const padded = new Uint8Array(Math.ceil(data.length / 4) * 4);
  padded.set(data);
  return pcapngBlock(3, concat([head, padded]), le);
}

/** Decryption Secrets Block (type 10). */
export function dsb(secretsType: number, secrets: Uint8Array, le = true): Uint8Array {
  const head = new Uint8Array(8);
  const v = new DataView(head.buffer);
  v.setUint32(0, secretsType, le);
  v.setUint32(4, secrets.length, le);
  const padded = new Uint8Array(Math.ceil(secrets.length / 4) * 4);
  padded.set(secrets);
  return pcapngBlock(10, concat([head, padded]), le);
}

/**
 * A whole TCP conversation as frames: handshake, then each [dir, payload] exchange as one segment, then FIN/ACK.
 * Sequence numbers start at `isn` (client) and `isn + 100000` (server), wrapping at 2^32.
 */
export function tcpConversation(o: {
  client: string;
  server: string;
  cport: number;
  sport: number;
  exchanges: Array<['up' | 'down', Uint8Array | string]>;
  ts?: number;
  isn?: number;
  eth?: EthernetOptions;
  close?: 'fin' | 'rst' | 'none';
}): Frame[] {
  let ts = o.ts ?? 1_700_000_000_000_000;
  let cseq = (o.isn ?? 1000) >>> 0;
  let sseq = (cseq + 100000) >>> 0;
  const frames: Frame[] = [];
  const c = { src: o.client, dst: o.server, sport: o.cport, dport: o.sport, eth: o.eth };
  const s = { src: o.server, dst: o.client, sport: o.sport, dport: o.cport, eth: o.eth };
  const push = (data: Uint8Array) => frames.push({ ts: ts++, data });
  push(tcpFrame({ ...c, seq: cseq, flags: SYN }));
  push(tcpFrame({ ...s, seq: sseq, ack: cseq + 1, flags: SYN | ACK }));
  cseq = (cseq + 1) >>> 0;
  sseq = (sseq + 1) >>> 0;
  for (const [dir, p] of o.exchanges) {
    const payload = bytesOf(p);
    if (dir === 'up') {
      push(tcpFrame({ ...c, seq: cseq, ack: sseq, flags: ACK | PSH, payload }));
      cseq = (cseq + payload.length) >>> 0;
    } else {
      push(tcpFrame({ ...s, seq: sseq, ack: cseq, flags: ACK | PSH, payload }));
      sseq = (sseq + payload.length) >>> 0;
    }
  }
  if (o.close === 'rst') push(tcpFrame({ ...c, seq: cseq, flags: RST }));
  else if (o.close !== 'none') {
    push(tcpFrame({ ...c, seq: cseq, ack: sseq, flags: FIN | ACK }));
    push(tcpFrame({ ...s, seq: sseq, ack: cseq + 1, flags: FIN | ACK }));
    push(tcpFrame({ ...c, seq: cseq + 1, ack: sseq + 1, flags: ACK }));
  }
  return frames;
}

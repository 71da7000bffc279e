/**
 * TCP reassembly: per connection and direction, segments in → ordered stream bytes out (TcpStreamEvents).
 * Finds the client from SYN / SYN-ACK (else guesses it mid-stream: the lower or well-known port serves), queues
 * out-of-order segments and releases them in sequence order, trims retransmissions and overlaps (the first copy
 * wins; an overlap whose bytes differ from those already delivered is reported through `conflict`, as Suricata
 * does, since a device or an attacker can hide data that way), follows sequence wrap-around, closes on both FINs,
 * RST, idle time (capture clock) or end of capture. A SYN on a 4-tuple whose connection closed, went idle or
 * already carried data opens a new connection (captures concatenated with mergecap reuse ports and go back in
 * time). Bounded: out-of-order bytes per direction and in total (least recently used connection flushed with
 * gaps), connections at once, and the delivered bytes kept to compare overlaps (per direction and in total). In-order bytes are emitted as views of the captured packets (readers never overwrite
 * them); only queued out-of-order bytes are copied. It does not look at payloads (handlers do) and does not check
 * TCP checksums.
 */
import type { Micros } from '../model/flow.ts';
import { DEFAULT_LIMITS, type Limits } from '../model/limits.ts';
import type { Endpoint, StreamDir } from '../streams/types.ts';
import type { TcpCloseReason, TcpConn, TcpStreamEvents } from './types.ts';
import { flowKey } from './udp.ts';

/** Capture time a closed connection is remembered, so that its trailing ACKs do not open a new one. */
export const TCP_CLOSED_LINGER_US = 30_000_000;

/** The bounds of src/model/limits.ts the reassembler enforces. */
export type TcpLimits = Pick<
  Limits,
  | 'MAX_OOO_BYTES_PER_DIR'
  | 'MAX_OOO_BYTES_TOTAL'
  | 'MAX_TCP_CONNECTIONS'
  | 'TCP_IDLE_TIMEOUT_US'
  | 'MAX_TCP_OVERLAP_CHECK_BYTES'
  | 'MAX_TCP_OVERLAP_CHECK_TOTAL'
>;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

/** One decoded TCP segment, as packet-decoder.ts makes it. `data` may be a view: the reassembler copies what it queues. */
export interface TcpSegment {
  ts: Micros;
  src: Endpoint;
  dst: Endpoint;
  seq: number;
  ack: number;
  /** TCP flag byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10 …). */
  flags: number;
  window: number;
  /** Captured payload. */
  data: Uint8Array;
  /** Payload length the packet declared (≥ data.length when the snap length cut it). */
  len: number;
  /** The packet's pcapng comment, if any. */
  comment?: string;
}

export interface TcpReassemblerOptions {
  /** The run's limits; default DEFAULT_LIMITS. */
  limits?: TcpLimits;
  /** Id source shared with UDP so that flow ids stay unique in one replay; default 1, 2, 3 … */
  nextId?: () => number;
  /** Payload the reassembler could not place (data after a connection closed), for the replay's `skipped`. */
  skipped?: (reason: string) => void;
}

interface Queued {
  seq: number;
  data: Uint8Array;
  len: number;
}

/** One direction of a connection. */
interface Half {
  /** Next expected sequence number, or -1 before the first segment of this direction. */
  next: number;
  queue: Queued[];
  queued: number;
  /** Sequence number of the FIN, or -1. */
  fin: number;
  done: boolean;
  /**
   * The last delivered bytes (a ring indexed by sequence number), to compare overlapping retransmissions with;
   * undefined until the first delivery, null when the total bound left none for this direction.
   */
  tail: Uint8Array | null | undefined;
  /** Valid bytes in `tail`, ending at `next`. */
  tailLen: number;
  /** A conflicting overlap was already reported for this direction. */
  conflicted: boolean;
}

interface Conn {
  key: string;
  info: TcpConn;
  up: Half;
  down: Half;
  lastTs: Micros;
  closed: boolean;
  /** Sequence number of the client's SYN, or -1 when none was seen. */
  synSeq: number;
  /** Payload, FIN or RST seen: a SYN now starts another connection, even with the same sequence number. */
  used: boolean;
}

/** The queue of a direction with nothing out of order (most of them): shared, never written to. */
const NO_QUEUE: Queued[] = [];

/** Signed distance a − b in sequence space (wrap-around safe within ±2^31). */
const seqDiff = (a: number, b: number): number => (a - b) | 0;

export class TcpReassembler {
  /** Connections by 4-tuple, least recently active first (a connection moves to the end when a segment comes). */
  readonly #conns = new Map<string, Conn>();
  /** Key of the connection the previous segment belonged to: already at the end of #conns. */
  #lastKey = '';
  /** Connections holding out-of-order data, least recently used first. */
  readonly #queued = new Map<string, Conn>();
  readonly #ev: TcpStreamEvents;
  readonly #maxDir: number;
  readonly #maxTotal: number;
  readonly #idle: number;
  readonly #maxConns: number;
  readonly #nextId: () => number;
  readonly #skipped: ((reason: string) => void) | undefined;
  readonly #tailBytes: number;
  readonly #tailTotal: number;
  #total = 0;
  #tails = 0;
  #lastSweep = 0;

  constructor(events: TcpStreamEvents, opts: TcpReassemblerOptions = {}) {
    this.#ev = events;
    const limits = opts.limits ?? DEFAULT_LIMITS;
    this.#maxDir = limits.MAX_OOO_BYTES_PER_DIR;
    this.#maxTotal = limits.MAX_OOO_BYTES_TOTAL;
    this.#idle = limits.TCP_IDLE_TIMEOUT_US;
    this.#maxConns = limits.MAX_TCP_CONNECTIONS;
    // A power of two, so that a sequence number (mod 2^32) indexes the ring directly.
    this.#tailBytes = 2 ** Math.floor(Math.log2(Math.max(1, limits.MAX_TCP_OVERLAP_CHECK_BYTES)));
    this.#tailTotal = limits.MAX_TCP_OVERLAP_CHECK_TOTAL;
    let n = 0;
    this.#nextId = opts.nextId ?? (() => ++n);
    this.#skipped = opts.skipped;
  }

  /** Out-of-order bytes queued right now, across connections. */
  get queuedBytes(): number {
    return this.#total;
  }

  /** Connections tracked (open, or closed and lingering). */
  get size(): number {
    return this.#conns.size;
  }

  segment(seg: TcpSegment): void {
    const ts = seg.ts;
    if (ts - this.#lastSweep > Math.min(this.#idle, TCP_CLOSED_LINGER_US) / 4) this.expire(ts);
    const key = flowKey(seg.src, seg.dst);
    const syn = (seg.flags & TCP_SYN) !== 0;
    const synOnly = syn && (seg.flags & TCP_ACK) === 0;
    let c = this.#conns.get(key);
    if (c && !c.closed && ts - c.lastTs > this.#idle) {
      // Idle past the timeout (the periodic sweep had not come by yet): whatever comes now is a new connection.
      this.#close(c, ts, 'idle');
      this.#conns.delete(key);
      c = undefined;
    }
    if (c?.closed) {
      c.lastTs = ts;
      if (!synOnly) {
        if (seg.len > 0) this.#skipped?.('tcp-data-after-close');
        return;
      }
      this.#conns.delete(key);
      c = undefined;
    } else if (c && synOnly && (c.synSeq !== seg.seq || c.used)) {
      // A new SYN on an open 4-tuple (its FIN/RST was not captured, or a capture appended to another that used the
      // same ports): the old connection ends here. Only a SYN repeated before anything else is a retransmission.
      this.#close(c, ts, 'evicted');
      this.#conns.delete(key);
      c = undefined;
    }
    if (!c) {
      // An unknown connection opens on a SYN or on payload; a bare ACK/FIN (the tail of one closed long ago) does not.
      if (!syn && seg.len === 0) return;
      if ((seg.flags & TCP_RST) !== 0) {
        this.#skipped?.('tcp-data-after-close');
        return;
      }
      c = this.#open(seg, key);
    }
    c.lastTs = ts;
    if (key !== this.#lastKey) {
      this.#conns.delete(key);
      this.#conns.set(key, c);
      this.#lastKey = key;
    }
    const up = seg.src.port === c.info.client.port && seg.src.ip === c.info.client.ip;
    const dir: StreamDir = up ? 'up' : 'down';
    const h = up ? c.up : c.down;
    let seq = seg.seq;
    if (syn) {
      seq = (seq + 1) >>> 0;
      if (h.next < 0) h.next = seq;
      if (!up && c.up.next < 0 && (seg.flags & TCP_ACK) !== 0) c.up.next = seg.ack;
    }
    if (h.next < 0) h.next = seq;
    if (seg.len > 0 || (seg.flags & (TCP_FIN | TCP_RST)) !== 0) c.used = true;
    if (seg.len > 0) this.#data(c, dir, h, seq, seg.data, seg.len, ts);
    if ((seg.flags & TCP_RST) !== 0) {
      this.#close(c, ts, 'rst');
      return;
    }
    if ((seg.flags & TCP_FIN) !== 0 && h.fin < 0) h.fin = (seq + seg.len) >>> 0;
    this.#checkFin(c, h, ts);
  }

  /** Closes idle connections and forgets closed ones at capture time `ts`. */
  expire(ts: Micros): void {
    this.#lastSweep = ts;
    for (const c of this.#conns.values()) {
      if (c.closed) {
        if (ts - c.lastTs > TCP_CLOSED_LINGER_US) this.#conns.delete(c.key);
      } else if (ts - c.lastTs > this.#idle) {
        this.#close(c, ts, 'idle');
        this.#conns.delete(c.key);
      }
    }
  }

  /** End of capture: every open connection flushes its queues (with gaps) and closes, each forgotten at once. */
  end(ts: Micros): void {
    for (const c of this.#conns.values()) {
      this.#conns.delete(c.key);
      if (!c.closed) this.#close(c, ts, 'end-of-capture');
    }
  }

  #open(seg: TcpSegment, key: string): Conn {
    if (this.#conns.size >= this.#maxConns) this.#evictOldest(seg.ts);
    const synAck = (seg.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
    const syn = (seg.flags & TCP_SYN) !== 0;
    const serverIsDst = syn ? !synAck : guessServerIsDst(seg.src, seg.dst);
    const info: TcpConn = {
      id: this.#nextId(),
      client: serverIsDst ? seg.src : seg.dst,
      server: serverIsDst ? seg.dst : seg.src,
      midStream: !syn,
      ...(seg.comment !== undefined ? { comment: seg.comment } : {}),
    };
    const synSeq = syn && !synAck ? seg.seq : -1;
    const c: Conn = { key, info, up: half(), down: half(), lastTs: seg.ts, closed: false, synSeq, used: false };
    this.#conns.set(key, c);
    this.#ev.open(info, seg.ts);
    return c;
  }

  /**
   * Frees room for a new connection: the least recently active 1% (at least one) of the tracked ones leave, closed
   * ones forgotten, open ones closed as `evicted`. The map is in activity order: no sort, no scan of the rest.
   */
  #evictOldest(ts: Micros): void {
    let n = Math.max(1, Math.floor(this.#maxConns / 100));
    for (const c of this.#conns.values()) {
      if (n-- <= 0) break;
      this.#conns.delete(c.key);
      if (!c.closed) this.#close(c, ts, 'evicted');
    }
  }

  #data(c: Conn, dir: StreamDir, h: Half, seq: number, data: Uint8Array, len: number, ts: Micros): void {
    if (h.done) return;
    const rel = seqDiff(seq, h.next);
    if (rel > 0) {
      this.#enqueue(c, dir, h, { seq, data: data.slice(), len }, ts);
      return;
    }
    this.#deliver(c, dir, h, -rel, data, len, ts);
    this.#drain(c, dir, h, ts);
  }

  /** Emits `len` bytes starting at h.next after trimming `trim` already delivered ones (compared first). */
  #deliver(c: Conn, dir: StreamDir, h: Half, trim: number, data: Uint8Array, len: number, ts: Micros): void {
    if (trim > 0 && !h.conflicted && this.#conflicts(h, trim, data)) {
      h.conflicted = true;
      this.#ev.conflict?.(c.info, dir, Math.min(trim, len), ts);
    }
    if (trim >= len) return;
    const bytes = trim > 0 ? data.subarray(Math.min(trim, data.length)) : data;
    const n = len - trim;
    if (bytes.length > 0) {
      this.#remember(h, bytes);
      this.#ev.data(c.info, dir, bytes, ts);
    }
    if (n > bytes.length) {
      h.tailLen = 0; // the ring no longer ends at `next`
      this.#ev.gap(c.info, dir, n - bytes.length, ts);
    }
    h.next = (h.next + n) >>> 0;
  }

  /**
   * Whether the first `trim` bytes of `data` (sequence numbers next − trim …) differ from what was delivered, as
   * far as the ring remembers them.
   */
  #conflicts(h: Half, trim: number, data: Uint8Array): boolean {
    const ring = h.tail;
    if (!ring) return false;
    const mask = ring.length - 1;
    const start = (h.next - trim) >>> 0;
    // Only the last tailLen delivered bytes are known: skip the older part of the overlap.
    const from = Math.max(0, trim - h.tailLen);
    const to = Math.min(trim, data.length);
    for (let i = from; i < to; i++) if (data[i] !== ring[((start + i) >>> 0) & mask]) return true;
    return false;
  }

  /** Copies delivered bytes into the direction's ring (allocated on first use, within the total bound). */
  #remember(h: Half, bytes: Uint8Array): void {
    if (h.tail === undefined) {
      const room = this.#tails + this.#tailBytes <= this.#tailTotal;
      h.tail = room ? new Uint8Array(this.#tailBytes) : null;
      if (room) this.#tails += this.#tailBytes;
    }
    const ring = h.tail;
    if (!ring) return;
    const mask = ring.length - 1;
    const keep = Math.min(bytes.length, ring.length);
    const from = bytes.length - keep;
    const seq0 = (h.next + from) >>> 0;
    let at = seq0 & mask;
    let i = from;
    while (i < bytes.length) {
      const n = Math.min(bytes.length - i, ring.length - at);
      ring.set(bytes.subarray(i, i + n), at);
      i += n;
      at = 0;
    }
    h.tailLen = Math.min(ring.length, h.tailLen + bytes.length);
  }

  /** Gives a closed connection's rings back to the total bound. */
  #forget(c: Conn): void {
    for (const h of [c.up, c.down]) {
      if (h.tail) this.#tails -= h.tail.length;
      h.tail = null;
      h.tailLen = 0;
    }
  }

  #drain(c: Conn, dir: StreamDir, h: Half, ts: Micros): void {
    while (h.queue.length > 0) {
      const q = h.queue[0]!;
      const rel = seqDiff(q.seq, h.next);
      if (rel > 0) break;
      h.queue.shift();
      h.queued -= q.data.length;
      this.#total -= q.data.length;
      this.#deliver(c, dir, h, -rel, q.data, q.len, ts);
    }
    if (c.up.queued === 0 && c.down.queued === 0) this.#queued.delete(c.key);
  }

  #enqueue(c: Conn, dir: StreamDir, h: Half, q: Queued, ts: Micros): void {
    if (h.queue === NO_QUEUE) h.queue = [];
    let i = h.queue.length;
    while (i > 0 && seqDiff(h.queue[i - 1]!.seq, q.seq) > 0) i--;
    h.queue.splice(i, 0, q);
    h.queued += q.data.length;
    this.#total += q.data.length;
    this.#queued.delete(c.key);
    this.#queued.set(c.key, c);
    while (h.queued > this.#maxDir) this.#skipAhead(c, dir, h, ts);
    while (this.#total > this.#maxTotal) {
      const lru = this.#queued.values().next().value!;
      this.#flush(lru, ts);
      this.#checkFin(lru, lru.up, ts);
      this.#checkFin(lru, lru.down, ts);
    }
  }

  /** Gives up on the hole before the first queued segment: a gap, then what the queue releases. */
  #skipAhead(c: Conn, dir: StreamDir, h: Half, ts: Micros): void {
    const first = h.queue[0];
    if (!first) return;
    const hole = seqDiff(first.seq, h.next);
    if (hole > 0) {
      this.#ev.gap(c.info, dir, hole, ts);
      h.next = first.seq;
    }
    this.#drain(c, dir, h, ts);
  }

  /** Releases every queued byte of both directions, holes as gaps. */
  #flush(c: Conn, ts: Micros): void {
    while (c.up.queue.length > 0) this.#skipAhead(c, 'up', c.up, ts);
    while (c.down.queue.length > 0) this.#skipAhead(c, 'down', c.down, ts);
  }

  #checkFin(c: Conn, h: Half, ts: Micros): void {
    if (h.fin >= 0 && h.next === h.fin) h.done = true;
    if (c.up.done && c.down.done && !c.closed) this.#close(c, ts, 'fin');
  }

  #close(c: Conn, ts: Micros, reason: TcpCloseReason): void {
    this.#flush(c, ts);
    c.closed = true;
    this.#forget(c);
    this.#ev.close(c.info, ts, reason);
  }
}

function half(): Half {
  return { next: -1, queue: NO_QUEUE, queued: 0, fin: -1, done: false, tail: undefined, tailLen: 0, conflicted: false };
}

/** Mid-stream: the well-known (< 1024) port serves, else the lower port, else the destination. */
function guessServerIsDst(src: Endpoint, dst: Endpoint): boolean {
  const srcWell = src.port < 1024;
  const dstWell = dst.port < 1024;
  if (srcWell !== dstWell) return dstWell;
  return dst.port <= src.port;
}

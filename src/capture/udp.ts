/**
 * UDP datagrams grouped into flows per 5-tuple (both directions), with byte and datagram counts per direction
 * and an idle timeout in capture time. It does not decode any UDP protocol (the DNS handler reads datagrams as
 * they pass) and keeps no payload.
 */
import type { Micros } from '../model/flow.ts';
import { DEFAULT_LIMITS, type Limits } from '../model/limits.ts';
import type { Endpoint, StreamDir } from '../streams/types.ts';

/** The bounds of src/model/limits.ts the UDP flow table enforces. */
export type UdpLimits = Pick<Limits, 'MAX_UDP_FLOWS' | 'UDP_IDLE_TIMEOUT_US'>;

/** One decoded UDP datagram, as packet-decoder.ts makes it. `data` may be a view: copy to keep. */
export interface UdpDatagram {
  ts: Micros;
  src: Endpoint;
  dst: Endpoint;
  data: Uint8Array;
}

/** `reused`: the 5-tuple's time went back, a capture appended to another (`mergecap -a`) starting over. */
export type UdpCloseReason = 'idle' | 'evicted' | 'end-of-capture' | 'reused';

/** A UDP 5-tuple seen as a flow: the client sent the first datagram (unless only its port is ephemeral). */
export interface UdpFlow {
  /** Sequential per replay, from the id source given to {@link UdpFlows}. */
  id: number;
  client: Endpoint;
  server: Endpoint;
  bytesUp: number;
  bytesDown: number;
  datagramsUp: number;
  datagramsDown: number;
  lastTs: Micros;
}

/** What {@link UdpFlows} emits, per flow in order. */
export interface UdpFlowEvents {
  /** `first` is the opening datagram's payload, a view valid only during the call (nothing keeps it). */
  open(flow: UdpFlow, ts: Micros, first: Uint8Array): void;
  datagram(flow: UdpFlow, dir: StreamDir, bytes: Uint8Array, ts: Micros): void;
  /** `ts` is the flow's last datagram's: when it closes is the same however the capture is cut or appended to. */
  close(flow: UdpFlow, ts: Micros, reason: UdpCloseReason): void;
}

export interface UdpFlowsOptions {
  /** The run's limits; default DEFAULT_LIMITS. */
  limits?: UdpLimits;
  /** Id source shared with TCP so that flow ids stay unique in one replay; default 1, 2, 3 … */
  nextId?: () => number;
}

export class UdpFlows {
  /** Flows keyed both ways, kept in least-recently-active order (re-inserted on each datagram). */
  readonly #flows = new Map<string, UdpFlow>();
  readonly #ev: UdpFlowEvents;
  readonly #idle: number;
  readonly #max: number;
  readonly #nextId: () => number;
  #lastSweep = 0;

  constructor(events: UdpFlowEvents, opts: UdpFlowsOptions = {}) {
    this.#ev = events;
    const limits = opts.limits ?? DEFAULT_LIMITS;
    this.#idle = limits.UDP_IDLE_TIMEOUT_US;
    this.#max = limits.MAX_UDP_FLOWS;
    let n = 0;
    this.#nextId = opts.nextId ?? (() => ++n);
  }

  datagram(dg: UdpDatagram): void {
    if (dg.ts - this.#lastSweep > this.#idle / 4) this.expire(dg.ts);
    const key = flowKey(dg.src, dg.dst);
    let flow = this.#flows.get(key);
    if (flow) this.#flows.delete(key);
    if (flow && dg.ts < flow.lastTs) {
      this.#ev.close(flow, flow.lastTs, 'reused');
      flow = undefined;
    }
    flow ??= this.#open(dg);
    this.#flows.set(key, flow);
    const dir: StreamDir = flow.client.ip === dg.src.ip && flow.client.port === dg.src.port ? 'up' : 'down';
    if (dir === 'up') {
      flow.bytesUp += dg.data.length;
      flow.datagramsUp++;
    } else {
      flow.bytesDown += dg.data.length;
      flow.datagramsDown++;
    }
    flow.lastTs = dg.ts;
    this.#ev.datagram(flow, dir, dg.data, dg.ts);
  }

  /** Closes flows idle at `ts`. */
  expire(ts: Micros): void {
    this.#lastSweep = ts;
    for (const [key, flow] of this.#flows) {
      if (ts - flow.lastTs <= this.#idle) break;
      this.#flows.delete(key);
      this.#ev.close(flow, flow.lastTs, 'idle');
    }
  }

  /** End of capture: every flow still open closes. */
  end(): void {
    for (const flow of this.#flows.values()) this.#ev.close(flow, flow.lastTs, 'end-of-capture');
    this.#flows.clear();
  }

  #open(dg: UdpDatagram): UdpFlow {
    if (this.#flows.size >= this.#max) {
      const [oldKey, old] = this.#flows.entries().next().value!;
      this.#flows.delete(oldKey);
      this.#ev.close(old, old.lastTs, 'evicted');
    }
    // The first sender is the client, unless it sends from a well-known port to an ephemeral one (a reply).
    const reply = dg.src.port < 1024 && dg.dst.port >= 1024;
    const flow: UdpFlow = {
      id: this.#nextId(),
      client: reply ? dg.dst : dg.src,
      server: reply ? dg.src : dg.dst,
      bytesUp: 0,
      bytesDown: 0,
      datagramsUp: 0,
      datagramsDown: 0,
      lastTs: dg.ts,
    };
    this.#ev.open(flow, dg.ts, dg.data);
    return flow;
  }
}

/** The same key for both directions of a 5-tuple (the protocol is implied). */
export function flowKey(a: Endpoint, b: Endpoint): string {
  const ka = `${a.ip}]${a.port}`;
  const kb = `${b.ip}]${b.port}`;
  return ka < kb ? `${ka}|${kb}` : `${kb}|${ka}`;
}

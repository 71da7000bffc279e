/**
 * UDP the gateway forwards without intercepting it (NTP, QUIC attempts, vendor protocols …) and IPv6 it
 * blocks, as flows: the gateway's nftables rules (proxy/gateway-rules.ts) count packets and bytes per 5-tuple in
 * dynamic sets; this module reads them (`nft -j list table`) every few seconds and turns each new element into a
 * `flow.open` (transport `udp`, or `dns` on port 53; server named from the run's DNS answers) and each element
 * that expired (idle for UDP_IDLE_TIMEOUT_US) or is still there at stop into a `flow.close` with the byte counts
 * (application bytes: the counters' IP and UDP headers taken off). QUIC attempts close with `quic-blocked`,
 * IPv6 attempts in block mode open and close at once with `ipv6-blocked`. No payload is read: the kernel
 * forwards these packets, toyscope only sees their counts.
 */
import type { FlowError, FlowId, Micros, Transport } from '../src/model/flow.ts';
import type { DnsFlows } from '../src/streams/dns.ts';
import { flowInfo } from '../src/streams/flow-info.ts';
import type { EmitEvent, Endpoint } from '../src/streams/types.ts';
import type { NftRunner } from './gateway.ts';
import { BLOCKED6_SET, NFT_TABLE, UDP_SETS } from './gateway-rules.ts';

/** How often the sets are read. */
export const UDP_POLL_MS = 2000;

/** One element of a recording set: a 5-tuple (device first) and its counters. */
export interface RecordedUdp {
  client: Endpoint;
  server: Endpoint;
  packets: number;
  /** Bytes of whole IP packets, as nftables counts them. */
  bytes: number;
}

/** One reading of the gateway's table. */
export interface UdpReading {
  up: RecordedUdp[];
  down: RecordedUdp[];
  blocked6: Array<{ client: string; server: Endpoint; protocol: string }>;
}

interface NftElem {
  elem?: { val?: { concat?: unknown[] }; counter?: { packets?: number; bytes?: number } };
}
interface NftSet {
  set?: { name?: string; elem?: NftElem[] };
}

/** `nft -j list table inet toyscope` → the sets' elements; anything unexpected is skipped, never thrown. */
export function parseUdpReading(json: string): UdpReading {
  const reading: UdpReading = { up: [], down: [], blocked6: [] };
  let doc: { nftables?: NftSet[] };
  try {
    doc = JSON.parse(json);
  } catch {
    return reading;
  }
  const ups: string[] = [UDP_SETS.ip.up, UDP_SETS.ip6.up];
  const downs: string[] = [UDP_SETS.ip.down, UDP_SETS.ip6.down];
  for (const item of doc.nftables ?? []) {
    const name = item.set?.name ?? '';
    for (const e of item.set?.elem ?? []) {
      const key = e.elem?.val?.concat;
      if (!Array.isArray(key) || key.length !== 4) continue;
      const [a, b, c, d] = key as [unknown, unknown, unknown, unknown];
      if (name === BLOCKED6_SET && typeof a === 'string' && typeof b === 'string' && typeof d === 'number') {
        reading.blocked6.push({ client: a, server: { ip: b, port: d }, protocol: String(c) });
        continue;
      }
      if (typeof a !== 'string' || typeof b !== 'number' || typeof c !== 'string' || typeof d !== 'number') continue;
      const rec = {
        client: { ip: a, port: b },
        server: { ip: c, port: d },
        packets: e.elem?.counter?.packets ?? 0,
        bytes: e.elem?.counter?.bytes ?? 0,
      };
      if (ups.includes(name)) reading.up.push(rec);
      else if (downs.includes(name)) reading.down.push(rec);
    }
  }
  return reading;
}

export interface UdpRecorderOptions {
  emit: EmitEvent;
  newFlowId(): FlowId;
  /** The run's DNS, to name servers by the answers devices got. */
  dns?: DnsFlows;
  macOf?(ip: string): string | undefined;
}

interface Open {
  flowId: FlowId;
  server: Endpoint;
  up: number;
  down: number;
}

const QUIC_BLOCKED: FlowError = {
  code: 'quic-blocked',
  message: 'UDP 443 (QUIC) rejected by the gateway rules so the device falls back to TCP',
};
const IPV6_BLOCKED: FlowError = { code: 'ipv6-blocked', message: 'IPv6 rejected by the gateway rules (--ipv6 block)' };

/** Turns successive readings into flows. Sans-io: `poll` below feeds it from nft. */
export class UdpRecorder {
  readonly #opts: UdpRecorderOptions;
  readonly #open = new Map<string, Open>();
  readonly #blocked = new Set<string>();

  constructor(opts: UdpRecorderOptions) {
    this.#opts = opts;
  }

  /** A reading: new 5-tuples open, vanished ones (expired) close, counters of the rest are kept. */
  update(reading: UdpReading, ts: Micros): void {
    const seen = new Set<string>();
    const down = new Map(reading.down.map((r) => [keyOf(r.client, r.server), r]));
    for (const r of reading.up) {
      const key = keyOf(r.client, r.server);
      seen.add(key);
      let flow = this.#open.get(key);
      if (!flow) {
        flow = { flowId: this.#opts.newFlowId(), server: r.server, up: 0, down: 0 };
        this.#open.set(key, flow);
        const transport: Transport = r.server.port === 53 ? 'dns' : 'udp';
        this.#emitOpen(flow.flowId, r.client, r.server, transport, ts);
      }
      flow.up = payload(r);
      const d = down.get(key);
      if (d) flow.down = payload(d);
    }
    for (const key of [...this.#open.keys()]) if (!seen.has(key)) this.#close(key, ts);
    const blockedNow = new Set<string>();
    for (const b of reading.blocked6) {
      const key = `${b.protocol} ${keyOf({ ip: b.client, port: 0 }, b.server)}`;
      blockedNow.add(key);
      if (this.#blocked.has(key)) continue;
      const flowId = this.#opts.newFlowId();
      this.#emitOpen(flowId, { ip: b.client, port: 0 }, b.server, b.protocol === 'tcp' ? 'tcp' : 'udp', ts);
      this.#opts.emit({ ts, type: 'flow.close', flowId, stats: { bytesUp: 0, bytesDown: 0 }, error: IPV6_BLOCKED });
    }
    this.#blocked.clear();
    for (const key of blockedNow) this.#blocked.add(key);
  }

  /** Closes every open flow with its last counts (the gateway stops). */
  end(ts: Micros): void {
    for (const key of [...this.#open.keys()]) this.#close(key, ts);
  }

  #emitOpen(flowId: FlowId, client: Endpoint, server: Endpoint, transport: Transport, ts: Micros): void {
    const mac = this.#opts.macOf?.(client.ip);
    const named = this.#opts.dns?.server(server) ?? server;
    const spec = { flowId, client: { ...client, ...(mac ? { mac } : {}) }, server: named, source: 'live' as const };
    this.#opts.emit({ ts, type: 'flow.open', flow: flowInfo(spec, transport, 'none') });
  }

  #close(key: string, ts: Micros): void {
    const f = this.#open.get(key);
    if (!f) return;
    this.#open.delete(key);
    const error = f.server.port === 443 && f.down === 0 ? QUIC_BLOCKED : undefined;
    const stats = { bytesUp: f.up, bytesDown: f.down };
    this.#opts.emit({ ts, type: 'flow.close', flowId: f.flowId, stats, ...(error ? { error } : {}) });
  }
}

const keyOf = (c: Endpoint, s: Endpoint): string => `${c.ip} ${c.port} ${s.ip} ${s.port}`;

/** Application bytes: each counted packet carried an IP header (20 or 40 bytes) and a UDP header (8). */
const payload = (r: RecordedUdp): number => Math.max(0, r.bytes - r.packets * (r.client.ip.includes(':') ? 48 : 28));

/** Reads the table every UDP_POLL_MS into `recorder`; `stop()` reads once more and closes every flow. */
export function pollUdp(recorder: UdpRecorder, nft: NftRunner, now: () => Micros): { stop(): Promise<void> } {
  let busy: Promise<void> = Promise.resolve();
  const read = () => {
    busy = busy.then(async () => {
      const json = await nft(['-j', 'list', 'table', 'inet', NFT_TABLE]).catch(() => undefined);
      if (json !== undefined) recorder.update(parseUdpReading(json), now());
    });
    return busy;
  };
  const timer = setInterval(read, UDP_POLL_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await read();
      recorder.end(now());
    },
  };
}

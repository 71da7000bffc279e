/**
 * DNS seen by a run (replay, or the live proxy's DNS forwarder). Each DNS query or response on a flow recognised as
 * DNS (in a capture by content on any port, or port 53: src/streams/recognize.ts; live, the forwarder's traffic),
 * as UDP datagrams or TCP through `tcpStream`, becomes one body-less pipeline message: protocol `dns`, `upload` for
 * what the device sent, `url`
 * `dns:<name>?type=<TYPE>` (the first question), and the questions, rcode and answers as `question`/`rcode`/
 * `answer` pseudo-headers; a response's `requestId` is its query's msgId. Answers fill a bounded LRU map from IP
 * to the name the device asked for (the question, not the CNAME target), so a later flow to a bare IP gets
 * `server.host` at flow.open (`server()`). At end of capture every name a device looked up (A, AAAA, SVCB,
 * HTTPS) and then never contacted (no flow of that device to one of its IPs or with that host) becomes a
 * zero-byte flow, transport `dns`, `server.host` = the name, port 0, ip = its first answer or `0.0.0.0`, so the
 * store lists it among the device's destinations. A contact marks the lookups it matches as it happens; only the
 * last MAX_DNS_CONTACTS contacts are remembered for lookups that come after them, so a flood of peers costs no
 * memory. It decodes no DNS itself (src/decode/dns.ts does).
 */
import {
  DNS_RCODES,
  type DnsLimits,
  type DnsMessage,
  type DnsResult,
  DnsTcpFramer,
  parseDns,
  typeName,
} from '../decode/dns.ts';
import type { FlowEvent } from '../model/events.ts';
import {
  type DeviceEndpoint,
  deviceIdOf,
  type FlowId,
  type FlowSource,
  type Micros,
  type ServerEndpoint,
} from '../model/flow.ts';
import { DEFAULT_LIMITS, type Limits } from '../model/limits.ts';
import type { Headers } from '../model/message.ts';
import type { Violation } from '../model/violation.ts';
import { flowInfo } from './flow-info.ts';
import type { Endpoint, StreamDir, StreamHandler } from './types.ts';

/** Question types that name a destination (not PTR, TXT …). */
const DESTINATION_TYPES = new Set([1, 28, 64, 65]);

/** The bounds of src/model/limits.ts DNS replay enforces (its parser's included). */
export type DnsFlowLimits = DnsLimits &
  Pick<Limits, 'MAX_DNS_NAMES' | 'MAX_DNS_LOOKUPS' | 'MAX_DNS_FLOWS' | 'MAX_DNS_PENDING_QUERIES' | 'MAX_DNS_CONTACTS'>;

export interface DnsFlowsOptions {
  source: FlowSource;
  captureId?: string;
  emit: (ev: FlowEvent) => void;
  violation: (v: Violation) => void;
  /** A new flow id from the run's id source (shared with TCP and UDP), for never-contacted lookups. */
  newFlowId: () => FlowId;
  /** The run's limits; default DEFAULT_LIMITS. */
  limits?: DnsFlowLimits;
}

interface Lookup {
  device: DeviceEndpoint;
  name: string;
  ips: Set<string>;
  ts: Micros;
  /** A flow of the device went to the name or one of its IPs. */
  contacted: boolean;
}

export class DnsFlows {
  readonly #opts: DnsFlowsOptions;
  /** The bounds this replay's DNS enforces. */
  readonly limits: DnsFlowLimits;
  /** IP → name, in least-recently-used order. */
  readonly #names = new Map<string, string>();
  /** Lookups by `device name` and by `device ip` of each of their answers. */
  readonly #lookups = new Map<string, Lookup>();
  readonly #lookupsByIp = new Map<string, Lookup[]>();
  readonly #udp = new Map<FlowId, DnsMessages>();
  /** Open flows' device ids. */
  readonly #flowDevice = new Map<FlowId, string>();
  /** The last MAX_DNS_CONTACTS contacts (`device ip`, `device host`), oldest first: for lookups made after them. */
  readonly #recent = new Set<string>();

  constructor(opts: DnsFlowsOptions) {
    this.#opts = opts;
    this.limits = opts.limits ?? DEFAULT_LIMITS;
  }

  /** The server side of a new flow, with the host a DNS answer gave for its IP. */
  server(ep: Endpoint): ServerEndpoint {
    const host = this.#names.get(ep.ip);
    return host === undefined ? { ip: ep.ip, port: ep.port } : { ip: ep.ip, port: ep.port, host };
  }

  /**
   * A datagram of UDP flow `flowId` from or to `client`, which the caller knows is DNS: replay recognised it
   * (recognize.ts), the live forwarder (proxy/dns-forwarder.ts) because it is one, on whatever port it listens.
   */
  datagram(flowId: FlowId, client: Endpoint, dir: StreamDir, bytes: Uint8Array, ts: Micros): void {
    let m = this.#udp.get(flowId);
    if (!m) {
      if (this.#udp.size >= this.limits.MAX_DNS_FLOWS) this.#udp.delete(this.#udp.keys().next().value as FlowId);
      m = new DnsMessages(flowId, endpoint(client), this);
      this.#udp.set(flowId, m);
    }
    m.message(dir, parseDns(bytes, this.limits), ts);
  }

  /** The handler for a TCP connection recognised as DNS (flow already opened with transport `dns`). */
  tcpStream(flowId: FlowId, client: Endpoint): StreamHandler {
    const m = new DnsMessages(flowId, endpoint(client), this);
    const framers = new Map<StreamDir, DnsTcpFramer>();
    let now: Micros = 0;
    const framer = (dir: StreamDir) => {
      const f = framers.get(dir) ?? new DnsTcpFramer((r) => m.message(dir, r, now), this.limits);
      framers.set(dir, f);
      return f;
    };
    return {
      data: (dir, bytes, ts) => {
        now = ts;
        framer(dir).write(bytes);
      },
      gap: (dir, _length, ts) => {
        framers.set(dir, new DnsTcpFramer(() => {}));
        this.violation({ decoder: 'dns', code: 'gap', message: `${dir}: bytes lost, rest not read` }, flowId, ts);
      },
      close: () => {},
    };
  }

  /** Every event the replay emits passes here: which IPs and hosts each device really contacted. */
  observe(ev: FlowEvent): void {
    if (ev.type === 'flow.open') {
      const f = ev.flow;
      this.#flowDevice.set(f.id, f.deviceId);
      if (f.transport === 'dns') return;
      this.#contact(`${f.deviceId} ${f.server.ip}`);
      if (f.server.host) this.#contact(`${f.deviceId} ${f.server.host}`);
    } else if (ev.type === 'flow.update' && ev.update.server?.host) {
      const device = this.#flowDevice.get(ev.flowId);
      if (device !== undefined) this.#contact(`${device} ${ev.update.server.host}`);
    } else if (ev.type === 'flow.close') {
      this.#flowDevice.delete(ev.flowId);
      this.#udp.delete(ev.flowId);
    }
  }

  /** End of capture: a zero-byte `dns` flow per name looked up and never contacted. */
  end(ts: Micros): void {
    for (const l of this.#lookups.values()) {
      if (l.contacted) continue;
      const flowId = this.#opts.newFlowId();
      const server = { ip: l.ips.values().next().value ?? '0.0.0.0', port: 0, host: l.name };
      const { source, captureId, emit } = this.#opts;
      const flow = flowInfo(
        { flowId, client: l.device, server, source, ...(captureId ? { captureId } : {}) },
        'dns',
        'none',
      );
      emit({ ts: l.ts, type: 'flow.open', flow });
      emit({ ts: Math.max(l.ts, ts), type: 'flow.close', flowId, stats: { bytesUp: 0, bytesDown: 0 } });
    }
    this.#lookups.clear();
    this.#lookupsByIp.clear();
    this.#recent.clear();
  }

  /** A device reached `key` (`device ip` or `device host`): the lookups it matches are contacted. */
  #contact(key: string): void {
    const byName = this.#lookups.get(key);
    if (byName) byName.contacted = true;
    for (const l of this.#lookupsByIp.get(key) ?? []) l.contacted = true;
    this.#recent.delete(key);
    this.#recent.add(key);
    if (this.#recent.size > this.limits.MAX_DNS_CONTACTS)
      this.#recent.delete(this.#recent.values().next().value as string);
  }

  /** What a DNS message taught: names looked up by the device, and IP → name from the answers. */
  learn(device: DeviceEndpoint, msg: DnsMessage, ts: Micros): void {
    const asked = msg.questions[0]?.name;
    for (const q of msg.questions) {
      if (!DESTINATION_TYPES.has(q.type) || q.name === '') continue;
      this.#lookup(device, q.name, ts);
    }
    if (!msg.response) return;
    for (const a of msg.answers) {
      for (const ip of a.ips ?? []) {
        const name = asked || a.name;
        this.#names.delete(ip);
        this.#names.set(ip, name);
        if (this.#names.size > this.limits.MAX_DNS_NAMES) this.#names.delete(this.#names.keys().next().value as string);
        const l = this.#lookup(device, name, ts);
        // A name's addresses are bounded like a message's records: a hostile resolver cannot grow the index.
        if (!l || l.ips.has(ip) || l.ips.size >= this.limits.MAX_DNS_RECORDS) continue;
        l.ips.add(ip);
        const key = `${deviceIdOf(device)} ${ip}`;
        const sharing = this.#lookupsByIp.get(key);
        if (sharing) sharing.push(l);
        else this.#lookupsByIp.set(key, [l]);
        if (this.#recent.has(key)) l.contacted = true;
      }
    }
  }

  violation(v: Omit<Violation, 'ts' | 'flowId'>, flowId: FlowId, ts: Micros): void {
    this.#opts.violation({ ...v, ts, flowId });
  }

  emit(ev: FlowEvent): void {
    this.#opts.emit(ev);
  }

  #lookup(device: DeviceEndpoint, name: string, ts: Micros): Lookup | undefined {
    const key = `${deviceIdOf(device)} ${name}`;
    let l = this.#lookups.get(key);
    if (!l && this.#lookups.size < this.limits.MAX_DNS_LOOKUPS) {
      l = { device, name, ips: new Set(), ts, contacted: this.#recent.has(key) };
      this.#lookups.set(key, l);
    }
    return l;
  }
}

/** One DNS flow's messages: numbering, query ↔ response pairing, the pipeline events. */
class DnsMessages {
  readonly #flowId: FlowId;
  readonly #device: DeviceEndpoint;
  readonly #dns: DnsFlows;
  readonly #pending = new Map<number, number>();
  #next = 0;

  constructor(flowId: FlowId, device: DeviceEndpoint, dns: DnsFlows) {
    this.#flowId = flowId;
    this.#device = device;
    this.#dns = dns;
  }

  message(dir: StreamDir, r: DnsResult, ts: Micros): void {
    if ('error' in r) {
      this.#dns.violation(r.error, this.#flowId, ts);
      return;
    }
    const msg = r.message;
    this.#dns.learn(this.#device, msg, ts);
    const msgId = this.#next++;
    let requestId: number | undefined;
    if (!msg.response) {
      if (this.#pending.size >= this.#dns.limits.MAX_DNS_PENDING_QUERIES)
        this.#pending.delete(this.#pending.keys().next().value as number);
      this.#pending.set(msg.id, msgId);
    } else {
      requestId = this.#pending.get(msg.id);
      this.#pending.delete(msg.id);
    }
    const q = msg.questions[0];
    const head = {
      msgId,
      direction: dir === 'up' ? 'upload' : 'download',
      protocol: 'dns',
      url: q ? `dns:${q.name}?type=${typeName(q.type)}` : 'dns:',
      headers: dnsHeaders(msg),
      ...(requestId === undefined ? {} : { requestId }),
    } as const;
    this.#dns.emit({ ts, type: 'message.head', flowId: this.#flowId, msg: head });
    this.#dns.emit({ ts, type: 'message.end', flowId: this.#flowId, msgId });
  }
}

function dnsHeaders(msg: DnsMessage): Headers {
  const h: Array<[string, string]> = [['dns-id', String(msg.id)]];
  for (const q of msg.questions) h.push(['question', `${q.name} ${typeName(q.type)}`]);
  if (msg.response) h.push(['rcode', DNS_RCODES[msg.rcode] ?? String(msg.rcode)]);
  for (const a of msg.answers)
    h.push(['answer', `${a.name} ${typeName(a.type)} ${a.ttl}${a.data ? ` ${a.data}` : ''}`]);
  return h;
}

const endpoint = (e: Endpoint): DeviceEndpoint => ({ ip: e.ip, port: e.port, ...(e.mac ? { mac: e.mac } : {}) });

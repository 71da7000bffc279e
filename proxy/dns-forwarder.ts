/**
 * The live DNS forwarder (`toyscope proxy --dns HOST:PORT`): a small resolver for the test network, over UDP
 * and TCP. It answers names in config `dns.static` itself (no name resolves in a lab without Internet, and a
 * staging cloud is pinned there) and forwards the rest to `--dns-upstream` (proxy/dns-upstream.ts); without an
 * upstream other names get REFUSED, and a failed upstream SERVFAIL. Every query and answer also goes, as it
 * passes, to the run's shared DNS flows (src/streams/dns.ts) as flows of transport `dns`: the same decoder a
 * capture reaches, which names later flows to bare IPs and lists names looked up but never contacted. It
 * intercepts nothing by itself: the gateway's rules (proxy/gateway-rules.ts) send port 53 here.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { isIPv6, type Server, type Socket, createServer as tcpServer } from 'node:net';
import { type DnsResult, DnsTcpFramer, parseDns } from '../src/decode/dns.ts';
import type { FlowId, Micros } from '../src/model/flow.ts';
import type { Limits } from '../src/model/limits.ts';
import type { DnsFlows } from '../src/streams/dns.ts';
import { flowInfo } from '../src/streams/flow-info.ts';
import type { EmitEvent, Endpoint, StreamDir } from '../src/streams/types.ts';
import { type HostPort, unmapIPv4 } from './address.ts';
import { errorResponse, RCODE, staticResponse } from './dns-answer.ts';
import { DnsUpstream, type UpstreamLimits } from './dns-upstream.ts';

const FORMERR = 1;

/** What the forwarder needs of the live run it reports to. */
export interface LiveDnsTap {
  /** The run's DNS flows (shared with the proxy's connections: names for bare IPs, never-contacted lookups). */
  dns: DnsFlows;
  /** The run's event sink, already observed by `dns`. */
  emit: EmitEvent;
  newFlowId(): FlowId;
  /** The MAC of a LAN client (the gateway's neighbour table), when known. */
  macOf?(ip: string): string | undefined;
}

export type ForwarderLimits = UpstreamLimits &
  Pick<Limits, 'MAX_DNS_TCP_CLIENTS' | 'MAX_DNS_FLOWS' | 'UDP_IDLE_TIMEOUT_US'>;

export interface DnsForwarderOptions {
  listen: HostPort;
  upstream?: HostPort;
  /** config `dns.static`: lower-case names (`*.x` for sub-domains) → addresses. */
  static: Readonly<Record<string, readonly string[]>>;
  tap: LiveDnsTap;
  limits: ForwarderLimits;
}

interface UdpFlow {
  flowId: FlowId;
  client: Endpoint;
  up: number;
  down: number;
  lastUs: Micros;
}

const nowUs = (): Micros => Date.now() * 1000;

/** The addresses `dns.static` gives `name`: its own entry, else the closest `*.` parent entry. */
export function staticAddresses(
  table: Readonly<Record<string, readonly string[]>>,
  name: string,
): readonly string[] | undefined {
  const exact = table[name];
  if (exact) return exact;
  for (let dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.', dot + 1)) {
    const wild = table[`*${name.slice(dot)}`];
    if (wild) return wild;
  }
  return undefined;
}

export class DnsForwarder {
  readonly #opts: DnsForwarderOptions;
  readonly #upstream: DnsUpstream | undefined;
  readonly #udpFlows = new Map<string, UdpFlow>();
  readonly #tcpClients = new Set<Socket>();
  #udp: UdpSocket | undefined;
  #tcp: Server | undefined;
  #sweep: NodeJS.Timeout | undefined;
  /** Where it listens (the port a `:0` listen was given). */
  address: HostPort;

  private constructor(opts: DnsForwarderOptions) {
    this.#opts = opts;
    this.#upstream = opts.upstream ? new DnsUpstream(opts.upstream, opts.limits) : undefined;
    this.address = opts.listen;
  }

  /** Binds UDP and TCP on the same address and port; rejects with the bind error (EADDRINUSE, EACCES …). */
  static async start(opts: DnsForwarderOptions): Promise<DnsForwarder> {
    const f = new DnsForwarder(opts);
    try {
      await f.#listen();
    } catch (err) {
      await f.close();
      throw err;
    }
    return f;
  }

  async #listen(): Promise<void> {
    const { host, port } = this.#opts.listen;
    const udp = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
    this.#udp = udp;
    udp.on('message', (msg, rinfo) => this.#datagram(msg, rinfo));
    udp.on('error', () => {}); // a send to a vanished client: nothing to do
    udp.bind(port, host);
    await once(udp, 'listening');
    const bound = udp.address().port;
    this.address = { host, port: bound };
    const tcp = tcpServer((s) => this.#tcpClient(s));
    tcp.maxConnections = this.#opts.limits.MAX_DNS_TCP_CLIENTS;
    this.#tcp = tcp;
    tcp.listen(bound, host);
    await once(tcp, 'listening');
    const idleMs = this.#opts.limits.UDP_IDLE_TIMEOUT_US / 1000;
    this.#sweep = setInterval(() => this.#closeIdle(nowUs()), Math.max(1000, idleMs / 4));
    this.#sweep.unref();
  }

  /** Stops listening; open DNS flows are closed with their byte counts. */
  async close(): Promise<void> {
    if (this.#sweep) clearInterval(this.#sweep);
    this.#upstream?.close();
    for (const s of this.#tcpClients) s.destroy();
    const ts = nowUs();
    for (const key of [...this.#udpFlows.keys()]) this.#closeUdp(key, ts);
    const tcp = this.#tcp;
    if (tcp?.listening) await new Promise((resolve) => tcp.close(resolve));
    const udp = this.#udp;
    this.#udp = undefined;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
  }

  /** The answer to one query: static, upstream, or an error response; undefined to stay silent. */
  async #answer(query: Uint8Array, parsed: DnsResult): Promise<Uint8Array | undefined> {
    if ('error' in parsed) return errorResponse(query, FORMERR);
    if (parsed.message.response) return undefined;
    const name = parsed.message.questions[0]?.name;
    const addresses = name === undefined ? undefined : staticAddresses(this.#opts.static, name);
    const local = addresses && staticResponse(query, addresses);
    if (local) return local;
    if (!this.#upstream) return errorResponse(query, RCODE.refused);
    try {
      return await this.#upstream.query(query);
    } catch {
      return errorResponse(query, RCODE.servFail);
    }
  }

  #endpoint(ip: string, port: number): Endpoint {
    const plain = unmapIPv4(ip);
    const mac = this.#opts.tap.macOf?.(plain);
    return { ip: plain, port, ...(mac ? { mac } : {}) };
  }

  #server(): Endpoint {
    return { ip: unmapIPv4(this.address.host), port: this.address.port };
  }

  #open(flowId: FlowId, client: Endpoint, ts: Micros): void {
    const { tap } = this.#opts;
    const spec = { flowId, client, server: this.#server(), source: 'live' as const };
    tap.emit({ ts, type: 'flow.open', flow: flowInfo(spec, 'dns', 'none') });
  }

  // UDP: one flow per client address and port, closed after UDP_IDLE_TIMEOUT_US without a datagram.

  #datagram(msg: Buffer, rinfo: RemoteInfo): void {
    const ts = nowUs();
    const key = `${rinfo.address}|${rinfo.port}`;
    const flow = this.#udpFlow(key, rinfo, ts);
    this.#tapUdp(flow, 'up', msg, ts);
    void this.#answer(msg, parseDns(msg, this.#opts.tap.dns.limits)).then((answer) => {
      const udp = this.#udp;
      if (!answer || !udp) return;
      // A flow closed meanwhile (evicted, forwarder closing) is not written to; the device still gets its answer.
      if (this.#udpFlows.get(key) === flow) this.#tapUdp(flow, 'down', answer, nowUs());
      udp.send(answer, rinfo.port, rinfo.address);
    });
  }

  #udpFlow(key: string, rinfo: RemoteInfo, ts: Micros): UdpFlow {
    let flow = this.#udpFlows.get(key);
    if (flow) {
      this.#udpFlows.delete(key); // re-inserted: the map stays in least-recently-used order
    } else {
      const oldest = this.#udpFlows.keys().next().value;
      if (oldest !== undefined && this.#udpFlows.size >= this.#opts.limits.MAX_DNS_FLOWS) this.#closeUdp(oldest, ts);
      flow = {
        flowId: this.#opts.tap.newFlowId(),
        client: this.#endpoint(rinfo.address, rinfo.port),
        up: 0,
        down: 0,
        lastUs: ts,
      };
      this.#open(flow.flowId, flow.client, ts);
    }
    this.#udpFlows.set(key, flow);
    return flow;
  }

  #tapUdp(flow: UdpFlow, dir: StreamDir, bytes: Uint8Array, ts: Micros): void {
    if (dir === 'up') flow.up += bytes.length;
    else flow.down += bytes.length;
    flow.lastUs = ts;
    this.#opts.tap.dns.datagram(flow.flowId, flow.client, dir, bytes, ts);
  }

  #closeIdle(ts: Micros): void {
    const idle = this.#opts.limits.UDP_IDLE_TIMEOUT_US;
    for (const [key, flow] of this.#udpFlows) if (ts - flow.lastUs >= idle) this.#closeUdp(key, ts);
  }

  #closeUdp(key: string, ts: Micros): void {
    const flow = this.#udpFlows.get(key);
    if (!flow) return;
    this.#udpFlows.delete(key);
    const stats = { bytesUp: flow.up, bytesDown: flow.down };
    this.#opts.tap.emit({ ts, type: 'flow.close', flowId: flow.flowId, stats });
  }

  // TCP: one flow per connection, queries answered as they are framed, in any order (RFC 7766).

  #tcpClient(socket: Socket): void {
    const { tap, limits } = this.#opts;
    const flowId = tap.newFlowId();
    const client = this.#endpoint(socket.remoteAddress ?? '', socket.remotePort ?? 0);
    this.#open(flowId, client, nowUs());
    const handler = tap.dns.tcpStream(flowId, client);
    const bytes = { up: 0, down: 0 };
    this.#tcpClients.add(socket);
    const framer = new DnsTcpFramer((parsed, query) => {
      void this.#answer(query, parsed).then((answer) => {
        if (!answer || socket.destroyed) return;
        const framed = Buffer.alloc(2 + answer.length);
        framed.writeUInt16BE(answer.length, 0);
        framed.set(answer, 2);
        bytes.down += framed.length;
        handler.data('down', framed, nowUs());
        socket.write(framed);
      });
    }, tap.dns.limits);
    socket.setTimeout(limits.MAX_DNS_FORWARD_WAIT_MS, () => socket.end());
    socket.on('data', (chunk: Buffer) => {
      bytes.up += chunk.length;
      handler.data('up', chunk, nowUs());
      framer.write(chunk);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', (hadError) => {
      this.#tcpClients.delete(socket);
      const ts = nowUs();
      handler.close(ts, hadError ? 'rst' : 'fin');
      const stats = { bytesUp: bytes.up, bytesDown: bytes.down };
      tap.emit({
        ts,
        type: 'flow.close',
        flowId,
        stats,
        ...(hadError ? { error: { code: 'reset', message: 'connection reset' } } : {}),
      });
    });
  }
}

/**
 * Capture bytes in, FlowEvents out: reader (pcap/pcapng) → packet decoder (link, IP) → TCP reassembly and UDP
 * flows → one ConnectionRouter per TCP connection. Sans-io: replay-file.ts reads the file and feeds `write`.
 * Everything not understood is counted in `skipped` by reason; nothing is silently dropped.
 */
import type { FlowEvent } from '../model/events.ts';
import type { FlowId, FrameRange, Micros } from '../model/flow.ts';
import { type Limits, resolveLimits } from '../model/limits.ts';
import type { Violation } from '../model/violation.ts';
import { DnsFlows, isDnsPort } from '../streams/dns.ts';
import { flowInfo } from '../streams/flow-info.ts';
import { ConnectionRouter } from '../streams/router.ts';
import { parseNote } from './connection-note.ts';
import { AutoReader } from './detect-format.ts';
import { PacketDecoder } from './packet-decoder.ts';
import { TcpReassembler } from './tcp-reassembly.ts';
import type { TcpConn } from './types.ts';
import { type UdpFlow, UdpFlows } from './udp.ts';

export interface CaptureReplayOptions {
  /** sha256 of the capture: flows are `<first 12 hex>:<n>` so ids stay unique across captures in one store. */
  captureId: string;
  emit: (ev: FlowEvent) => void;
  violation: (v: Violation) => void;
  /** Overrides of src/model/limits.ts (toyscope.yaml `limits`); resolved once, passed to every layer. */
  limits?: Partial<Limits>;
}

export class CaptureReplay {
  readonly #opts: CaptureReplayOptions;
  /** The bounds this replay enforces: defaults with `opts.limits` applied. */
  readonly limits: Limits;
  readonly #reader: AutoReader;
  readonly #packets: PacketDecoder;
  readonly #tcp: TcpReassembler;
  readonly #udp: UdpFlows;
  readonly #dns: DnsFlows;
  /** opts.emit, with DnsFlows watching which hosts and IPs each device contacted. */
  readonly #emit: (ev: FlowEvent) => void;
  readonly #conns = new Map<number, ConnectionRouter>();
  /** Capture frames of each open TCP connection and UDP flow (by reassembler id): first packet, last with data. */
  readonly #frames = new Map<number, FrameRange>();
  readonly skipped = new Map<string, number>();
  /** pcapng Decryption Secrets Blocks (TLS key logs), kept for the TLS decoder. */
  readonly secrets: Array<{ type: number; data: Uint8Array }> = [];
  packets = 0;
  firstTs: Micros | undefined;
  lastTs: Micros = 0;

  constructor(opts: CaptureReplayOptions) {
    this.#opts = opts;
    const limits = resolveLimits(opts.limits);
    this.limits = limits;
    let n = 0;
    const nextId = () => ++n;
    const skip = (reason: string, count = 1) => this.skipped.set(reason, (this.skipped.get(reason) ?? 0) + count);
    const { captureId, emit, violation } = opts;
    const newFlowId = () => this.#flowId(nextId());
    this.#dns = new DnsFlows({ source: 'capture', captureId, emit, violation, newFlowId, limits });
    this.#emit = (ev) => {
      this.#dns.observe(ev);
      emit(ev);
    };
    this.#tcp = new TcpReassembler(
      {
        open: (conn, ts) => {
          this.#frames.set(conn.id, { first: this.packets, last: this.packets });
          this.#conns.set(conn.id, this.#router(conn, ts));
        },
        data: (conn, dir, bytes, ts) => {
          this.#seen(conn.id);
          this.#conns.get(conn.id)?.data(dir, bytes, ts);
        },
        gap: (conn, dir, length, ts) => this.#conns.get(conn.id)?.gap(dir, length, ts),
        close: (conn, ts, reason) => {
          if (reason === 'fin' || reason === 'rst') this.#seen(conn.id);
          const frames = this.#frames.get(conn.id);
          this.#conns.get(conn.id)?.close(ts, reason, frames ? { frames } : {});
          this.#conns.delete(conn.id);
          this.#frames.delete(conn.id);
        },
      },
      { nextId, skipped: skip, limits },
    );
    this.#udp = new UdpFlows(
      {
        open: (flow, ts) => {
          this.#frames.set(flow.id, { first: this.packets, last: this.packets });
          this.#udpOpen(flow, ts);
        },
        datagram: (flow, dir, bytes, ts) => {
          this.#seen(flow.id);
          this.#dns.datagram(this.#flowId(flow.id), flow.client, flow.server, dir, bytes, ts);
        },
        close: (flow, ts) => {
          const frames = this.#frames.get(flow.id);
          this.#frames.delete(flow.id);
          const stats = { bytesUp: flow.bytesUp, bytesDown: flow.bytesDown, ...(frames ? { frames } : {}) };
          this.#emit({ ts, type: 'flow.close', flowId: this.#flowId(flow.id), stats });
        },
      },
      { nextId, limits },
    );
    this.#packets = new PacketDecoder(
      {
        tcp: (seg) => this.#tcp.segment(seg),
        udp: (d) => this.#udp.datagram(d),
        skipped: (reason) => skip(reason),
      },
      { limits },
    );
    this.#reader = new AutoReader(
      {
        packet: (p) => {
          this.packets++;
          this.firstTs ??= p.ts;
          if (p.ts > this.lastTs) this.lastTs = p.ts;
          this.#packets.packet(p);
        },
        skipped: skip,
        secrets: (type, data) => this.secrets.push({ type, data: data.slice() }),
      },
      limits,
    );
  }

  /** Bytes of the capture file, in order, any chunk size. Throws UnknownCaptureFormatError on a foreign file. */
  write(chunk: Uint8Array): void {
    this.#reader.write(chunk);
  }

  /** End of file: partial records are counted, and every connection and UDP flow still open is closed. */
  end(): void {
    this.#reader.end();
    this.#packets.end();
    this.#tcp.end(this.lastTs);
    this.#udp.end(this.lastTs);
    this.#dns.end(this.lastTs);
  }

  /** The packet being read belongs to connection or UDP flow `id`. */
  #seen(id: number): void {
    const f = this.#frames.get(id);
    if (f) f.last = this.packets;
  }

  #flowId(n: number): FlowId {
    return `${this.#opts.captureId.slice(0, 12)}:${n}`;
  }

  #router(conn: TcpConn, ts: Micros): ConnectionRouter {
    const flowId = this.#flowId(conn.id);
    // A toyscope capture (proxy --save) says what its plaintext was: intercepted TLS, the host, the handshake.
    const note = parseNote(conn.comment);
    return new ConnectionRouter({
      flowId,
      client: conn.client,
      server: note?.host ? { ...conn.server, host: note.host } : conn.server,
      source: note?.source ?? 'capture',
      tls: note?.tls ?? 'none',
      ...(note?.tlsInfo ? { tlsInfo: note.tlsInfo } : {}),
      captureId: this.#opts.captureId,
      midStream: conn.midStream,
      openTs: ts,
      emit: this.#emit,
      dns: this.#dns,
      limits: this.limits,
      report: ({ msgId, ...v }, at) =>
        this.#opts.violation({ ...v, ts: at, flowId, ...(msgId === undefined ? {} : { msgId }) }),
    });
  }

  #udpOpen(flow: UdpFlow, ts: Micros): void {
    const { client, server } = flow;
    const transport = isDnsPort(server.port) || isDnsPort(client.port) ? 'dns' : 'udp';
    const spec = {
      flowId: this.#flowId(flow.id),
      client,
      server: this.#dns.server(server),
      source: 'capture' as const,
    };
    this.#emit({
      ts,
      type: 'flow.open',
      flow: flowInfo({ ...spec, captureId: this.#opts.captureId }, transport, 'none'),
    });
  }
}

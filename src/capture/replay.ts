/**
 * Capture bytes in, FlowEvents out: reader (pcap/pcapng) → packet decoder (link, IP) → TCP reassembly and UDP
 * flows → one ConnectionRouter per TCP connection, TLS decrypted where the key log (or the capture's DSB) has the
 * keys. Sans-io: replay-file.ts reads the file and feeds `write`.
 * Everything not understood is counted in `skipped` by reason; nothing is silently dropped. One bad packet never
 * ends a replay: an unexpected exception while handling a packet is a violation for that packet (and a skipped
 * `packet-error`), one inside a connection's handlers a violation for that flow, whose further bytes are then
 * only counted; one in the reader stops reading the rest of the file (`reader-error`).
 */

import { parseRtp } from '../decode/rtp.ts';
import { DSB_TLS_KEY_LOG, KeyLog } from '../decode/tls-keylog.ts';
import type { FlowEvent } from '../model/events.ts';
import type { FlowId, FrameRange, Micros } from '../model/flow.ts';
import { type Limits, resolveLimits } from '../model/limits.ts';
import type { Violation, ViolationInput } from '../model/violation.ts';
import { CoapStream } from '../streams/coap.ts';
import { DnsFlows } from '../streams/dns.ts';
import { flowInfo } from '../streams/flow-info.ts';
import { RawStream } from '../streams/raw.ts';
import { recognizeUdp, udpPayloadReadable } from '../streams/recognize.ts';
import { ConnectionRouter } from '../streams/router.ts';
import { RtpStream } from '../streams/rtp.ts';
import { parseNote } from './connection-note.ts';
import { AutoReader, UnknownCaptureFormatError } from './detect-format.ts';
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
  /**
   * TLS secrets to decrypt with (`--keylog`); the capture's own Decryption Secrets Blocks are added to it as they
   * are read. Default: an empty key log, so only DSB secrets decrypt.
   */
  keyLog?: KeyLog;
}

/**
 * One TCP connection. Its router is made at its first byte, gap or close, so a flood of bare SYNs costs a few
 * bytes each; `broken` once one of its handlers threw (its bytes are then ignored).
 */
interface Connection {
  conn: TcpConn;
  openTs: Micros;
  router: ConnectionRouter | undefined;
  broken: boolean;
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
  readonly #conns = new Map<number, Connection>();
  /** Capture frames of each open TCP connection and UDP flow (by reassembler id): first packet, last with data. */
  readonly #frames = new Map<number, FrameRange>();
  /** UDP flows recognised as DNS at open (content, or port 53): their datagrams go to DnsFlows. */
  readonly #dnsUdp = new Set<number>();
  /**
   * UDP flows whose payload the analyzers read: CoAP, a message per request or response; others (udpPayloadReadable)
   * one raw message per direction.
   */
  readonly #readUdp = new Map<number, RawStream | CoapStream | RtpStream>();
  readonly skipped = new Map<string, number>();
  /** The reader threw: the rest of the file is not read. */
  #readerFailed = false;
  /** The TLS secrets of this replay: the caller's key log plus the capture's DSB secrets. */
  readonly keyLog: KeyLog;
  packets = 0;
  /** Flows opened (TCP connections and UDP flows). */
  flows = 0;
  firstTs: Micros | undefined;
  lastTs: Micros = 0;

  constructor(opts: CaptureReplayOptions) {
    this.#opts = opts;
    const limits = resolveLimits(opts.limits);
    this.limits = limits;
    this.keyLog = opts.keyLog ?? new KeyLog(limits);
    let n = 0;
    const nextId = () => ++n;
    const skip = (reason: string, count = 1) => this.#skip(reason, count);
    const { captureId, emit, violation } = opts;
    const newFlowId = () => this.#flowId(nextId());
    this.#dns = new DnsFlows({ source: 'capture', captureId, emit, violation, newFlowId, limits });
    this.#emit = (ev) => {
      if (ev.type === 'flow.open') this.flows++;
      this.#dns.observe(ev);
      emit(ev);
    };
    this.#tcp = new TcpReassembler(
      {
        open: (conn, ts) => {
          this.#frames.set(conn.id, { first: this.packets, last: this.packets });
          this.#conns.set(conn.id, { conn, openTs: ts, router: undefined, broken: false });
        },
        data: (conn, dir, bytes, ts) => {
          this.#seen(conn.id);
          this.#guarded(conn.id, ts, (r) => r.data(dir, bytes, ts));
        },
        gap: (conn, dir, length, ts) => this.#guarded(conn.id, ts, (r) => r.gap(dir, length, ts)),
        conflict: (conn, dir, overlap, ts) =>
          violation({
            ts,
            flowId: this.#flowId(conn.id),
            decoder: 'tcp',
            code: 'overlap-conflict',
            message: `${dir === 'up' ? 'device' : 'server'} resent ${overlap} bytes with other content (first copy kept)`,
          }),
        close: (conn, ts, reason) => {
          if (reason === 'fin' || reason === 'rst') this.#seen(conn.id);
          const frames = this.#frames.get(conn.id);
          this.#guarded(conn.id, ts, (r) => r.close(ts, reason, frames ? { frames } : {}));
          this.#conns.delete(conn.id);
          this.#frames.delete(conn.id);
        },
      },
      { nextId, skipped: skip, limits },
    );
    this.#udp = new UdpFlows(
      {
        open: (flow, ts, first) => {
          this.#frames.set(flow.id, { first: this.packets, last: this.packets });
          this.#udpOpen(flow, ts, first);
        },
        datagram: (flow, dir, bytes, ts) => {
          this.#seen(flow.id);
          if (this.#dnsUdp.has(flow.id)) this.#dns.datagram(this.#flowId(flow.id), flow.client, dir, bytes, ts);
          else this.#readUdp.get(flow.id)?.data(dir, bytes, ts);
        },
        close: (flow, ts) => {
          const frames = this.#frames.get(flow.id);
          this.#frames.delete(flow.id);
          this.#dnsUdp.delete(flow.id);
          this.#readUdp.get(flow.id)?.close(ts);
          this.#readUdp.delete(flow.id);
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
        violation: (code, message, ts) => violation({ ts, decoder: 'ip', code, message }),
      },
      { limits },
    );
    this.#reader = new AutoReader(
      {
        packet: (p) => {
          this.packets++;
          this.firstTs ??= p.ts;
          if (p.ts > this.lastTs) this.lastTs = p.ts;
          try {
            this.#packets.packet(p);
          } catch (err) {
            skip('packet-error');
            violation({
              ts: p.ts,
              decoder: 'capture',
              code: 'internal-error',
              message: `packet ${this.packets}: ${errorText(err)}`,
            });
          }
        },
        skipped: skip,
        secrets: (type, data) => {
          if (type === DSB_TLS_KEY_LOG) this.keyLog.add(data);
          else skip(`pcapng-dsb-0x${type.toString(16)}`);
        },
      },
      limits,
    );
  }

  /** Bytes of the capture file, in order, any chunk size. Throws UnknownCaptureFormatError on a foreign file. */
  write(chunk: Uint8Array): void {
    if (this.#readerFailed) return;
    try {
      this.#reader.write(chunk);
    } catch (err) {
      if (err instanceof UnknownCaptureFormatError) throw err;
      this.#readerFailed = true;
      this.#skip('reader-error');
      this.#opts.violation({ ts: this.lastTs, decoder: 'capture', code: 'reader-error', message: errorText(err) });
    }
  }

  /** End of file: partial records are counted, and every connection and UDP flow still open is closed. */
  end(): void {
    if (!this.#readerFailed) this.#reader.end();
    this.#packets.end();
    this.#tcp.end(this.lastTs);
    this.#udp.end();
    this.#dns.end(this.lastTs);
  }

  /** The packet being read belongs to connection or UDP flow `id`. */
  #seen(id: number): void {
    const f = this.#frames.get(id);
    if (f) f.last = this.packets;
  }

  #skip(reason: string, count = 1): void {
    this.skipped.set(reason, (this.skipped.get(reason) ?? 0) + count);
  }

  /** Runs `fn` on a connection's router; a throw is a violation for its flow and the connection stops. */
  #guarded(id: number, ts: Micros, fn: (r: ConnectionRouter) => void): void {
    const c = this.#conns.get(id);
    if (!c || c.broken) return;
    try {
      c.router ??= this.#router(c.conn, c.openTs);
      fn(c.router);
    } catch (err) {
      c.broken = true;
      const message = `connection handlers stopped: ${errorText(err)}`;
      this.#opts.violation({ ts, flowId: this.#flowId(id), decoder: 'stream', code: 'internal-error', message });
    }
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
      keys: (random) => this.keyLog.lookup(random),
      limits: this.limits,
      report: ({ msgId, ...v }, at) =>
        this.#opts.violation({ ...v, ts: at, flowId, ...(msgId === undefined ? {} : { msgId }) }),
    });
  }

  #udpOpen(flow: UdpFlow, ts: Micros, first: Uint8Array): void {
    const { client, server } = flow;
    const transport = recognizeUdp(first, client.port, server.port);
    const flowId = this.#flowId(flow.id);
    if (transport === 'dns') this.#dnsUdp.add(flow.id);
    else {
      const reader = this.#udpReader(flow, flowId, transport, first);
      if (reader) this.#readUdp.set(flow.id, reader);
    }
    const spec = {
      flowId,
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

  /** Who reads a UDP flow that is not DNS: CoAP, RTP (by its first datagram, confirmed by the next), raw, none. */
  #udpReader(flow: UdpFlow, flowId: FlowId, transport: 'coap' | 'udp', first: Uint8Array) {
    const report = (v: ViolationInput, at: Micros) => this.#opts.violation({ ...v, ts: at, flowId });
    if (transport === 'coap') return new CoapStream(flowId, this.#emit, report);
    if (!udpPayloadReadable(first, flow.client, flow.server)) return undefined;
    return parseRtp(first) ? new RtpStream(flowId, this.#emit, report) : new RawStream(flowId, this.#emit);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

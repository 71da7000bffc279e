/**
 * Decides what a TCP connection speaks from its first bytes and hands both streams to the handler for it:
 * HTTP/1 (a request line), TLS left opaque (a handshake record), or raw bytes (anything else, delivered to the
 * analyzers as one message per direction, so a toy streaming PCM over plain TCP is still seen). The flow is
 * opened once the transport is known, with the bytes held until then replayed into the chosen handler.
 */

import { mqttConnectPrefix } from '../decode/mqtt.ts';
import {
  deviceIdOf,
  type FlowId,
  type FlowInfo,
  type Micros,
  type ServerEndpoint,
  type TlsState,
  type Transport,
} from '../model/flow.ts';
import { DEFAULT_LIMITS, type Limits } from '../model/limits.ts';
import type { ViolationInput } from '../model/violation.ts';
import { type DnsFlows, isDnsPort } from './dns-flows.ts';
import { Http1Handler } from './http1.ts';
import { startLinePrefix } from './http1-head.ts';
import { MqttStream, msgIdCounter } from './mqtt-stream.ts';
import { TlsStream } from './tls-stream.ts';
import type { EmitEvent, StreamDir, StreamHandler, TcpCloseReason, TcpConn } from './types.ts';
import { websocketUpgrade } from './websocket-stream.ts';

/** First upload bytes held while the request line is still ambiguous (a method name is at most 20 bytes). */
const MAX_UNDECIDED_BYTES = 24;

export interface ConnectionEnv {
  flowId: FlowId;
  conn: TcpConn;
  openTs: Micros;
  captureId?: string;
  emit: EmitEvent;
  report: (v: ViolationInput & { msgId?: number }, ts: Micros) => void;
  /** DNS of this replay: hosts for bare IPs at flow.open, and the handler for TCP port 53. */
  dns?: DnsFlows;
  /** The run's limits, passed to every handler; default DEFAULT_LIMITS. */
  limits?: Limits;
}

type Held = { dir: StreamDir; bytes: Uint8Array; ts: Micros };

export class ConnectionRouter implements StreamHandler {
  readonly #env: ConnectionEnv;
  #handler: StreamHandler | undefined;
  #held: Held[] = [];
  #heldUp = 0;
  readonly bytes = { up: 0, down: 0 };
  readonly missing = { up: 0, down: 0 };

  constructor(env: ConnectionEnv) {
    this.#env = env;
  }

  data(dir: StreamDir, bytes: Uint8Array, ts: Micros): void {
    this.bytes[dir] += bytes.length;
    if (this.#handler) {
      this.#handler.data(dir, bytes, ts);
      return;
    }
    this.#held.push({ dir, bytes: bytes.slice(), ts });
    if (dir === 'up') this.#heldUp += bytes.length;
    this.#decide(false);
  }

  gap(dir: StreamDir, length: number, ts: Micros): void {
    this.missing[dir] += length;
    if (!this.#handler) this.#decide(true);
    this.#handler?.gap(dir, length, ts);
  }

  close(ts: Micros, reason: TcpCloseReason): void {
    if (!this.#handler) this.#decide(true);
    this.#handler?.close(ts, reason);
    const error = closeError(reason);
    this.#env.emit({
      ts,
      type: 'flow.close',
      flowId: this.#env.flowId,
      stats: { bytesUp: this.bytes.up, bytesDown: this.bytes.down, bytesMissing: this.missing.up + this.missing.down },
      ...(error ? { error } : {}),
    });
  }

  /** Picks the handler once the first bytes tell (or `force`d by a gap or close), then replays what was held. */
  #decide(force: boolean): void {
    const first = this.#held[0];
    let kind: 'http' | 'tls' | 'mqtt' | 'dns' | 'raw' | undefined;
    if (this.#env.dns && isDnsPort(this.#env.conn.server.port)) kind = 'dns';
    else if (first === undefined) kind = force ? 'raw' : undefined;
    else if (first.dir === 'down') kind = 'raw';
    else {
      const up = Buffer.concat(this.#held.filter((h) => h.dir === 'up').map((h) => h.bytes));
      if (up[0] === 0x16 && (up.length < 2 || up[1] === 0x03)) kind = 'tls';
      else if (up[0] === 0x10) {
        const mqtt = mqttConnectPrefix(up.subarray(0, MAX_UNDECIDED_BYTES));
        if (mqtt === 'ok') kind = 'mqtt';
        else if (mqtt === 'bad' || force || this.#heldUp >= MAX_UNDECIDED_BYTES) kind = 'raw';
      } else {
        const line = startLinePrefix('request', up.subarray(0, MAX_UNDECIDED_BYTES));
        if (line === 'ok') kind = 'http';
        else if (line === 'bad' || force || this.#heldUp >= MAX_UNDECIDED_BYTES) kind = 'raw';
      }
    }
    if (kind === undefined) return;
    this.#handler = this.#start(kind);
    const held = this.#held;
    this.#held = [];
    for (const h of held) this.#handler.data(h.dir, h.bytes, h.ts);
  }

  #start(kind: 'http' | 'tls' | 'mqtt' | 'dns' | 'raw'): StreamHandler {
    const env = this.#env;
    const limits = env.limits ?? DEFAULT_LIMITS;
    const transport: Transport = kind === 'http' || kind === 'mqtt' || kind === 'dns' ? kind : 'tcp';
    const tls: TlsState = kind === 'tls' ? 'opaque' : 'none';
    env.emit({ ts: env.openTs, type: 'flow.open', flow: flowInfo(env, transport, tls) });
    if (kind === 'http') {
      return new Http1Handler({
        flowId: env.flowId,
        emit: env.emit,
        report: env.report,
        server: { ip: env.conn.server.ip, port: env.conn.server.port },
        midStream: env.conn.midStream,
        limits,
        onUpgrade: (ctx) => websocketUpgrade(ctx, env, limits),
      });
    }
    if (kind === 'tls') return new TlsStream({ ...env, server: serverOf(env), limits });
    if (kind === 'dns' && env.dns) return env.dns.tcpStream(env.flowId, env.conn);
    if (kind === 'mqtt') return new MqttStream({ ...env, nextMsgId: msgIdCounter() }, limits);
    return new RawStream(env.flowId, env.emit);
  }
}

function flowInfo(env: ConnectionEnv, transport: Transport, tls: TlsState): FlowInfo {
  const { client } = env.conn;
  const device = { ip: client.ip, port: client.port, ...(client.mac ? { mac: client.mac } : {}) };
  return {
    id: env.flowId,
    deviceId: deviceIdOf(device),
    device,
    server: serverOf(env),
    transport,
    tls,
    source: 'capture',
    ...(env.captureId ? { captureId: env.captureId } : {}),
  };
}

/** The server endpoint, with the host a DNS answer in this replay gave for its IP. */
function serverOf(env: ConnectionEnv): ServerEndpoint {
  return env.dns?.server(env.conn.server) ?? { ip: env.conn.server.ip, port: env.conn.server.port };
}

function closeError(reason: TcpCloseReason): { code: string; message: string } | undefined {
  switch (reason) {
    case 'fin':
      return undefined;
    case 'rst':
      return { code: 'reset', message: 'connection reset' };
    case 'idle':
      return { code: 'idle', message: 'no packets for the idle timeout; closed by the reassembler' };
    case 'evicted':
      return { code: 'evicted', message: 'evicted by the reassembler bounds or a new connection on the same ports' };
    case 'end-of-capture':
      return { code: 'open-at-end', message: 'still open when the capture ended' };
  }
}

/** A stream of unknown bytes: one `raw` message per direction, from its first byte to the connection's end. */
export class RawStream implements StreamHandler {
  readonly #flowId: FlowId;
  readonly #emit: EmitEvent;
  readonly #msg: Partial<Record<StreamDir, number>> = {};
  #nextMsgId = 0;

  constructor(flowId: FlowId, emit: EmitEvent) {
    this.#flowId = flowId;
    this.#emit = emit;
  }

  data(dir: StreamDir, bytes: Uint8Array, ts: Micros): void {
    const msgId = this.#message(dir, ts);
    this.#emit({ ts, type: 'message.chunk', flowId: this.#flowId, msgId, data: bytes });
  }

  gap(dir: StreamDir, length: number, ts: Micros): void {
    const msgId = this.#message(dir, ts);
    this.#emit({ ts, type: 'message.gap', flowId: this.#flowId, msgId, length });
  }

  close(ts: Micros): void {
    for (const msgId of Object.values(this.#msg)) this.#emit({ ts, type: 'message.end', flowId: this.#flowId, msgId });
  }

  #message(dir: StreamDir, ts: Micros): number {
    let msgId = this.#msg[dir];
    if (msgId === undefined) {
      msgId = this.#nextMsgId++;
      this.#msg[dir] = msgId;
      const direction = dir === 'up' ? 'upload' : 'download';
      this.#emit({
        ts,
        type: 'message.head',
        flowId: this.#flowId,
        msg: { msgId, direction, protocol: 'raw', headers: [] },
      });
    }
    return msgId;
  }
}

/**
 * The seam between the relay and the analysis: a `FlowTap` takes each relayed chunk synchronously (the relay
 * never waits on it, and it never buffers), plus the connection's end. `streamTaps` opens one for the shared
 * stream layer (src/streams/ConnectionRouter, the handlers replay uses, so the proxy parses nothing for analysis
 * itself); `teeTaps` adds another consumer (the --save capture). Not here: sockets (relay.ts), what the proxy
 * knows about a connection's TLS (tls-leg.ts).
 */
import type { FlowEvent } from '../src/model/events.ts';
import type { FlowError, FlowId, Micros, TlsState } from '../src/model/flow.ts';
import type { Limits } from '../src/model/limits.ts';
import type { TlsInfo } from '../src/model/tls.ts';
import type { Violation } from '../src/model/violation.ts';
import type { DnsFlows } from '../src/streams/dns.ts';
import { ConnectionRouter } from '../src/streams/router.ts';
import type { Endpoint, StreamDir } from '../src/streams/types.ts';
import type { DeviceWire } from './device-wire.ts';

/** What the proxy knows about a connection when it opens its flow. */
export interface LiveConnection {
  flowId: FlowId;
  client: Endpoint;
  /** The cloud: the address the relay reached (or 0.0.0.0 when none was), and the host the device asked for. */
  server: Endpoint & { host?: string };
  /** `none`, `intercepted`, `passthrough`, or `device-rejected-cert` / `opaque` for a refused handshake. */
  tls: TlsState;
  /** The device's ClientHello and alert, the cloud's version, cipher and certificate, when TLS was involved. */
  tlsInfo?: TlsInfo;
  openTs: Micros;
  /**
   * An intercepted leg's TLS as the device saw it, with its secrets, when the proxy was asked to keep it
   * (`ProxyOptions.deviceWire`, for `--save-tls`); the taps' `data` still gets the plaintext.
   */
  wire?: DeviceWire;
}

/** How a relayed connection ended: cleanly, reset by one side, or failed (the FlowError says what). */
export type TapEnd = { reason: 'fin' } | { reason: 'rst' | 'error'; error: FlowError };

/** One connection's consumer of relayed bytes. Every method is synchronous and must not throw. */
export interface FlowTap {
  /** A chunk as relayed: `up` device → cloud, `down` cloud → device (plaintext of an intercepted leg). */
  data(dir: StreamDir, bytes: Uint8Array, ts: Micros): void;
  close(ts: Micros, end: TapEnd): void;
}

/** Opens the tap of a new connection. */
export type OpenTap = (conn: LiveConnection) => FlowTap;

export interface StreamTapOptions {
  /** Where the flow events go (the pipeline's push). */
  emit: (ev: FlowEvent) => void;
  /** Stream-layer violations (malformed HTTP, WebSocket, MQTT …), with flow id and time. */
  violation: (v: Violation) => void;
  limits: Limits;
  /** The run's DNS (the gateway's forwarder feeds it): hosts for flows to bare IPs, names never contacted. */
  dns?: DnsFlows;
  /** A LAN client's MAC (the gateway's neighbour table), so flows are attributed to the device. */
  macOf?: (ip: string) => string | undefined;
}

/** Taps into the shared stream layer: one ConnectionRouter per connection, its events to `emit`. */
export function streamTaps(opts: StreamTapOptions): OpenTap {
  return (conn) => {
    const { flowId } = conn;
    const mac = opts.macOf?.(conn.client.ip);
    const router = new ConnectionRouter({
      ...conn,
      ...(mac ? { client: { ...conn.client, mac } } : {}),
      ...(opts.dns ? { dns: opts.dns } : {}),
      source: 'live',
      emit: opts.emit,
      limits: opts.limits,
      report: ({ msgId, ...v }, ts) => opts.violation({ ...v, ts, flowId, ...(msgId === undefined ? {} : { msgId }) }),
    });
    return {
      data: (dir, bytes, ts) => router.data(dir, bytes, ts),
      close: (ts, end) => router.close(ts, end.reason, end.reason === 'fin' ? {} : { error: end.error }),
    };
  };
}

/** Both taps get every call, in order. */
export function teeTaps(a: OpenTap, b: OpenTap): OpenTap {
  return (conn) => {
    const x = a(conn);
    const y = b(conn);
    return {
      data(dir, bytes, ts) {
        x.data(dir, bytes, ts);
        y.data(dir, bytes, ts);
      },
      close(ts, end) {
        x.close(ts, end);
        y.close(ts, end);
      },
    };
  };
}

/** Wall-clock time in microseconds since the epoch (the live `ts` of every event). */
export function nowMicros(): Micros {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/**
 * Contracts of the stream layer (src/streams/): the two byte streams of one connection in, FlowEvents out.
 * Both byte sources feed it the same way: replay (src/capture/, after TCP reassembly) and the live proxy
 * (proxy/, from its relay's tap). Only the caller knows where bytes came from and what TLS did to them, so it
 * says so in the {@link ConnectionSpec}; nothing below branches on the source.
 */
import type { FlowEvent } from '../model/events.ts';
import type { FlowError, FlowId, FlowSource, Micros, TlsState } from '../model/flow.ts';
import type { Limits } from '../model/limits.ts';
import type { TlsInfo } from '../model/tls.ts';
import type { ViolationInput } from '../model/violation.ts';

/** One end of a connection as a source sees it. */
export interface Endpoint {
  ip: string;
  port: number;
  mac?: string;
}

/** `up` = client→server (device→cloud), `down` = server→client. */
export type StreamDir = 'up' | 'down';

/**
 * Why a connection ended. Replay: `fin`, `rst`, or the reassembler's `idle`, `evicted`, `end-of-capture`.
 * Live: `fin`, `rst`, or `error` (with a FlowError saying which: upstream refused, timeout …).
 */
export type CloseReason = 'fin' | 'rst' | 'idle' | 'evicted' | 'end-of-capture' | 'error';

/** A per-connection application protocol handler (HTTP/1, WebSocket, MQTT, TLS, DNS, raw). */
export interface StreamHandler {
  data(dir: StreamDir, bytes: Uint8Array, ts: Micros): void;
  gap(dir: StreamDir, length: number, ts: Micros): void;
  close(ts: Micros, reason: CloseReason): void;
}

export type EmitEvent = (ev: FlowEvent) => void;

/** A violation from a stream handler; the connection adds flowId and ts. */
export type StreamViolation = ViolationInput & { msgId?: number };

/** What the caller (replay or proxy) says about a connection it hands to the stream layer. */
export interface ConnectionSpec {
  flowId: FlowId;
  /** The device end. */
  client: Endpoint;
  /** The cloud end; `host` when the caller already knows it (CONNECT host, SNI of an intercepted leg). */
  server: Endpoint & { host?: string };
  source: FlowSource;
  /**
   * What TLS did to these bytes: `none` (as on the wire), `intercepted` (plaintext inside a TLS leg the proxy
   * terminated), `decrypted` (plaintext recovered from a capture with keys), `passthrough` (TLS relayed
   * unread). A stream that turns out to be TLS itself is `opaque` unless the caller said `passthrough`.
   */
  tls: TlsState;
  /** The capture (sha256) a replayed connection came from. */
  captureId?: string;
  /** Replay saw no SYN: both directions start by looking for a start line. */
  midStream?: boolean;
  /** When the connection opened (the flow.open's ts, even if the protocol is decided later). */
  openTs: Micros;
  /**
   * TLS metadata the caller already holds, carried on `flow.open`: the live proxy's two handshakes of an
   * intercepted or refused leg (the device's ClientHello and alert, the cloud's version, cipher and certificate),
   * or a saved capture's connection comment. A TLS stream read here adds what the bytes show; the caller's fields
   * win (a device leg saved with `--save-tls` keeps the cloud's version and cipher, not the proxy's leg's).
   */
  tlsInfo?: TlsInfo;
}

/** Everything a connection's handlers need besides the spec. */
export interface ConnectionEnv extends ConnectionSpec {
  emit: EmitEvent;
  report: (v: StreamViolation, ts: Micros) => void;
  /** The run's limits, passed to every handler. */
  limits: Limits;
}

/** Why a flow ended badly, from its close reason (undefined for a clean `fin`). */
export function closeError(reason: CloseReason, error?: FlowError): FlowError | undefined {
  if (error) return error;
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
    case 'error':
      return { code: 'error', message: 'connection failed' };
  }
}

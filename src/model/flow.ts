/**
 * Flow values shared by every source (live proxy, pcap/pcapng replay, HAR import) and the core.
 * Types and tiny constructors only, no logic. The values are pinned by docs/ARCHITECTURE.md § Contracts.
 */
import type { TlsInfo } from './tls.ts';

/** Microseconds since the Unix epoch: capture time on replay, wall clock live. */
export type Micros = number;

/** Identifies one flow (one TCP connection, one UDP 5-tuple, one HAR entry group) within a run. */
export type FlowId = string;

/** Identifies one message within its flow (0, 1, 2, … in arrival order, both directions). */
export type MsgId = number;

/** The application protocol of a flow; `tcp`/`udp` mean "not recognised". */
export type Transport = 'http' | 'websocket' | 'mqtt' | 'coap' | 'dns' | 'tcp' | 'udp';

/**
 * TLS state, separate from the transport. "https" and "tls-opaque" are display labels only
 * (http + intercepted/decrypted; opaque/passthrough), see {@link displayLabel}.
 */
export type TlsState = 'none' | 'intercepted' | 'decrypted' | 'passthrough' | 'device-rejected-cert' | 'opaque';

/** Where the flow's events come from. Nothing in the core branches on it; it is stored for the record. */
export type FlowSource = 'live' | 'capture' | 'har';

/** The device side of a flow. */
export interface DeviceEndpoint {
  ip: string;
  port: number;
  /** Lower-case colon-separated MAC, when the link layer or the proxy knows it. */
  mac?: string;
}

/** The cloud side of a flow. */
export interface ServerEndpoint {
  ip: string;
  port: number;
  /** Host name from Host header, SNI or DNS, lower-case; absent when only the IP is known. */
  host?: string;
}

/** What `flow.open` says about a flow. */
export interface FlowInfo {
  id: FlowId;
  /** The MAC when known, else the client IP (Contracts: Devices). */
  deviceId: string;
  device: DeviceEndpoint;
  server: ServerEndpoint;
  transport: Transport;
  tls: TlsState;
  source: FlowSource;
  /** The capture (sha256) a replayed flow came from. */
  captureId?: string;
  /** TLS handshake metadata, once a source has read it (flow.update). */
  tlsInfo?: TlsInfo;
}

/** Byte counts a source reports at `flow.close`. Bytes are application payload (after TLS, before framing removal). */
export interface FlowStats {
  bytesUp: number;
  bytesDown: number;
  /** Bytes lost in the capture (sum of `message.gap` lengths and unreassembled holes). */
  bytesMissing?: number;
  /** Replay only: capture frame numbers (1-based, as Wireshark counts) of the flow's first and last packet. */
  frames?: FrameRange;
}

/** The first and last capture frame of a flow. */
export interface FrameRange {
  first: number;
  last: number;
}

/** Why a flow ended badly. */
export interface FlowError {
  /** Stable kebab-case code, e.g. `reset`, `truncated-capture`, `tls-handshake-failed`. */
  code: string;
  message: string;
}

/** The deviceId rule of the Contracts: MAC when known, else the client IP. */
export function deviceIdOf(device: DeviceEndpoint): string {
  return device.mac ?? device.ip;
}

/** The human label for a flow's transport and TLS state ("https", "tls-opaque", "mqtt+tls", …). */
export function displayLabel(transport: Transport, tls: TlsState): string {
  if (tls === 'opaque' || tls === 'passthrough') return 'tls-opaque';
  if (tls === 'device-rejected-cert') return 'tls-rejected';
  if (tls === 'none') return transport;
  if (transport === 'http') return 'https';
  if (transport === 'websocket') return 'wss';
  return `${transport}+tls`;
}

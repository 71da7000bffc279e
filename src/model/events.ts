/**
 * Flow events: the only contract between sources (proxy/, src/capture/) and the sans-io core.
 * Every event carries `ts` (microseconds since the epoch; capture time on replay, wall clock live).
 */
import type {
  FlowError,
  FlowId,
  FlowInfo,
  FlowStats,
  Micros,
  MsgId,
  ServerEndpoint,
  TlsState,
  Transport,
} from './flow.ts';
import type { MessageHead } from './message.ts';

/** A TLS alert seen on the wire. */
export interface TlsAlert {
  from: 'client' | 'server';
  /** 1 warning, 2 fatal; absent when the alert was encrypted (TLS 1.3) and only its size told. */
  level?: number;
  /** RFC 8446 AlertDescription code (42 bad_certificate, 48 unknown_ca …); absent when encrypted. */
  description?: number;
  /** Name of the description (`bad_certificate`), or `encrypted`. */
  name: string;
  /** Sent after the server's certificate (TLS 1.2) or flight (TLS 1.3) and before the client finished. */
  afterCertificate: boolean;
}

/** TLS metadata read from the clear-text handshake of a flow (src/decode/tls-metadata.ts). Snapshot, not delta. */
export interface TlsInfo {
  /** ClientHello server_name, lower-case. */
  sni?: string;
  /** ClientHello ALPN protocols, in offered order. */
  alpn?: string[];
  /** Versions the client offered (supported_versions, else the hello version), GREASE removed: `TLSv1.3` … */
  versions?: string[];
  /** JA3 string and its md5. */
  ja3?: string;
  ja3Hash?: string;
  /** JA4 fingerprint (FoxIO spec), e.g. `t13d1516h2_8daaf6152771_e5627efa2ab1`. */
  ja4?: string;
  /** The version the server chose (supported_versions for TLS 1.3). */
  serverVersion?: string;
  /** The cipher suite the server chose, `0x1302`. */
  cipher?: string;
  /** The server sent a HelloRetryRequest. */
  helloRetry?: boolean;
  /** Leaf certificate names (`CN=…, O=…`) and validity (ISO 8601), visible in TLS 1.2 only. */
  certSubject?: string;
  certIssuer?: string;
  certNotBefore?: string;
  certNotAfter?: string;
  alerts?: TlsAlert[];
}

/** What a source learned about an open flow later (an Upgrade to WebSocket, a host from DNS, TLS decrypted). */
export interface FlowUpdate {
  transport?: Transport;
  tls?: TlsState;
  server?: ServerEndpoint;
  /** TLS handshake metadata: the whole current snapshot, replacing the previous one. */
  tlsInfo?: TlsInfo;
}

export type FlowEvent = { ts: Micros } & (
  | { type: 'flow.open'; flow: FlowInfo }
  | { type: 'flow.update'; flowId: FlowId; update: FlowUpdate }
  | { type: 'message.head'; flowId: FlowId; msg: MessageHead }
  /** Body bytes in arrival order, transfer framing removed, content-encoding kept. */
  | { type: 'message.chunk'; flowId: FlowId; msgId: MsgId; data: Uint8Array }
  /** Bytes lost in the capture. */
  | { type: 'message.gap'; flowId: FlowId; msgId: MsgId; length: number }
  | { type: 'message.end'; flowId: FlowId; msgId: MsgId }
  | { type: 'flow.close'; flowId: FlowId; stats: FlowStats; error?: FlowError }
);

export type FlowEventType = FlowEvent['type'];

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
import type { TlsInfo } from './tls.ts';

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

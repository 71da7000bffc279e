/** A decoder's report of malformed or over-limit input. Decoders flag; they never throw on bad bytes. */
import type { FlowId, Micros, MsgId } from './flow.ts';

export interface ViolationInput {
  /** The decoder that saw it: `json`, `gzip`, `multipart`, `pcapng`, `tcp`, … */
  decoder: string;
  /** Stable kebab-case code, e.g. `bad-remaining-length`, `inflate-ratio-exceeded`. */
  code: string;
  /** Human detail, safe to print (never captured content). */
  message?: string;
  /** Byte offset within the decoder's input where it was seen, when meaningful. */
  offset?: number;
}

export interface Violation extends ViolationInput {
  ts: Micros;
  flowId?: FlowId;
  msgId?: MsgId;
}

/**
 * Codes of anomalies: input read one way of several, where a peer (the server, a proxy, an IDS) may read the
 * same bytes another way, as Suricata's app-layer events (`anomaly-cl-te`; src/streams/http1-framing.ts).
 */
export const ANOMALY_CODE_PREFIX = 'anomaly-';

/** Whether a violation is such an anomaly. */
export const isAnomaly = (v: Pick<ViolationInput, 'code'>): boolean => v.code.startsWith(ANOMALY_CODE_PREFIX);

/** Where decoders send violations. */
export type ViolationSink = (v: ViolationInput) => void;

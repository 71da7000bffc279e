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

/** Where decoders send violations. */
export type ViolationSink = (v: ViolationInput) => void;

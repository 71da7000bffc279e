/**
 * What the store keeps of flows, messages and evidence: the records the pipeline emits through PipelineOutput
 * and the store's queries return. Model types, so the store and the surfaces need not import the pipeline.
 */
import type { Destination } from './finding.ts';
import type { FlowError, FlowId, FlowInfo, FrameRange, Micros, MsgId } from './flow.ts';
import type { Headers, MessageHead } from './message.ts';
import type { TokenKind } from './token.ts';

/** A flow as the store keeps it: emitted at `flow.open`, again at `flow.update`, and at `flow.close`. */
export interface FlowRecord extends FlowInfo {
  firstTs: Micros;
  lastTs: Micros;
  bytesUp: number;
  bytesDown: number;
  bytesMissing: number;
  closed: boolean;
  error?: FlowError;
  /** Where the flow goes: host or IP, eTLD+1, operator, first or third party for this device. */
  destination: Destination;
  /** Replay only: the capture frames of the flow's first and last packet. */
  frames?: FrameRange;
}

/** One message, emitted at `message.end` (or at flow close for a message never ended). */
export interface MessageRecord
  extends Pick<MessageHead, 'msgId' | 'direction' | 'protocol' | 'method' | 'url' | 'status' | 'requestId'> {
  flowId: FlowId;
  /** The head's fields in wire order, cut at MAX_STORED_HEAD_BYTES (then `headTruncated`). Personal: mask on output. */
  headers: Headers;
  headTruncated?: boolean;
  /** What the body decoded into; absent when no analyzer wanted the message (the body was only counted). */
  summary?: BodySummary;
  /** Declared Content-Type. */
  contentType?: string;
  /** MIME type of the body as sniffed (magic) or declared: the body part's type. */
  mime?: string;
  /** Body bytes as carried (before content decoding). */
  bodyBytes: number;
  gapBytes: number;
  firstTs: Micros;
  lastTs: Micros;
  /** WebSocket opcode / MQTT topic, for display. */
  topic?: string;
}

/** A piece of an evidence blob, in order; `final` on the last one. */
export interface EvidenceChunk {
  evidenceId: string;
  flowId: FlowId;
  msgId?: MsgId;
  mime: string;
  /** 0, 1, 2, … per blob. */
  seq: number;
  data: Uint8Array;
  final: boolean;
  /** Bytes were dropped at the evidence cap. */
  truncated: boolean;
  /** Bytes written so far, including this chunk, within the cap. */
  totalBytes: number;
}

/** One part a message body decoded into: the body itself, a multipart part, a base64 value, a binary field. */
export interface PartSummary {
  mime: string;
  /** `body`, `multipart`, `base64 $.path` …, as the pipeline names the part's origin. */
  origin: string;
  /** 0 for the body, n for a part nested n levels deep. */
  depth: number;
  /** Bytes of the part seen by the analyzers (after content decoding). */
  bytes: number;
  filename?: string;
}

/** What the pipeline made of a message body, for `toyscope flows show`: no values, only shapes and counts. */
export interface BodySummary {
  /** Parts in the order they started, at most MAX_SUMMARY_PARTS (`partsTruncated` past it). */
  parts: PartSummary[];
  partsTruncated?: boolean;
  /** Tokens the tokenizers produced, by kind. */
  tokens: Partial<Record<TokenKind, number>>;
}

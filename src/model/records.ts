/**
 * What the store keeps of flows, messages and evidence: the records the pipeline emits through PipelineOutput
 * and the store's queries return. Model types, so the store and the surfaces need not import the pipeline.
 */
import type { Destination } from './finding.ts';
import type { FlowError, FlowId, FlowInfo, Micros, MsgId } from './flow.ts';
import type { MessageHead } from './message.ts';

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
}

/** One message, emitted at `message.end` (or at flow close for a message never ended). */
export interface MessageRecord
  extends Pick<MessageHead, 'msgId' | 'direction' | 'protocol' | 'method' | 'url' | 'status'> {
  flowId: FlowId;
  /** Declared Content-Type. */
  contentType?: string;
  /** Sniffed MIME type of the body. */
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

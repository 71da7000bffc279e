/**
 * What leaves the pipeline (mitmproxy's commands): records for the store, findings, violations and evidence.
 * A sink implements `PipelineOutput`; the store writer, the CLI summary and tests are sinks.
 */
import type { Destination, Finding } from '../model/finding.ts';
import type { FlowError, FlowId, FlowInfo, Micros, MsgId } from '../model/flow.ts';
import type { Direction, MessageProtocol } from '../model/message.ts';
import type { Violation } from '../model/violation.ts';

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
export interface MessageRecord {
  flowId: FlowId;
  msgId: MsgId;
  direction: Direction;
  protocol: MessageProtocol;
  method?: string;
  url?: string;
  status?: number;
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

export interface PipelineOutput {
  flow(rec: FlowRecord): void;
  message(rec: MessageRecord): void;
  /** A new finding, or an update of one already emitted (same id). */
  finding(f: Finding): void;
  violation(v: Violation): void;
  evidence(e: EvidenceChunk): void;
}

/** A sink that collects everything in arrays (tests, replay summaries). Findings are kept last-update-wins. */
export class CollectingOutput implements PipelineOutput {
  readonly flows = new Map<FlowId, FlowRecord>();
  readonly messages: MessageRecord[] = [];
  readonly findingsById = new Map<string, Finding>();
  readonly findingUpdates: Finding[] = [];
  readonly violations: Violation[] = [];
  readonly evidenceChunks: EvidenceChunk[] = [];

  flow(rec: FlowRecord): void {
    this.flows.set(rec.id, rec);
  }
  message(rec: MessageRecord): void {
    this.messages.push(rec);
  }
  finding(f: Finding): void {
    this.findingsById.set(f.id, f);
    this.findingUpdates.push(f);
  }
  violation(v: Violation): void {
    this.violations.push(v);
  }
  evidence(e: EvidenceChunk): void {
    this.evidenceChunks.push(e);
  }
  get findings(): Finding[] {
    return [...this.findingsById.values()];
  }
}

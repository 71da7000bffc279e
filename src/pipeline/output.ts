/**
 * What leaves the pipeline (mitmproxy's commands): records for the store, findings, violations and evidence.
 * A sink implements `PipelineOutput`; the store writer, the CLI summary and tests are sinks.
 */
import type { Finding } from '../model/finding.ts';
import type { FlowId } from '../model/flow.ts';
import type { EvidenceChunk, FlowRecord, MessageRecord } from '../model/records.ts';
import type { Violation } from '../model/violation.ts';

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

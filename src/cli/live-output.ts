/**
 * What `toyscope proxy` prints while it runs, as a PipelineOutput in front of the store writer: one line per
 * closed flow and one per new finding (mitmdump style, values masked unless --reveal, made printable), or with
 * --json one NDJSON record per flow (`{"type":"flow", …}`) and per finding (`{"type":"finding", …}`, at first
 * detection and again when a streaming finding is final), in the shapes of the replay document. It counts what
 * the summary at exit says, including face checks shed under load. No I/O of its own: `print` writes.
 */
import { type Config, deviceName } from '../config.ts';
import type { Finding } from '../model/finding.ts';
import { displayLabel } from '../model/flow.ts';
import type { EvidenceChunk, FlowRecord, MessageRecord } from '../model/records.ts';
import type { Violation } from '../model/violation.ts';
import type { PipelineOutput } from '../pipeline/output.ts';
import { jsonFinding, jsonFlow } from '../report/json.ts';
import { cell, recipient, size } from './format.ts';
import { formatTime } from './time.ts';

export interface LiveOutputOptions {
  /** Writes one line (with its newline). */
  print(line: string): void;
  json: boolean;
  quiet: boolean;
  reveal: boolean;
  config: Config;
}

/** Reasons a face check was shed because the pool was busy (live only; replay waits instead). */
const SHED = new Set(['queue-full', 'timeout']);

export class LiveOutput implements PipelineOutput {
  readonly #inner: PipelineOutput;
  readonly #opts: LiveOutputOptions;
  readonly #seen = new Set<string>();
  flows = 0;
  findings = 0;
  /** Images the face pool did not check because it was busy (findings `face-unchecked`, reason queue-full/timeout). */
  faceShed = 0;

  constructor(inner: PipelineOutput, opts: LiveOutputOptions) {
    this.#inner = inner;
    this.#opts = opts;
  }

  flow(rec: FlowRecord): void {
    this.#inner.flow(rec);
    if (!rec.closed) return;
    this.flows++;
    if (this.#opts.quiet) return;
    if (this.#opts.json) {
      this.#opts.print(
        `${JSON.stringify({ type: 'flow', ...jsonFlow(rec), ...(rec.error ? { error: rec.error } : {}) })}\n`,
      );
      return;
    }
    const host = rec.server.host ?? rec.server.ip;
    const error = rec.error ? `  ${rec.error.code}: ${rec.error.message}` : '';
    this.#opts.print(
      `${clock(rec.lastTs)} ${cell(this.#device(rec.deviceId), 32)} → ${cell(host, 64)}:${rec.server.port}  ` +
        `${displayLabel(rec.transport, rec.tls)}  ↑${size(rec.bytesUp)} ↓${size(rec.bytesDown)}${cell(error, 160)}\n`,
    );
  }

  finding(f: Finding): void {
    this.#inner.finding(f);
    const isNew = !this.#seen.has(f.id);
    if (isNew) {
      this.#seen.add(f.id);
      this.findings++;
      if (f.subtype === 'face-unchecked' && SHED.has(String(f.detail?.reason))) this.faceShed++;
    }
    if (this.#opts.quiet || !(isNew || (this.#opts.json && f.final))) return;
    if (this.#opts.json) {
      this.#opts.print(`${JSON.stringify({ type: 'finding', ...jsonFinding(f, this.#opts.reveal) })}\n`);
      return;
    }
    const ev = f.evidence;
    const excerpt = this.#opts.reveal && ev.value !== undefined ? ev.value : ev.excerpt;
    this.#opts.print(
      `${clock(f.firstTs)} ! ${cell(`${f.category}/${f.subtype}`, 40)}  ${cell(this.#device(f.deviceId), 32)} → ` +
        `${cell(recipient(f.destination, true), 80)}  [${cell(excerpt, 40)}]\n`,
    );
  }

  message(rec: MessageRecord): void {
    this.#inner.message(rec);
  }

  violation(v: Violation): void {
    this.#inner.violation(v);
  }

  evidence(e: EvidenceChunk): void {
    this.#inner.evidence(e);
  }

  #device(id: string): string {
    return deviceName(this.#opts.config, id);
  }
}

const clock = (ts: number) => formatTime(ts).slice(11);

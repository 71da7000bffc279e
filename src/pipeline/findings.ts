/**
 * Turns an analyzer's ReportInput into a Finding (ids, device, destination, timestamps, redaction) and keeps
 * per-stream findings open so they can be updated in place and finalised at flow close.
 */
import type { FindingHandle, ReportInput } from '../model/analyzer.ts';
import type { Destination, Finding } from '../model/finding.ts';
import type { FlowInfo, Micros } from '../model/flow.ts';
import type { MessageHead } from '../model/message.ts';
import { redact } from './redact.ts';

const DEFAULT_CONFIDENCE = 0.9;

/** Live facts the handle needs when it (re-)emits: the flow's current destination, the clock, truncation. */
export interface FindingEnv {
  flow: () => FlowInfo;
  destination: () => Destination;
  now: () => Micros;
  evidenceTruncated: (evidenceId: string) => boolean;
  emit: (f: Finding) => void;
}

/** Whether the flow's bytes were inside TLS that we saw into (intercepted live, decrypted from a key log). */
export function isEncrypted(flow: FlowInfo): boolean {
  return flow.tls === 'intercepted' || flow.tls === 'decrypted';
}

export class OpenFinding implements FindingHandle {
  #f: Finding;
  #env: FindingEnv;

  constructor(id: string, input: ReportInput, head: MessageHead, env: FindingEnv) {
    this.#env = env;
    const flow = env.flow();
    const ts = env.now();
    this.#f = {
      id,
      flowId: flow.id,
      msgId: head.msgId,
      deviceId: flow.deviceId,
      category: input.category,
      subtype: input.subtype,
      confidence: clamp01(input.confidence ?? DEFAULT_CONFIDENCE),
      firstTs: ts,
      lastTs: ts,
      direction: head.direction,
      destination: env.destination(),
      encrypted: isEncrypted(flow),
      evidence: evidenceOf(input.excerpt, input.evidenceId, env),
      ...(input.path === undefined ? {} : { path: input.path }),
      ...(input.detail === undefined ? {} : { detail: { ...input.detail } }),
      final: !input.streaming,
    };
    env.emit({ ...this.#f });
  }

  get id(): string {
    return this.#f.id;
  }

  get final(): boolean {
    return this.#f.final;
  }

  update(patch: Partial<Pick<ReportInput, 'confidence' | 'excerpt' | 'detail' | 'evidenceId'>>): void {
    if (this.#f.final) return;
    const f = this.#f;
    if (patch.confidence !== undefined) f.confidence = clamp01(patch.confidence);
    if (patch.detail) f.detail = { ...f.detail, ...patch.detail };
    const excerpt = patch.excerpt ?? f.evidence.value ?? '';
    const evidenceId = patch.evidenceId ?? f.evidence.evidenceId;
    f.evidence = evidenceOf(excerpt, evidenceId, this.#env);
    f.lastTs = this.#env.now();
    this.#env.emit({ ...f });
  }

  finish(): void {
    if (this.#f.final) return;
    this.#f.final = true;
    this.#f.lastTs = Math.max(this.#f.lastTs, this.#env.now());
    this.#f.evidence = evidenceOf(this.#f.evidence.value ?? '', this.#f.evidence.evidenceId, this.#env);
    this.#env.emit({ ...this.#f });
  }
}

function evidenceOf(excerpt: string, evidenceId: string | undefined, env: FindingEnv): Finding['evidence'] {
  const ev: Finding['evidence'] = { excerpt: redact(excerpt), value: excerpt };
  if (evidenceId !== undefined) {
    ev.evidenceId = evidenceId;
    if (env.evidenceTruncated(evidenceId)) ev.truncated = true;
  }
  return ev;
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : DEFAULT_CONFIDENCE;
}

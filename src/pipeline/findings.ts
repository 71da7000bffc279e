/**
 * Turns an analyzer's ReportInput into a Finding (ids, device, destination, timestamps, redaction of the
 * personal parts only) and keeps per-stream findings open so they can be updated in place and finalised at flow
 * close.
 */
import { type Excerpt, excerptText, type FindingHandle, type ReportInput } from '../model/analyzer.ts';
import type { Destination, Finding, FindingDetail } from '../model/finding.ts';
import type { FlowInfo, Micros, MsgId } from '../model/flow.ts';
import type { Direction } from '../model/message.ts';
import { maskDetail, maskExcerpt } from './redact.ts';

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

/** Where a finding was made: a message (its head will do), or the flow itself (no `msgId`, direction `upload`). */
export interface FindingPlace {
  msgId?: MsgId;
  direction: Direction;
}

/** The place of flow-level findings (Analyzer.opened). */
export const FLOW_PLACE: FindingPlace = { direction: 'upload' };

export class OpenFinding implements FindingHandle {
  #f: Finding;
  #env: FindingEnv;
  /** What the analyzer said, kept as given so updates re-mask only the personal parts. */
  #excerpt: Excerpt;
  #detail: FindingDetail | undefined;
  #personal: FindingDetail | undefined;

  /** `at`: the message found in (a flow-level finding has no `msgId`). */
  constructor(id: string, input: ReportInput, at: FindingPlace, env: FindingEnv) {
    this.#env = env;
    this.#excerpt = input.excerpt;
    this.#detail = input.detail;
    this.#personal = input.personal;
    const flow = env.flow();
    const ts = env.now();
    this.#f = {
      id,
      flowId: flow.id,
      ...(at.msgId === undefined ? {} : { msgId: at.msgId }),
      deviceId: flow.deviceId,
      category: input.category,
      subtype: input.subtype,
      confidence: clamp01(input.confidence ?? DEFAULT_CONFIDENCE),
      firstTs: ts,
      lastTs: ts,
      direction: at.direction,
      destination: env.destination(),
      // A finding about the flow itself (its certificate check) was made on TLS whether or not we read inside it
      // yet: a replayed `--save-tls` leg opens `opaque` and is decrypted later, where live it opened `intercepted`.
      encrypted: at.msgId === undefined ? flow.tls !== 'none' : isEncrypted(flow),
      evidence: this.#evidence(input.evidenceId),
      ...(input.path === undefined ? {} : { path: input.path }),
      final: !input.streaming,
    };
    this.#setDetail();
    env.emit({ ...this.#f });
  }

  get id(): string {
    return this.#f.id;
  }

  get final(): boolean {
    return this.#f.final;
  }

  update(patch: Partial<Pick<ReportInput, 'confidence' | 'excerpt' | 'detail' | 'personal' | 'evidenceId'>>): void {
    if (this.#f.final) return;
    const f = this.#f;
    if (patch.confidence !== undefined) f.confidence = clamp01(patch.confidence);
    if (patch.detail) this.#detail = { ...this.#detail, ...patch.detail };
    if (patch.personal) this.#personal = { ...this.#personal, ...patch.personal };
    if (patch.excerpt !== undefined) this.#excerpt = patch.excerpt;
    f.evidence = this.#evidence(patch.evidenceId ?? f.evidence.evidenceId);
    this.#setDetail();
    f.lastTs = this.#env.now();
    this.#env.emit({ ...f });
  }

  finish(): void {
    if (this.#f.final) return;
    this.#f.final = true;
    this.#f.lastTs = Math.max(this.#f.lastTs, this.#env.now());
    this.#f.evidence = this.#evidence(this.#f.evidence.evidenceId);
    this.#env.emit({ ...this.#f });
  }

  /** Readable detail plus the personal values masked; the personal values whole go to `evidence.detail`. */
  #setDetail(): void {
    const personal = this.#personal;
    if (this.#detail === undefined && personal === undefined) return;
    this.#f.detail = { ...this.#detail, ...(personal ? maskDetail(personal) : {}) };
  }

  #evidence(evidenceId: string | undefined): Finding['evidence'] {
    const ev: Finding['evidence'] = { excerpt: maskExcerpt(this.#excerpt), value: excerptText(this.#excerpt) };
    if (this.#personal !== undefined) ev.detail = { ...this.#personal };
    if (evidenceId !== undefined) {
      ev.evidenceId = evidenceId;
      if (this.#env.evidenceTruncated(evidenceId)) ev.truncated = true;
    }
    return ev;
  }
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : DEFAULT_CONFIDENCE;
}

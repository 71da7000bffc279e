/**
 * Evidence blobs (a voice clip, a photo) written by analyzers and sent out in chunks, capped at
 * MAX_EVIDENCE_BYTES: past the cap bytes are dropped and the blob is marked truncated.
 */
import type { EvidenceWriter } from '../model/analyzer.ts';
import type { FlowId, MsgId } from '../model/flow.ts';
import type { EvidenceChunk } from '../model/records.ts';

/** Bytes gathered before a chunk leaves, so the store gets few large rows rather than many frames. */
const EVIDENCE_CHUNK_BYTES = 64 * 1024;

export class CappedEvidence implements EvidenceWriter {
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #total = 0;
  #seq = 0;
  #truncated = false;
  #ended = false;

  constructor(
    readonly id: string,
    private readonly meta: { flowId: FlowId; msgId?: MsgId; mime: string },
    private readonly cap: number,
    private readonly emit: (c: EvidenceChunk) => void,
  ) {}

  get truncated(): boolean {
    return this.#truncated;
  }

  write(bytes: Uint8Array): void {
    if (this.#ended || bytes.length === 0) return;
    const room = this.cap - this.#total;
    if (room <= 0) {
      this.#truncated = true;
      return;
    }
    const kept = bytes.length > room ? bytes.subarray(0, room) : bytes;
    if (kept.length < bytes.length) this.#truncated = true;
    this.#pending.push(kept.slice());
    this.#pendingBytes += kept.length;
    this.#total += kept.length;
    if (this.#pendingBytes >= EVIDENCE_CHUNK_BYTES) this.#flush(false);
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#flush(true);
  }

  #flush(final: boolean): void {
    const data = Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.emit({
      evidenceId: this.id,
      flowId: this.meta.flowId,
      ...(this.meta.msgId === undefined ? {} : { msgId: this.meta.msgId }),
      mime: this.meta.mime,
      seq: this.#seq++,
      data,
      final,
      truncated: this.#truncated,
      totalBytes: this.#total,
    });
  }
}

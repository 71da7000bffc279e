/**
 * Streams nobody parses: `RawStream` hands unknown bytes to the analyzers as one `raw` message per direction
 * (a toy streaming PCM over plain TCP is still seen); `OpaqueStream` only counts bytes (the rest of an upgrade
 * nobody reads). Not here: deciding that a stream is unknown (router.ts).
 */
import type { FlowId, Micros, MsgId } from '../model/flow.ts';
import type { EmitEvent, StreamDir, StreamHandler } from './types.ts';

/** A stream nobody decodes: counts the bytes and gaps of each direction. */
export class OpaqueStream implements StreamHandler {
  readonly bytes = { up: 0, down: 0 };
  readonly missing = { up: 0, down: 0 };
  data(dir: StreamDir, bytes: Uint8Array): void {
    this.bytes[dir] += bytes.length;
  }
  gap(dir: StreamDir, length: number): void {
    this.missing[dir] += length;
  }
  close(): void {}
}

/** A stream of unknown bytes: one `raw` message per direction, from its first byte to the connection's end. */
export class RawStream implements StreamHandler {
  readonly #flowId: FlowId;
  readonly #emit: EmitEvent;
  readonly #msg: Partial<Record<StreamDir, number>> = {};
  readonly #nextMsgId: () => MsgId;

  /** `nextMsgId`: the flow's message ids when other messages came before on it (a watch's frames); default from 0. */
  constructor(flowId: FlowId, emit: EmitEvent, nextMsgId?: () => MsgId) {
    this.#flowId = flowId;
    this.#emit = emit;
    let n = 0;
    this.#nextMsgId = nextMsgId ?? (() => n++);
  }

  data(dir: StreamDir, bytes: Uint8Array, ts: Micros): void {
    const msgId = this.#message(dir, ts);
    this.#emit({ ts, type: 'message.chunk', flowId: this.#flowId, msgId, data: bytes });
  }

  gap(dir: StreamDir, length: number, ts: Micros): void {
    const msgId = this.#message(dir, ts);
    this.#emit({ ts, type: 'message.gap', flowId: this.#flowId, msgId, length });
  }

  close(ts: Micros): void {
    for (const msgId of Object.values(this.#msg)) this.#emit({ ts, type: 'message.end', flowId: this.#flowId, msgId });
  }

  #message(dir: StreamDir, ts: Micros): number {
    let msgId = this.#msg[dir];
    if (msgId === undefined) {
      msgId = this.#nextMsgId();
      this.#msg[dir] = msgId;
      const direction = dir === 'up' ? 'upload' : 'download';
      this.#emit({
        ts,
        type: 'message.head',
        flowId: this.#flowId,
        msg: { msgId, direction, protocol: 'raw', headers: [] },
      });
    }
    return msgId;
  }
}

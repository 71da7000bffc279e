/**
 * A CoAP flow (UDP) → FlowEvents: each request or response carrying a payload or a URI is a message (`protocol:
 * 'coap'`), its direction the datagram's (a device answering its platform's GET with a reading uploads it); a
 * request's method and URI (`/rd?ep=urn:imei:…`, so its query is read like a URL's) and a response's code as status
 * (2.05 → 205); Content-Format as the `Content-Format` header, which the pipeline routes the payload by. A body sent
 * block by block (Block1 for a request, Block2 for a response, RFC 7959) is one message from its block 0 to the block
 * without the more flag. Empty messages (ACK, RST, pings) and bare 2.31 Continue answers to a block carry nothing. Not here: parsing (src/decode/coap.ts).
 */
import { COAP_METHODS, type CoapMessage, parseCoap } from '../decode/coap.ts';
import type { FlowId, Micros, MsgId } from '../model/flow.ts';
import type { Headers } from '../model/message.ts';
import type { ViolationInput } from '../model/violation.ts';
import type { EmitEvent, StreamDir } from './types.ts';

/** Malformed datagrams reported per flow; the rest are only counted. */
const MAX_REPORTED = 3;

export class CoapStream {
  readonly #flowId: FlowId;
  readonly #emit: EmitEvent;
  readonly #report: (v: ViolationInput, ts: Micros) => void;
  #nextMsgId = 0;
  /** Per direction, the message whose body arrives block by block, and the next block number it expects. */
  readonly #blocks: Partial<Record<StreamDir, { msgId: MsgId; next: number }>> = {};
  #malformed = 0;

  constructor(flowId: FlowId, emit: EmitEvent, report: (v: ViolationInput, ts: Micros) => void) {
    this.#flowId = flowId;
    this.#emit = emit;
    this.#report = report;
  }

  /** One datagram. */
  data(dir: StreamDir, bytes: Uint8Array, ts: Micros): void {
    const m = parseCoap(bytes);
    if (!m) {
      if (++this.#malformed <= MAX_REPORTED) {
        this.#report({ decoder: 'coap', code: 'malformed-message', message: `${bytes.length}-byte datagram` }, ts);
      }
      return;
    }
    if (m.codeClass === 0 && m.codeDetail === 0) return; // empty: an ACK, a reset, a ping
    if (m.codeClass === 2 && m.codeDetail === 31 && m.payload.length === 0) return; // 2.31 Continue: send the next block
    const open = this.#blocks[dir];
    if (open && m.block && m.block.num === open.next) {
      this.#chunk(open.msgId, m.payload, ts);
      open.next++;
      if (!m.block.more) this.#end(dir, ts);
      return;
    }
    if (open) this.#end(dir, ts); // a block missing, or another message: what came is what there is
    const msgId = this.#head(dir, m, ts);
    this.#chunk(msgId, m.payload, ts);
    if (m.block?.num === 0 && m.block.more) this.#blocks[dir] = { msgId, next: 1 };
    else this.#emit({ ts, type: 'message.end', flowId: this.#flowId, msgId });
  }

  close(ts: Micros): void {
    this.#end('up', ts);
    this.#end('down', ts);
  }

  #head(dir: StreamDir, m: CoapMessage, ts: Micros): MsgId {
    const msgId = this.#nextMsgId++;
    const headers: Headers = [
      ...(m.host === undefined ? [] : [['Uri-Host', m.host] as const]),
      ...(m.contentType === undefined ? [] : [['Content-Format', m.contentType] as const]),
    ];
    const request = m.codeClass === 0;
    this.#emit({
      ts,
      type: 'message.head',
      flowId: this.#flowId,
      msg: {
        msgId,
        direction: dir === 'up' ? 'upload' : 'download',
        protocol: 'coap',
        headers,
        ...(request
          ? { method: COAP_METHODS[m.codeDetail] as string, url: m.uri }
          : { status: m.codeClass * 100 + m.codeDetail }),
      },
    });
    return msgId;
  }

  #chunk(msgId: MsgId, payload: Uint8Array, ts: Micros): void {
    if (payload.length > 0) this.#emit({ ts, type: 'message.chunk', flowId: this.#flowId, msgId, data: payload });
  }

  #end(dir: StreamDir, ts: Micros): void {
    const open = this.#blocks[dir];
    if (!open) return;
    delete this.#blocks[dir];
    this.#emit({ ts, type: 'message.end', flowId: this.#flowId, msgId: open.msgId });
  }
}

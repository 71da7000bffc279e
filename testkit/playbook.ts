/**
 * Pipeline playbooks (mitmproxy): build FlowEvents for a flow by hand, push them through a Pipeline with a
 * CollectingOutput, and assert on what came out. No sockets, no files.
 */
import type { Analyzer } from '../src/model/analyzer.ts';
import type { FlowEvent } from '../src/model/events.ts';
import type { FlowInfo, Micros, MsgId } from '../src/model/flow.ts';
import type { Limits } from '../src/model/limits.ts';
import type { MessageHead } from '../src/model/message.ts';
import { CollectingOutput } from '../src/pipeline/output.ts';
import { Pipeline } from '../src/pipeline/pipeline.ts';

export function testFlow(overrides: Partial<FlowInfo> = {}): FlowInfo {
  return {
    id: 'c1:1',
    deviceId: '127.0.0.2',
    device: { ip: '127.0.0.2', port: 40000 },
    server: { ip: '127.0.0.1', port: 443, host: 'api.toy-cloud.example' },
    transport: 'http',
    tls: 'intercepted',
    source: 'capture',
    ...overrides,
  };
}

/** Events of one flow, with a clock that moves 1 ms per event. */
export class FlowScript {
  readonly events: FlowEvent[] = [];
  #ts: Micros;
  readonly flow: FlowInfo;

  constructor(flow: Partial<FlowInfo> = {}, startTs: Micros = 1_700_000_000_000_000) {
    this.flow = testFlow(flow);
    this.#ts = startTs;
    this.events.push({ ts: this.#tick(), type: 'flow.open', flow: this.flow });
  }

  #tick(): Micros {
    this.#ts += 1000;
    return this.#ts;
  }

  /** A whole message: head, body in the given chunks, end. */
  message(head: Partial<MessageHead> & { msgId: MsgId }, ...chunks: Array<Uint8Array | string>): this {
    const msg: MessageHead = { direction: 'upload', protocol: 'http', headers: [], ...head };
    this.events.push({ ts: this.#tick(), type: 'message.head', flowId: this.flow.id, msg });
    for (const c of chunks) {
      const data = typeof c === 'string' ? new TextEncoder().encode(c) : c;
      this.events.push({ ts: this.#tick(), type: 'message.chunk', flowId: this.flow.id, msgId: head.msgId, data });
    }
    this.events.push({ ts: this.#tick(), type: 'message.end', flowId: this.flow.id, msgId: head.msgId });
    return this;
  }

  raw(ev: FlowEvent): this {
    this.events.push(ev);
    return this;
  }

  close(): this {
    this.events.push({
      ts: this.#tick(),
      type: 'flow.close',
      flowId: this.flow.id,
      stats: { bytesUp: 0, bytesDown: 0 },
    });
    return this;
  }
}

/** Runs events through a fresh pipeline and returns what it emitted. */
export function play(analyzers: readonly Analyzer[], events: FlowEvent[], limits?: Partial<Limits>): CollectingOutput {
  const out = new CollectingOutput();
  const p = new Pipeline({ analyzers, output: out, ...(limits ? { limits } : {}) });
  for (const ev of events) p.push(ev);
  p.finish();
  return out;
}

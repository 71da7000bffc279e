/**
 * HAR import, the second pass: the entries of a HAR file (read by the JSON tokenizer as it streams) → FlowEvents,
 * as a capture's HTTP would give them, on the flows of har-flows.ts (one per `connection` group). Per entry: the request (`message.head` with the method, the origin-form target and the
 * headers, HTTP/2 pseudo-headers dropped; the `postData.text` body, or one rebuilt from `postData.params` when
 * there is no text: har-form.ts), the response (status and headers, without
 * Content-Encoding when a body follows since a HAR holds bodies decoded; `content.text`, base64-decoded when the
 * first pass saw `encoding: base64`), a declared body the HAR does not carry as a gap of its size, and Chromium's
 * `_webSocketMessages` as WebSocket messages. Bodies stream through in the tokenizer's pieces, never whole.
 * Sans-io; the first pass (har-index.ts)
 * gives what entries only say after their bodies. Not here: reading the file (replay-file.ts), HAR export
 * (src/report/har.ts).
 */
import { Base64Decoder } from '../decode/base64.ts';
import type { ByteSink } from '../decode/filter.ts';
import { JsonTokenizer } from '../decode/json-tokens.ts';
import type { FlowEvent } from '../model/events.ts';
import type { Micros, MsgId } from '../model/flow.ts';
import type { Limits } from '../model/limits.ts';
import type { Direction, MessageHead } from '../model/message.ts';
import type { Token } from '../model/token.ts';
import type { Violation, ViolationInput } from '../model/violation.ts';
import { type HarFlow, HarFlows, originForm, serverOf } from './har-flows.ts';
import { HarFormBody } from './har-form.ts';
import { entryPath, type HarEntryMeta } from './har-index.ts';

export interface HarReplayOptions {
  /** sha256 of the file: flows are `<first 12 hex>:<n>`. */
  captureId: string;
  /** The device every flow belongs to (`--device`, default `har:<file name>`). */
  deviceId: string;
  /** The first pass's per-entry metadata (HarIndex.entries). */
  entries: readonly HarEntryMeta[];
  emit: (ev: FlowEvent) => void;
  violation: (v: Violation) => void;
  limits: Limits;
}

/** One side of an entry being read: the head's fields until it is emitted, then its body. */
interface Side {
  direction: Direction;
  method?: string;
  url?: string;
  status?: number;
  headers: Array<[string, string]>;
  headerBytes: number;
  /** The header object being read (`…headers[3]`) and its name so far. */
  headerParent?: string;
  headerName?: string;
  msgId?: MsgId;
  base64?: Base64Decoder;
  /** The request body rebuilt from `postData.params` (an entry without `postData.text`). */
  form?: HarFormBody;
  /** Body bytes the HAR carried, and the size it declares (`bodySize`, else `content.size`; -1 unknown). */
  written: number;
  declared: number;
  ended: boolean;
}

interface Entry {
  index: number;
  meta: HarEntryMeta;
  request: Side;
  response: Side;
  flow?: HarFlow;
  /** The WebSocket message being read (`_webSocketMessages[i]`). */
  ws?: { parent: string; type?: string; opcode?: number; time?: number; msgId?: MsgId };
}

const newSide = (direction: Direction): Side => ({
  direction,
  headers: [],
  headerBytes: 0,
  written: 0,
  declared: -1,
  ended: false,
});

export class HarReplay {
  readonly skipped = new Map<string, number>();
  firstTs: Micros | undefined;
  lastTs: Micros = 0;
  /** Entries replayed. */
  entries = 0;
  readonly #opts: HarReplayOptions;
  readonly #tokenizer: JsonTokenizer;
  readonly #flows: HarFlows;
  #entry: Entry | undefined;
  #now: Micros = 0;

  constructor(opts: HarReplayOptions) {
    this.#opts = opts;
    const { captureId, deviceId, emit } = opts;
    this.#flows = new HarFlows({ captureId, deviceId, emit, maxOpen: opts.limits.MAX_HAR_OPEN_FLOWS });
    this.#tokenizer = new JsonTokenizer((t) => this.#token(t), {
      limits: opts.limits,
      report: (v) => this.#violation(v),
    });
  }

  write(chunk: Uint8Array): void {
    this.#tokenizer.write(chunk);
  }

  /** End of the file: the last entry is finished and every flow closed. */
  end(): void {
    this.#tokenizer.end();
    this.#finishEntry();
    this.#flows.closeAll();
  }

  #token(t: Token): void {
    const at = entryPath(t.path);
    if (!at) return;
    const meta = this.#opts.entries[at.index];
    if (!meta) {
      if (this.#entry?.index !== at.index) this.#finishEntry();
      return; // past MAX_HAR_ENTRIES: counted by the first pass
    }
    if (this.#entry?.index !== at.index) {
      this.#finishEntry();
      this.#entry = { index: at.index, meta, request: newSide('upload'), response: newSide('download') };
      this.entries++;
      this.#now = meta.started;
      this.firstTs ??= meta.started;
    }
    const e = this.#entry as Entry;
    const inner = at.inner;
    if (inner.startsWith('request.')) this.#request(e, inner.slice(8), t);
    else if (inner.startsWith('response.')) this.#response(e, inner.slice(9), t);
    else if (inner.startsWith('_webSocketMessages[')) this.#websocket(e, t);
  }

  #request(e: Entry, field: string, t: Token): void {
    const r = e.request;
    if (r.msgId === undefined) {
      if (field === 'method') r.method = t.value;
      else if (field === 'url') r.url = t.value;
      else if (field.startsWith('headers[')) this.#header(r, t);
    }
    if (field === 'bodySize') r.declared = Number(t.value);
    if (field === 'postData.text') this.#body(e, r, t.value, e.meta.requestBase64, e.meta.started);
    else if (field.startsWith('postData.params[') && !e.meta.requestText) this.#formToken(e, t);
  }

  /** A token of `postData.params` of an entry without `postData.text`: the body rebuilt from them (har-form.ts). */
  #formToken(e: Entry, t: Token): void {
    const r = e.request;
    if (!r.form) {
      const declared = r.headers.find(([n]) => n.toLowerCase() === 'content-type')?.[1];
      let sink: ByteSink | undefined;
      const form = new HarFormBody(e.meta.requestMime ?? declared, () => {
        if (sink) return sink;
        // The head says what the body now is: a multipart one with the boundary it is written with.
        r.headers = [
          ...r.headers.filter(([n]) => n.toLowerCase() !== 'content-type'),
          ['content-type', form.contentType],
        ];
        const msgId = this.#head(e, r, e.meta.started, true) as MsgId;
        sink = this.#chunkSink(e.flow as HarFlow, msgId, r, e.meta.started);
        return sink;
      });
      r.form = form;
    }
    r.form.token(t.parent, t.key, t.value);
  }

  #response(e: Entry, field: string, t: Token): void {
    this.#endSide(e, e.request, e.meta.started);
    const r = e.response;
    if (r.msgId === undefined) {
      if (field === 'status') r.status = Number(t.value);
      else if (field.startsWith('headers[')) this.#header(r, t);
    }
    if (field === 'bodySize' && Number(t.value) > 0) r.declared = Number(t.value);
    else if (field === 'content.size' && r.declared <= 0) r.declared = Number(t.value);
    if (field === 'content.text') this.#body(e, r, t.value, e.meta.responseBase64, this.#responseTs(e));
  }

  /** A header object's `name` and `value` tokens, paired by their parent path. */
  #header(s: Side, t: Token): void {
    if (t.key !== 'name' && t.key !== 'value') return;
    if (s.headerParent !== t.parent) {
      s.headerParent = t.parent;
      s.headerName = undefined;
    }
    if (t.key === 'name') {
      s.headerName = t.value;
      return;
    }
    const name = s.headerName;
    if (name === undefined || name.startsWith(':')) return;
    s.headerBytes += name.length + t.value.length;
    if (s.headerBytes > this.#opts.limits.MAX_HTTP_HEADER_BYTES) {
      if (s.headerBytes - name.length - t.value.length <= this.#opts.limits.MAX_HTTP_HEADER_BYTES) {
        this.#violation({ decoder: 'har', code: 'header-too-large', message: `entry ${this.#entry?.index}` });
      }
      return;
    }
    s.headers.push([name, t.value]);
  }

  /** A piece of a body: the head goes first, then the bytes (base64-decoded when the first pass said so). */
  #body(e: Entry, s: Side, piece: string, base64: boolean, ts: Micros): void {
    const msgId = this.#head(e, s, ts, true);
    if (msgId === undefined || piece.length === 0) return;
    const flow = e.flow as HarFlow;
    const out = this.#chunkSink(flow, msgId, s, ts);
    if (!base64) {
      out.write(Buffer.from(piece, 'utf8'));
      return;
    }
    s.base64 ??= new Base64Decoder((v) => this.#violation({ ...v, decoder: 'har' }));
    s.base64.write(piece, out);
  }

  #chunkSink(flow: HarFlow, msgId: MsgId, s: Pick<Side, 'direction' | 'written'>, ts: Micros): ByteSink {
    const direction = s.direction;
    return {
      write: (data) => {
        if (data.length === 0) return;
        s.written += data.length;
        if (direction === 'upload') flow.bytesUp += data.length;
        else flow.bytesDown += data.length;
        this.#opts.emit({ ts, type: 'message.chunk', flowId: flow.id, msgId, data });
      },
      end: () => {},
    };
  }

  /**
   * Emits a side's head once (the request's opens or reuses its flow); undefined for a response that never came.
   * A HAR holds bodies decoded: a head followed by a body loses its Content-Encoding, so nobody inflates it twice.
   */
  #head(e: Entry, s: Side, ts: Micros, withBody = false): MsgId | undefined {
    if (s.msgId !== undefined) return s.msgId;
    if (s.direction === 'download' && !(s.status && s.status > 0)) return undefined;
    const flow = e.flow ?? this.#flowFor(e, ts);
    const msgId = flow.nextMsgId++;
    s.msgId = msgId;
    const headers = withBody ? s.headers.filter(([n]) => n.toLowerCase() !== 'content-encoding') : s.headers;
    const msg: MessageHead = { msgId, direction: s.direction, protocol: 'http', headers };
    if (s.direction === 'upload') {
      msg.method = s.method ?? 'GET';
      msg.url = originForm(s.url ?? '/');
    } else {
      msg.status = s.status as number;
      if (e.request.msgId !== undefined) msg.requestId = e.request.msgId;
    }
    this.#opts.emit({ ts, type: 'message.head', flowId: flow.id, msg });
    this.#seen(ts);
    return msgId;
  }

  /**
   * Ends a side (head first if it had no body); the body's base64 tail is flushed. A body the HAR declares but
   * does not carry (left out, or exported without it) is a gap of its declared size: it was sent, it is not here.
   */
  #endSide(e: Entry, s: Side, ts: Micros): void {
    if (s.ended) return;
    s.ended = true;
    s.form?.end(); // its last part: the head (with the rebuilt body's type) goes first if nothing was written yet
    const msgId = this.#head(e, s, ts);
    if (msgId === undefined) return;
    const flow = e.flow as HarFlow;
    s.base64?.end(this.#chunkSink(flow, msgId, s, ts));
    if (s.written === 0 && s.declared > 0) {
      this.#opts.emit({ ts, type: 'message.gap', flowId: flow.id, msgId, length: s.declared });
    }
    this.#opts.emit({ ts, type: 'message.end', flowId: flow.id, msgId });
  }

  #websocket(e: Entry, t: Token): void {
    const endTs = this.#endTs(e);
    this.#endSide(e, e.request, e.meta.started);
    this.#endSide(e, e.response, this.#responseTs(e));
    const flow = e.flow;
    if (!flow) return;
    if (!flow.websocket) {
      flow.websocket = true;
      this.#opts.emit({ ts: endTs, type: 'flow.update', flowId: flow.id, update: { transport: 'websocket' } });
    }
    if (e.ws?.parent !== t.parent) {
      this.#endWebSocketMessage(e);
      e.ws = { parent: t.parent };
    }
    const m = e.ws as NonNullable<Entry['ws']>;
    if (t.key === 'type') m.type = t.value;
    else if (t.key === 'opcode') m.opcode = Number(t.value);
    else if (t.key === 'time') m.time = Math.round(Number(t.value) * 1e6);
    else if (t.key === 'data') this.#websocketData(flow, m, t.value);
  }

  #websocketData(flow: HarFlow, m: NonNullable<Entry['ws']>, piece: string): void {
    if (m.opcode !== 1 && m.opcode !== 2) return; // control frames are not messages
    const direction: Direction = m.type === 'send' ? 'upload' : 'download';
    const ts = Number.isFinite(m.time) ? (m.time as number) : this.#now;
    if (m.msgId === undefined) {
      m.msgId = flow.nextMsgId++;
      const msg: MessageHead = {
        msgId: m.msgId,
        direction,
        protocol: 'websocket',
        headers: [],
        ws: { opcode: m.opcode, compressed: false },
      };
      this.#opts.emit({ ts, type: 'message.head', flowId: flow.id, msg });
      this.#seen(ts);
    }
    // Chromium writes binary messages as base64 text.
    const data = m.opcode === 2 ? Buffer.from(piece, 'base64') : Buffer.from(piece, 'utf8');
    this.#chunkSink(flow, m.msgId, { direction, written: 0 }, ts).write(data);
  }

  #endWebSocketMessage(e: Entry): void {
    const m = e.ws;
    if (m?.msgId === undefined || !e.flow) return;
    this.#opts.emit({ ts: m.time ?? this.#now, type: 'message.end', flowId: e.flow.id, msgId: m.msgId });
  }

  #finishEntry(): void {
    const e = this.#entry;
    if (!e) return;
    this.#entry = undefined;
    this.#endSide(e, e.request, e.meta.started);
    this.#endSide(e, e.response, this.#responseTs(e));
    this.#endWebSocketMessage(e);
    const flow = e.flow;
    if (!flow) return;
    flow.lastTs = Math.max(flow.lastTs, this.#endTs(e));
    this.#seen(flow.lastTs);
    if (e.meta.connection === undefined) this.#flows.close(`entry ${e.index}`);
  }

  /** The flow of an entry's connection group (har-flows.ts). */
  #flowFor(e: Entry, ts: Micros): HarFlow {
    const url = e.request.url ?? '';
    const server = serverOf(url, e.meta.serverIp);
    e.flow = this.#flows.flowFor(HarFlows.key(e.index, e.meta.connection, server), server, url, ts);
    return e.flow;
  }

  #responseTs(e: Entry): Micros {
    return e.meta.started + Math.round(e.meta.waitMs * 1000);
  }

  #endTs(e: Entry): Micros {
    return e.meta.started + Math.round(Math.max(e.meta.timeMs, e.meta.waitMs) * 1000);
  }

  #seen(ts: Micros): void {
    if (ts > this.lastTs) this.lastTs = ts;
  }

  #violation(v: ViolationInput): void {
    this.#opts.violation({ ...v, ts: this.#now });
  }
}

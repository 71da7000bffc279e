/**
 * mitmproxy's flow files (`mitmdump -w FILE`, `mitmproxy`'s save; flow format versions 7–20) → FlowEvents: each HTTP
 * flow's request and response become messages with their heads and bodies (as mitmproxy kept them: content-encoded
 * still, so the decode stage inflates them), a WebSocket's messages follow them, on one flow per client and server
 * connection (har-flows.ts groups them, with the client's address; https is `tls: 'intercepted'`: mitmproxy was the
 * man in the middle). TCP and UDP flows are counted under `skipped`, as a flow of another type. Bytes are written
 * as they are read; one record (a flow with its bodies, as mitmproxy writes it) is held until it is whole, at most
 * MAX_MITM_RECORD_BYTES. Not here: the file (replay-file.ts), the encoding (tnetstring.ts).
 */
import type { FlowEvent } from '../model/events.ts';
import type { Micros } from '../model/flow.ts';
import type { Limits } from '../model/limits.ts';
import type { Direction, Headers, MessageHead } from '../model/message.ts';
import type { Violation } from '../model/violation.ts';
import { type HarFlow, HarFlows, serverOf } from './har-flows.ts';
import { MAX_LENGTH_DIGITS, parseTnetstring, TnetstringError, type TnetValue, tnetLength } from './tnetstring.ts';

/** The largest record read: one flow with its bodies, held whole (that is how mitmproxy writes it). */
export const MAX_MITM_RECORD_BYTES = 512 * 1024 * 1024;

type Dict = { [key: string]: TnetValue };

export interface MitmReplayOptions {
  captureId: string;
  emit: (ev: FlowEvent) => void;
  violation: (v: Violation) => void;
  limits: Pick<Limits, 'MAX_HAR_OPEN_FLOWS'>;
}

const dict = (v: TnetValue | undefined): Dict | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v) ? (v as Dict) : undefined;
const text = (v: TnetValue | undefined): string | undefined =>
  typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('latin1') : undefined;
const bytes = (v: TnetValue | undefined): Buffer | undefined =>
  Buffer.isBuffer(v) ? v : typeof v === 'string' ? Buffer.from(v) : undefined;
const micros = (v: TnetValue | undefined): Micros | undefined =>
  typeof v === 'number' ? Math.round(v * 1e6) : undefined;

/** `[host, port]` of a connection's address. */
function address(v: TnetValue | undefined): { ip: string; port: number } | undefined {
  if (!Array.isArray(v) || v.length < 2) return undefined;
  const ip = text(v[0]);
  return ip !== undefined && typeof v[1] === 'number' ? { ip, port: v[1] } : undefined;
}

function headersOf(v: TnetValue | undefined): Headers {
  if (!Array.isArray(v)) return [];
  const out: Array<readonly [string, string]> = [];
  for (const h of v) {
    if (!Array.isArray(h) || h.length < 2) continue;
    const [name, value] = [text(h[0]), text(h[1])];
    if (name !== undefined && value !== undefined) out.push([name, value]);
  }
  return out;
}

export class MitmFlowsReplay {
  readonly #opts: MitmReplayOptions;
  readonly #flows: HarFlows;
  readonly skipped = new Map<string, number>();
  /** HTTP flows read. */
  entries = 0;
  /** Bytes of the record not yet whole, and where the file stands. */
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #offset = 0;
  /** The whole length of the record being read, once its prefix is here. */
  #need: number | undefined;
  #broken = false;
  firstTs: Micros | undefined;
  lastTs: Micros = 0;

  constructor(opts: MitmReplayOptions) {
    this.#opts = opts;
    this.#flows = new HarFlows({
      captureId: opts.captureId,
      deviceId: '0.0.0.0',
      emit: opts.emit,
      maxOpen: opts.limits.MAX_HAR_OPEN_FLOWS,
      source: 'capture',
      secureTls: 'intercepted',
    });
  }

  /** The file's next bytes; kept (not copied) until their record is whole: the caller must not reuse them. */
  write(chunk: Uint8Array): void {
    if (this.#broken || chunk.length === 0) return;
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    while (!this.#broken && this.#pendingBytes > 0) {
      if (this.#need === undefined) {
        const need = this.#recordLength();
        if (need === undefined) return;
        this.#need = need;
      }
      // Joined only once the record is whole: a large record arriving in many chunks is copied once.
      if (this.#pendingBytes < this.#need) return;
      const all = Buffer.concat(this.#pending, this.#pendingBytes);
      try {
        this.#flow(parseTnetstring(all.subarray(0, this.#need)).value);
      } catch (err) {
        if (!(err instanceof TnetstringError)) throw err;
        this.#fail('malformed', err.message);
        return;
      }
      this.#offset += this.#need;
      const rest = all.subarray(this.#need);
      this.#need = undefined;
      this.#pending = rest.length > 0 ? [rest] : [];
      this.#pendingBytes = rest.length;
    }
  }

  /** The next record's whole length, once its length prefix is here; fails on a bad or too large one. */
  #recordLength(): number | undefined {
    const head = Buffer.concat(this.#pending.slice(0, MAX_LENGTH_DIGITS + 1)).subarray(0, MAX_LENGTH_DIGITS + 1);
    let len: ReturnType<typeof tnetLength>;
    try {
      len = tnetLength(head, 0);
    } catch (err) {
      this.#fail('malformed', (err as Error).message);
      return undefined;
    }
    if (len === undefined) return undefined;
    const total = len.data + len.length + 1;
    if (total <= MAX_MITM_RECORD_BYTES) return total;
    this.#fail('record-too-large', `a record of ${total} bytes`);
    return undefined;
  }

  /** End of file: a record left unfinished is reported, every open flow closes. */
  end(): void {
    if (!this.#broken && this.#pendingBytes > 0)
      this.#fail('truncated', `${this.#pendingBytes} bytes of a record cut short`);
    this.#flows.closeAll();
  }

  /** One record of the file: a flow's state as mitmproxy saved it. */
  #flow(record: TnetValue): void {
    const f = dict(record);
    const type = text(f?.type);
    if (!f || type !== 'http') {
      this.#skip(type === undefined ? 'mitm-not-a-flow' : `mitm-${type}-flow`);
      return;
    }
    const req = dict(f.request);
    const clientConn = dict(f.client_conn);
    const serverConn = dict(f.server_conn);
    const method = text(req?.method);
    const host = text(req?.host);
    const port = req?.port;
    if (!req || method === undefined || host === undefined || typeof port !== 'number') {
      this.#skip('mitm-flow-without-request');
      return;
    }
    const scheme = text(req.scheme) ?? 'http';
    const path = text(req.path) ?? '/';
    const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
    const serverIp = address(serverConn?.ip_address)?.ip ?? address(serverConn?.address)?.ip;
    const server = serverOf(url, serverIp && /^[\d.:a-f]+$/i.test(serverIp) ? serverIp : undefined);
    const client = address(clientConn?.address ?? clientConn?.peername);
    const key = `${text(clientConn?.id) ?? ''}|${text(serverConn?.id) ?? this.entries}`;
    const ts = micros(req.timestamp_start) ?? micros(f.timestamp_created) ?? this.lastTs;
    this.#seen(ts);
    this.entries++;
    const flow = this.#flows.flowFor(key, server, url, ts, client);
    const head = (direction: Direction, extra: Partial<MessageHead>, headers: Headers): number => {
      const msgId = flow.nextMsgId++;
      this.#opts.emit({
        ts,
        type: 'message.head',
        flowId: flow.id,
        msg: { msgId, direction, protocol: 'http', headers, ...extra },
      });
      return msgId;
    };
    const request = head('upload', { method, url: path }, headersOf(req.headers));
    this.#body(flow, request, 'upload', bytes(req.content), micros(req.timestamp_end) ?? ts);
    const res = dict(f.response);
    if (res && typeof res.status_code === 'number') {
      const at = micros(res.timestamp_start) ?? ts;
      this.#seen(at);
      const response = head('download', { status: res.status_code, requestId: request }, headersOf(res.headers));
      this.#body(flow, response, 'download', bytes(res.content), micros(res.timestamp_end) ?? at);
    }
    this.#websocket(flow, dict(f.websocket));
  }

  #body(flow: HarFlow, msgId: number, direction: Direction, content: Buffer | undefined, ts: Micros): void {
    this.#seen(ts);
    if (content && content.length > 0) {
      this.#opts.emit({ ts, type: 'message.chunk', flowId: flow.id, msgId, data: content });
      if (direction === 'upload') flow.bytesUp += content.length;
      else flow.bytesDown += content.length;
    }
    this.#opts.emit({ ts, type: 'message.end', flowId: flow.id, msgId });
    flow.lastTs = Math.max(flow.lastTs, ts);
  }

  /** A WebSocket's messages: `[type, content, from_client, timestamp]` (type 1 text, 2 binary). */
  #websocket(flow: HarFlow, ws: Dict | undefined): void {
    const messages = ws?.messages;
    if (!Array.isArray(messages)) return;
    if (!flow.websocket) {
      flow.websocket = true;
      this.#opts.emit({ ts: flow.lastTs, type: 'flow.update', flowId: flow.id, update: { transport: 'websocket' } });
    }
    for (const m of messages) {
      if (!Array.isArray(m) || m.length < 4) continue;
      const opcode = m[0] === 1 ? 1 : 2;
      const ts = micros(m[3]) ?? flow.lastTs;
      const direction: Direction = m[2] === true ? 'upload' : 'download';
      const msgId = flow.nextMsgId++;
      const head: MessageHead = {
        msgId,
        direction,
        protocol: 'websocket',
        headers: [],
        ws: { opcode, compressed: false },
      };
      this.#opts.emit({ ts, type: 'message.head', flowId: flow.id, msg: head });
      this.#body(flow, msgId, direction, bytes(m[1]), ts);
    }
  }

  #seen(ts: Micros): void {
    this.firstTs = this.firstTs === undefined ? ts : Math.min(this.firstTs, ts);
    this.lastTs = Math.max(this.lastTs, ts);
  }

  /** Malformed input: reported once, counted under `skipped`, and the rest of the file is not read. */
  #fail(code: string, message: string): void {
    this.#broken = true;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#opts.violation({
      ts: this.lastTs,
      decoder: 'mitmproxy',
      code,
      message: `${message} at byte ${this.#offset}`,
      offset: this.#offset,
    });
    this.#skip(`mitm-${code}`);
  }

  #skip(reason: string): void {
    this.skipped.set(reason, (this.skipped.get(reason) ?? 0) + 1);
  }
}

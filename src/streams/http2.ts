/**
 * HTTP/2 on the two byte streams of one connection (h2c with prior knowledge, h2 decrypted from TLS, or h2c
 * after an HTTP/1 `Upgrade: h2c`) → the same FlowEvents the HTTP/1 handler emits: each stream is a request
 * message (`upload`: :method, :path as `url`, :authority as a leading `host` header, the other fields) and a
 * response message (`download`, `status`, `requestId` = its request), each with its DATA as chunks and ended at
 * END_STREAM or RST_STREAM. Interleaved streams each get their own body. An interim (1xx) response is a message
 * of its own, trailers end their message and are not read. Bounded: `MAX_HTTP2_STREAMS` streams tracked at once
 * (the oldest is ended and forgotten past it), header blocks and lists by `MAX_HTTP_HEADER_BYTES`, each
 * direction's HPACK table by `MAX_HPACK_TABLE_BYTES`. Violations (decoder `http2`), never exceptions; an HPACK
 * error stops that direction (its table no longer matches the encoder's).
 * Not here: frames (src/decode/http2-frames.ts), HPACK (src/decode/hpack.ts), flow.open (router.ts).
 */
import { HpackDecoder } from '../decode/hpack.ts';
import { Http2FrameReader, type Http2FrameSink } from '../decode/http2-frames.ts';
import type { Micros, MsgId, ServerEndpoint } from '../model/flow.ts';
import type { Limits } from '../model/limits.ts';
import type { Headers, MessageHead } from '../model/message.ts';
import { requestHost, type UpgradeContext } from './http1.ts';
import { type MessageStreamEnv, msgIdCounter } from './mqtt.ts';
import { PerDirectionStream } from './per-direction.ts';
import type { StreamDir, StreamHandler } from './types.ts';

/** The bounds of src/model/limits.ts the HTTP/2 handler enforces. */
export type Http2Limits = Pick<
  Limits,
  'MAX_HTTP_HEADER_BYTES' | 'MAX_HTTP2_STREAMS' | 'MAX_HPACK_TABLE_BYTES' | 'MAX_HTTP2_CONTINUATIONS'
>;

export interface Http2Env extends MessageStreamEnv {
  /** The flow's server endpoint: when given, the first request's host is announced with `flow.update`. */
  server?: ServerEndpoint;
  limits: Http2Limits;
}

/** SETTINGS_MAX_FRAME_SIZE. */
const SETTINGS_MAX_FRAME_SIZE = 0x5;

/** One HTTP/2 stream's messages: the open request and response (undefined once ended). */
interface H2Stream {
  request?: MsgId;
  /** The request's head msgId, for the response's `requestId`. */
  requestHead?: MsgId;
  response?: MsgId;
  /** A final (non-1xx) response head was seen: later HEADERS are trailers. */
  responded: boolean;
  /** The request's head was seen (or the stream was pushed): later client HEADERS are trailers. */
  requested: boolean;
}

/** Both directions of one HTTP/2 connection. */
export class Http2Stream extends PerDirectionStream<Http2FrameReader> {
  readonly #env: Http2Env;
  protected readonly decoders: Record<StreamDir, Http2FrameReader>;
  readonly #hpack: Record<StreamDir, HpackDecoder>;
  /** Streams tracked (a message open, or a response awaited), oldest first (Map insertion order). */
  readonly #streams = new Map<number, H2Stream>();
  #hostAnnounced = false;

  /** `upgraded`: the HTTP/1 request of an `Upgrade: h2c` that is stream 1 (its response comes as HTTP/2). */
  constructor(env: Http2Env, upgraded?: MsgId) {
    super();
    this.#env = env;
    const { limits } = env;
    const bounds = {
      maxHeaderBlockBytes: limits.MAX_HTTP_HEADER_BYTES,
      maxContinuations: limits.MAX_HTTP2_CONTINUATIONS,
    };
    const table = { maxTableBytes: limits.MAX_HPACK_TABLE_BYTES, maxListBytes: limits.MAX_HTTP_HEADER_BYTES };
    this.decoders = {
      up: new Http2FrameReader(this.#sink('up'), bounds, true),
      down: new Http2FrameReader(this.#sink('down'), bounds, false),
    };
    this.#hpack = { up: new HpackDecoder(table), down: new HpackDecoder(table) };
    if (upgraded !== undefined) this.#streams.set(1, { requestHead: upgraded, requested: true, responded: false });
  }

  override data(dir: StreamDir, bytes: Uint8Array, ts: Micros): void {
    this.#guard(() => super.data(dir, bytes, ts));
  }

  override gap(dir: StreamDir, length: number, ts: Micros): void {
    this.#guard(() => super.gap(dir, length, ts));
  }

  /** Ends both directions; a message still open (its stream never ended) is reported `truncated-stream`. */
  override close(ts: Micros): void {
    this.#guard(() => super.close(ts));
    for (const s of this.#streams.values()) {
      for (const msgId of [s.request, s.response]) {
        if (msgId === undefined) continue;
        this.#violation('truncated-stream', undefined, msgId);
        this.#end(msgId);
      }
    }
    this.#streams.clear();
  }

  /** Never throw: an unexpected error stops both directions, reported once (as the HTTP/1 handler does). */
  #guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.decoders.up.stop();
      this.decoders.down.stop();
      this.#violation('internal-error', undefined, undefined, String((err as Error)?.message ?? err));
    }
  }

  #sink(dir: StreamDir): Http2FrameSink {
    const other: StreamDir = dir === 'up' ? 'down' : 'up';
    return {
      data: (id, bytes) => {
        const msgId = this.#open(dir, id);
        if (msgId !== undefined && bytes.length > 0)
          this.#env.emit({ ts: this.ts, type: 'message.chunk', flowId: this.#env.flowId, msgId, data: bytes });
      },
      dataGap: (id, length) => {
        const msgId = this.#open(dir, id);
        if (msgId !== undefined)
          this.#env.emit({ ts: this.ts, type: 'message.gap', flowId: this.#env.flowId, msgId, length });
      },
      endStream: (id) => this.#endSide(dir, id),
      headers: (id, block, endStream, promised) => this.#headers(dir, id, block, endStream, promised),
      reset: (id) => {
        const s = this.#streams.get(id);
        if (!s) return;
        for (const msgId of [s.request, s.response]) if (msgId !== undefined) this.#end(msgId);
        this.#streams.delete(id);
      },
      settings: (params) => {
        for (const [key, value] of params)
          if (key === SETTINGS_MAX_FRAME_SIZE) this.decoders[other].maxFrameBytes = value;
      },
      goaway: () => {},
      violation: (code, offset, message) => this.#violation(code, offset, undefined, message),
    };
  }

  /** The open message of `dir` on stream `id`. */
  #open(dir: StreamDir, id: number): MsgId | undefined {
    const s = this.#streams.get(id);
    return dir === 'up' ? s?.request : s?.response;
  }

  #headers(dir: StreamDir, id: number, block: Uint8Array, endStream: boolean, promised: number | undefined): void {
    const decoded = this.#hpack[dir].decode(block);
    if (typeof decoded === 'string') {
      this.#violation(`hpack-${decoded}`, undefined, this.#open(dir, id));
      this.decoders[dir].stop();
      return;
    }
    if (decoded.truncated) this.#violation('header-list-too-large', undefined, this.#open(dir, id));
    const fields = decoded.headers;
    if (promised !== undefined) {
      // A server push: the promised stream's response answers a request the server wrote; none was sent.
      if (dir === 'down') this.#stream(promised, { requested: true, responded: false });
      return;
    }
    const s = this.#streams.get(id) ?? this.#stream(id, { requested: false, responded: false });
    if (dir === 'up' && !s.requested) this.#request(s, fields);
    else if (dir === 'down' && !s.responded) this.#response(s, fields);
    if (endStream) this.#endSide(dir, id);
  }

  #request(s: H2Stream, fields: Array<[string, string]>): void {
    const pseudo = new Map<string, string>();
    const headers: Array<[string, string]> = [];
    for (const [name, value] of fields) {
      if (name.startsWith(':')) pseudo.set(name, value);
      else headers.push([name, value]);
    }
    const method = pseudo.get(':method') ?? '';
    const authority = pseudo.get(':authority');
    if (authority !== undefined && !headers.some(([n]) => n === 'host')) headers.unshift(['host', authority]);
    const url = method === 'CONNECT' ? (authority ?? '') : (pseudo.get(':path') ?? '');
    const msgId = this.#env.nextMsgId();
    const head: MessageHead = { msgId, direction: 'upload', protocol: 'http', method, url, headers };
    this.#announceHost(method, url, headers);
    this.#env.emit({ ts: this.ts, type: 'message.head', flowId: this.#env.flowId, msg: head });
    s.requested = true;
    s.request = s.requestHead = msgId;
  }

  #response(s: H2Stream, fields: Array<[string, string]>): void {
    const status = Number(fields.find(([n]) => n === ':status')?.[1] ?? 0);
    const headers: Headers = fields.filter(([n]) => !n.startsWith(':'));
    const msgId = this.#env.nextMsgId();
    const head: MessageHead = {
      msgId,
      direction: 'download',
      protocol: 'http',
      status,
      headers,
      ...(s.requestHead !== undefined ? { requestId: s.requestHead } : {}),
    };
    this.#env.emit({ ts: this.ts, type: 'message.head', flowId: this.#env.flowId, msg: head });
    if (status >= 100 && status < 200) this.#end(msgId);
    else {
      s.responded = true;
      s.response = msgId;
    }
  }

  /** END_STREAM from `dir`: its message ends; a stream with nothing open is forgotten. */
  #endSide(dir: StreamDir, id: number): void {
    const s = this.#streams.get(id);
    if (!s) return;
    const msgId = dir === 'up' ? s.request : s.response;
    if (msgId !== undefined) this.#end(msgId);
    if (dir === 'up') s.request = undefined;
    else s.response = undefined;
    if (s.responded && s.request === undefined && s.response === undefined) this.#streams.delete(id);
  }

  /** A new stream record; past MAX_HTTP2_STREAMS the oldest is ended and forgotten. */
  #stream(id: number, init: H2Stream): H2Stream {
    this.#streams.set(id, init);
    if (this.#streams.size > this.#env.limits.MAX_HTTP2_STREAMS) {
      const [oldId, old] = this.#streams.entries().next().value as [number, H2Stream];
      this.#streams.delete(oldId);
      this.#violation('too-many-streams', undefined, old.request ?? old.response, `stream ${oldId} forgotten`);
      for (const msgId of [old.request, old.response]) if (msgId !== undefined) this.#end(msgId);
    }
    return init;
  }

  #announceHost(method: string, url: string, headers: Headers): void {
    const server = this.#env.server;
    if (!server || this.#hostAnnounced) return;
    const host = requestHost(method, url, headers);
    if (!host) return;
    this.#hostAnnounced = true;
    this.#env.emit({
      ts: this.ts,
      type: 'flow.update',
      flowId: this.#env.flowId,
      update: { server: { ...server, host } },
    });
  }

  #end(msgId: MsgId): void {
    this.#env.emit({ ts: this.ts, type: 'message.end', flowId: this.#env.flowId, msgId });
  }

  #violation(code: string, offset?: number, msgId?: MsgId, message?: string): void {
    this.#env.report(
      {
        decoder: 'http2',
        code,
        ...(offset !== undefined ? { offset } : {}),
        ...(msgId !== undefined ? { msgId } : {}),
        ...(message !== undefined ? { message } : {}),
      },
      this.ts,
    );
  }
}

/** The handler for the rest of a connection after an HTTP/1 `Upgrade: h2c` answered 101; undefined for others. */
export function h2cUpgrade(ctx: UpgradeContext, env: Omit<Http2Env, 'nextMsgId'>): StreamHandler | undefined {
  if (ctx.kind !== 'h2c') return undefined;
  return new Http2Stream({ ...env, nextMsgId: msgIdCounter(ctx.nextMsgId) }, ctx.request?.msgId);
}

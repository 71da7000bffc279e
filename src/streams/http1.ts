/**
 * HTTP/1.x on the two reassembled byte streams of one TCP connection → `message.head` / `message.chunk` /
 * `message.gap` / `message.end` FlowEvents, with llhttp-style named states per direction. Handles keep-alive,
 * pipelining (responses matched to requests in order), Content-Length, chunked (inline and gap-aware, so a lost
 * segment inside a chunk does not lose the body), close-delimited bodies, HEAD, 1xx and 100-continue, 204/304,
 * and Upgrade / CONNECT, whose rest is handed to `onUpgrade` or counted as opaque. Transfer framing is removed,
 * content-encoding kept. Bad bytes become violations, never exceptions; bytes a peer may read another way
 * (http1-framing.ts) become `anomaly-*` violations on their message.
 * Not here: flow.open / flow.close (router.ts), content decoding (the pipeline), TCP reassembly.
 */
import { isIP } from 'node:net';
import { ChunkedDecoder } from '../decode/chunked.ts';
import type { FlowId, Micros, MsgId, ServerEndpoint } from '../model/flow.ts';
import { DEFAULT_LIMITS, type Limits } from '../model/limits.ts';
import { type Headers, header, type MessageHead } from '../model/message.ts';
import { ANOMALY_CODE_PREFIX, type ViolationInput } from '../model/violation.ts';
import { ANOMALY_READINGS, bodyFraming, type HttpAnomaly, headAnomalies } from './http1-framing.ts';
import { findStartLine, hasToken, type ParsedHead, parseHead, startLinePrefix } from './http1-head.ts';
import { OpaqueStream } from './raw.ts';
import type { CloseReason, EmitEvent, StreamDir, StreamHandler } from './types.ts';

/** The bounds of src/model/limits.ts the HTTP/1 handler enforces. */
export type Http1Limits = Pick<
  Limits,
  'MAX_HTTP_HEADER_BYTES' | 'MAX_HTTP_CHUNK_LINE_BYTES' | 'MAX_HTTP_UPGRADE_HOLD_BYTES' | 'MAX_HTTP_PENDING_REQUESTS'
>;

/** A violation of the `http1` decoder, tied to a message when one was open. */
export interface Http1Violation extends ViolationInput {
  msgId?: MsgId;
}

/** What `onUpgrade` is told when a connection leaves HTTP/1. */
export interface UpgradeContext {
  /** Lower-case Upgrade protocol (`websocket`, `h2c` …), `connect` for a CONNECT tunnel, `unknown` if unnamed. */
  kind: string;
  /** The 101 or 2xx response head. */
  response: MessageHead;
  /** The request it answered, when seen. */
  request?: MessageHead;
  /** The next free msgId of the flow: a new handler continues the numbering from here. */
  nextMsgId: MsgId;
  ts: Micros;
}

export interface Http1Options {
  flowId: FlowId;
  emit: EmitEvent;
  /** Violations (decoder `http1`); the caller adds flowId and ts. */
  report: (v: Http1Violation, ts: Micros) => void;
  /** The flow's server endpoint: when given, the first request's host is announced with `flow.update`. */
  server?: ServerEndpoint;
  /** Returns the handler for the rest of both streams after an Upgrade/CONNECT; none = opaque. */
  onUpgrade?: (ctx: UpgradeContext) => StreamHandler | undefined;
  /** The connection was first seen mid-stream: both directions start by looking for a start line. */
  midStream?: boolean;
  /** The run's limits; default DEFAULT_LIMITS. */
  limits?: Http1Limits;
}

/** Parser states of one direction. */
type State =
  | 'start-line' // between messages: skipping empty lines
  | 'head' // collecting the start line and header fields
  | 'body-length' // Content-Length body
  | 'chunked' // chunked body, read by `Side.chunked`
  | 'body-close' // response body ended by close
  | 'paused' // client bytes after an Upgrade/CONNECT request, held until its response
  | 'resync' // sync lost: looking for a start line at a line start
  | 'opaque'
  | 'upgraded';

interface PendingRequest {
  head: MessageHead;
  upgrade: boolean;
}

const CR = 0x0d;
const LF = 0x0a;
const EMPTY = new Uint8Array(0);

/** Parser state of one direction. */
class Side {
  state: State = 'start-line';
  /** Stream offset of the next byte (gaps included), for violation offsets. */
  pos = 0;
  /** The open message, or -1. */
  msgId = -1;
  head: Uint8Array[] = [];
  headLen = 0;
  headStart = 0;
  /** 0 in a line, 1 after LF, 2 after LF CR: a second LF ends the head. */
  eol = 0;
  prefixOk = false;
  remaining = 0;
  held: Array<Uint8Array | number> = [];
  heldLen = 0;
  /** The Upgrade/CONNECT request whose end pauses this (client) side. */
  upgradeWait: PendingRequest | undefined;
  carry: Uint8Array = EMPTY;
  lineStart = true;
  /** The chunked-body reader, made at this side's first chunked body and reset for each. */
  chunked: ChunkedDecoder | undefined;
  constructor(
    readonly dir: StreamDir,
    readonly kind: ParsedHead['kind'],
  ) {}
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * The host a request names: Host header, else the authority of a CONNECT or absolute-form target. An IP literal
 * names nothing the flow's server address does not: the flow keeps the host a DNS answer gave it.
 */
export function requestHost(method: string, url: string, headers: Headers): string | undefined {
  let authority = header({ headers }, 'host');
  if (!authority && method === 'CONNECT') authority = url;
  if (!authority && /^[a-z][a-z0-9+.-]*:\/\//i.test(url)) authority = url.replace(/^[^:]+:\/\//, '').split('/')[0];
  if (!authority) return undefined;
  const host = authority.startsWith('[') ? authority.slice(1, authority.indexOf(']')) : authority.split(':')[0]!;
  return host === '' || isIpLiteral(host) ? undefined : host.toLowerCase();
}

/** node's isIP, asked only of what may be one: its first IPv6 check compiles a large pattern (≈ 4 ms at start-up). */
function isIpLiteral(host: string): boolean {
  return /^[\d.]+$|:/.test(host) && isIP(host) !== 0;
}

/** HTTP/1.x for one TCP connection. Feed it the reassembled streams; it emits message events. */
export class Http1Handler implements StreamHandler {
  readonly #opts: Http1Options;
  readonly #limits: Http1Limits;
  readonly #up = new Side('up', 'request');
  readonly #down = new Side('down', 'response');
  readonly #requests: PendingRequest[] = [];
  #nextMsgId: MsgId = 0;
  #hostAnnounced = false;
  #inner: StreamHandler | undefined;
  #closed = false;

  constructor(opts: Http1Options) {
    this.#opts = opts;
    this.#limits = opts.limits ?? DEFAULT_LIMITS;
    if (opts.midStream) for (const s of [this.#up, this.#down]) this.#resync(s);
  }

  data(dir: StreamDir, bytes: Uint8Array, ts: Micros): void {
    if (this.#closed || bytes.length === 0) return;
    this.#guard(ts, () => this.#feed(this.#side(dir), bytes, ts));
  }

  gap(dir: StreamDir, length: number, ts: Micros): void {
    if (this.#closed || length <= 0) return;
    this.#guard(ts, () => this.#gap(this.#side(dir), length, ts));
  }

  close(ts: Micros, reason: CloseReason): void {
    if (this.#closed) return;
    this.#guard(ts, () => {
      if (this.#up.state === 'paused') this.#resume(this.#up, ts);
      for (const s of [this.#up, this.#down]) this.#closeSide(s, ts);
      this.#inner?.close(ts, reason);
    });
    this.#closed = true;
  }

  /** Never throw: an unexpected error turns the connection opaque, reported once. */
  #guard(ts: Micros, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#up.state = this.#down.state = 'opaque';
      this.#inner = undefined;
      this.#violation('internal-error', ts, undefined, String((err as Error)?.message ?? err));
    }
  }

  #side(dir: StreamDir): Side {
    return dir === 'up' ? this.#up : this.#down;
  }

  #feed(s: Side, bytes: Uint8Array, ts: Micros): void {
    let off = 0;
    // Every step consumes bytes or changes state; the bound only guards against a bug looping forever.
    for (let guard = 0; off < bytes.length && guard <= 4 * bytes.length + 16; guard++) {
      const next = this.#step(s, bytes, off, ts);
      s.pos += next - off;
      off = next;
    }
  }

  /** Run the state of `s` on bytes[off..]; returns the new offset. */
  #step(s: Side, bytes: Uint8Array, off: number, ts: Micros): number {
    switch (s.state) {
      case 'start-line': {
        let i = off;
        while (i < bytes.length && (bytes[i] === CR || bytes[i] === LF)) i++;
        if (i < bytes.length) this.#startHead(s, s.pos + i - off);
        return i;
      }
      case 'head':
        return this.#headStep(s, bytes, off, ts);
      case 'body-length': {
        const n = Math.min(s.remaining, bytes.length - off);
        this.#chunk(s, bytes.subarray(off, off + n), ts);
        s.remaining -= n;
        if (s.remaining === 0) this.#endMessage(s, ts);
        return off + n;
      }
      case 'chunked':
        return this.#chunkedStep(s, bytes, off, ts);
      case 'body-close':
        this.#chunk(s, bytes.subarray(off), ts);
        return bytes.length;
      case 'paused': {
        const n = bytes.length - off;
        if (s.heldLen + n > this.#limits.MAX_HTTP_UPGRADE_HOLD_BYTES) {
          this.#resume(s, ts); // no answer in sight: read on as HTTP, held bytes first
          return off;
        }
        s.held.push(bytes.slice(off));
        s.heldLen += n;
        return bytes.length;
      }
      case 'resync':
        return this.#resyncStep(s, bytes, off);
      case 'opaque':
        return bytes.length;
      case 'upgraded':
        this.#inner?.data(s.dir, bytes.subarray(off), ts);
        return bytes.length;
    }
  }

  #startHead(s: Side, at: number, first?: Uint8Array): void {
    s.state = 'head';
    s.head = first ? [first] : [];
    s.headLen = first?.length ?? 0;
    s.headStart = at;
    s.eol = 0;
    s.prefixOk = false;
  }

  #headStep(s: Side, bytes: Uint8Array, off: number, ts: Micros): number {
    let end = -1;
    for (let i = off; i < bytes.length; i++) {
      const b = bytes[i];
      if (b === LF) {
        if (s.eol !== 0) {
          end = i + 1;
          break;
        }
        s.eol = 1;
      } else if (b === CR) s.eol = s.eol === 1 ? 2 : 0;
      else s.eol = 0;
    }
    const stop = end < 0 ? bytes.length : end;
    // A head kept across calls is copied (the caller may reuse its buffer); one read at once is only viewed.
    s.head.push(end < 0 ? bytes.slice(off, stop) : bytes.subarray(off, stop));
    s.headLen += stop - off;
    if (!s.prefixOk) {
      const verdict = startLinePrefix(
        s.kind,
        (s.head.length > 1 ? concat(s.head, s.headLen) : s.head[0]!).subarray(0, 32),
      );
      if (verdict === 'bad') return this.#giveUp(s, 'not-http', ts, off);
      s.prefixOk = verdict === 'ok';
    }
    if (s.headLen > this.#limits.MAX_HTTP_HEADER_BYTES) return this.#giveUp(s, 'header-too-large', ts, off);
    if (end < 0) return stop;
    const parsed = parseHead(s.kind, concat(s.head, s.headLen));
    s.head = [];
    if (!parsed) {
      this.#violation('bad-head', ts, undefined, undefined, s.headStart);
      this.#resync(s);
    } else if (parsed.kind === 'request') this.#onRequest(s, parsed, ts);
    else this.#onResponse(s, parsed, ts);
    return stop;
  }

  /** The head at s.headStart is not HTTP we can read: report, and ignore the rest of this direction. */
  #giveUp(s: Side, code: string, ts: Micros, off: number): number {
    this.#violation(code, ts, undefined, undefined, s.headStart);
    s.head = [];
    s.state = 'opaque';
    return off;
  }

  #onRequest(s: Side, p: Extract<ParsedHead, { kind: 'request' }>, ts: Micros): void {
    const head: MessageHead = {
      msgId: this.#nextMsgId++,
      direction: 'upload',
      protocol: 'http',
      method: p.method,
      url: p.url,
      headers: p.headers,
    };
    const server = this.#opts.server;
    const host = server && !this.#hostAnnounced ? requestHost(p.method, p.url, p.headers) : undefined;
    if (server && host) {
      this.#hostAnnounced = true;
      this.#opts.emit({ ts, type: 'flow.update', flowId: this.#opts.flowId, update: { server: { ...server, host } } });
    }
    this.#opts.emit({ ts, type: 'message.head', flowId: this.#opts.flowId, msg: head });
    const upgrade =
      p.method === 'CONNECT' || (hasToken(header(p, 'connection'), 'upgrade') && header(p, 'upgrade') !== undefined);
    const pending = { head, upgrade };
    this.#requests.push(pending);
    if (this.#requests.length > this.#limits.MAX_HTTP_PENDING_REQUESTS) this.#requests.shift();
    s.upgradeWait = upgrade ? pending : undefined;
    s.msgId = head.msgId;
    this.#startBody(s, p, false, ts);
  }

  #onResponse(s: Side, p: Extract<ParsedHead, { kind: 'response' }>, ts: Micros): void {
    const interim = p.status >= 100 && p.status < 200 && p.status !== 101;
    const req = interim ? this.#requests[0] : this.#requests.shift();
    const head: MessageHead = {
      msgId: this.#nextMsgId++,
      direction: 'download',
      protocol: 'http',
      status: p.status,
      headers: p.headers,
      ...(req ? { requestId: req.head.msgId } : {}),
    };
    this.#opts.emit({ ts, type: 'message.head', flowId: this.#opts.flowId, msg: head });
    s.msgId = head.msgId;
    const method = req?.head.method;
    if (p.status === 101 || (method === 'CONNECT' && p.status >= 200 && p.status < 300)) {
      this.#endMessage(s, ts);
      const named = header(p, 'upgrade') ?? (req ? header(req.head, 'upgrade') : undefined);
      const kind = method === 'CONNECT' ? 'connect' : (named?.split(',')[0]?.trim().toLowerCase() ?? 'unknown');
      this.#upgrade(kind, head, req?.head, ts);
      return;
    }
    if (req?.upgrade && this.#up.state === 'paused') this.#resume(this.#up, ts);
    this.#startBody(s, p, interim || p.status === 204 || p.status === 304 || method === 'HEAD', ts);
  }

  #startBody(s: Side, p: ParsedHead, bodiless: boolean, ts: Micros): void {
    for (const a of headAnomalies(p)) this.#anomaly(a, s, ts, s.headStart);
    const framing = bodyFraming(p, bodiless);
    switch (framing.kind) {
      case 'none':
        this.#endMessage(s, ts);
        return;
      case 'length':
        s.state = 'body-length';
        s.remaining = framing.length;
        return;
      case 'chunked':
        s.state = 'chunked';
        s.chunked ??= new ChunkedDecoder(this.#limits);
        s.chunked.reset();
        return;
      case 'close':
        s.state = 'body-close';
        return;
      case 'invalid': // reported as an anomaly above
        this.#endMessage(s, ts);
        s.state = 'opaque';
    }
  }

  /** Chunked body bytes through the side's reader: data out as chunks, then the end, or a violation. */
  #chunkedStep(s: Side, bytes: Uint8Array, off: number, ts: Micros): number {
    const dec = s.chunked!;
    const base = s.pos - off; // stream offset of bytes[0]
    const next = dec.feed(bytes, off, {
      data: (piece) => this.#chunk(s, piece, ts),
      anomaly: (code, at) => this.#anomaly(code, s, ts, base + at),
    });
    if (dec.finished) this.#endMessage(s, ts);
    else if (dec.failure) {
      this.#violation(dec.failure, ts, s.msgId, undefined, base + next);
      this.#endMessage(s, ts);
      this.#resync(s);
    }
    return next;
  }

  #endMessage(s: Side, ts: Micros): void {
    if (s.msgId >= 0) this.#opts.emit({ ts, type: 'message.end', flowId: this.#opts.flowId, msgId: s.msgId });
    s.msgId = -1;
    s.state = 'start-line';
    const wait = s.upgradeWait;
    s.upgradeWait = undefined;
    if (wait && this.#requests.includes(wait)) {
      s.state = 'paused';
      s.held = [];
      s.heldLen = 0;
    }
  }

  /** Stop holding the client's bytes: parse them as HTTP after all. */
  #resume(s: Side, ts: Micros): void {
    const held = s.held;
    s.held = [];
    s.pos -= s.heldLen;
    s.heldLen = 0;
    s.state = 'start-line';
    for (const item of held) {
      if (typeof item === 'number') this.#gap(s, item, ts);
      else this.#feed(s, item, ts);
    }
  }

  /** Hand the rest of both streams (client bytes held so far first) to the upgrade's handler. */
  #upgrade(kind: string, response: MessageHead, request: MessageHead | undefined, ts: Micros): void {
    const up = this.#up;
    const held = up.state === 'paused' ? up.held : [];
    if (up.msgId >= 0) this.#opts.emit({ ts, type: 'message.end', flowId: this.#opts.flowId, msgId: up.msgId });
    up.msgId = -1;
    up.held = [];
    up.state = this.#down.state = 'upgraded';
    const ctx: UpgradeContext = { kind, response, nextMsgId: this.#nextMsgId, ts };
    if (request) ctx.request = request;
    const inner = this.#opts.onUpgrade?.(ctx) ?? new OpaqueStream();
    this.#inner = inner;
    for (const item of held) {
      if (typeof item === 'number') inner.gap('up', item, ts);
      else inner.data('up', item, ts);
    }
  }

  #resync(s: Side): void {
    s.state = 'resync';
    s.carry = EMPTY;
    s.lineStart = true;
  }

  #resyncStep(s: Side, bytes: Uint8Array, off: number): number {
    const carried = s.carry.length;
    const buf = carried ? concat([s.carry, bytes.subarray(off)], carried + bytes.length - off) : bytes.subarray(off);
    const r = findStartLine(s.kind, buf, s.lineStart);
    s.carry = EMPTY;
    if (r && 'found' in r) {
      if (r.found >= carried) {
        s.state = 'start-line';
        return off + r.found - carried;
      }
      this.#startHead(s, s.pos - carried + r.found, buf.slice(r.found, carried));
      return off;
    }
    if (r) s.carry = buf.slice(r.keepFrom);
    else s.lineStart = buf[buf.length - 1] === LF;
    return bytes.length;
  }

  #gap(s: Side, length: number, ts: Micros): void {
    const flowId = this.#opts.flowId;
    switch (s.state) {
      case 'start-line':
      case 'head':
        this.#violation('gap-in-head', ts, undefined, undefined, s.pos);
        s.head = [];
        this.#resync(s);
        break;
      case 'body-length': {
        const n = Math.min(length, s.remaining);
        this.#opts.emit({ ts, type: 'message.gap', flowId, msgId: s.msgId, length: n });
        s.remaining -= n;
        s.pos += n;
        if (s.remaining > 0) return;
        this.#endMessage(s, ts);
        if (length > n) this.#gap(s, length - n, ts);
        return;
      }
      case 'chunked': {
        // Inside chunk data the loss is only data; in the framing, where the body ends is lost with it.
        const dec = s.chunked!;
        const n = dec.gap(length);
        this.#opts.emit({ ts, type: 'message.gap', flowId, msgId: s.msgId, length: n > 0 ? n : length });
        if (n > 0) {
          s.pos += n;
          if (length > n) this.#gap(s, length - n, ts);
          return;
        }
        this.#violation('gap-in-chunked', ts, s.msgId, undefined, s.pos);
        this.#endMessage(s, ts);
        this.#resync(s);
        break;
      }
      case 'body-close':
        this.#opts.emit({ ts, type: 'message.gap', flowId, msgId: s.msgId, length });
        break;
      case 'paused':
        s.held.push(length);
        s.heldLen += length;
        break;
      case 'resync':
        s.carry = EMPTY;
        s.lineStart = true;
        break;
      case 'opaque':
        break;
      case 'upgraded':
        this.#inner?.gap(s.dir, length, ts);
        break;
    }
    s.pos += length;
  }

  #closeSide(s: Side, ts: Micros): void {
    switch (s.state) {
      case 'body-close':
        this.#endMessage(s, ts);
        break;
      case 'body-length':
      case 'chunked':
        this.#violation('truncated-body', ts, s.msgId, undefined, s.pos);
        this.#endMessage(s, ts);
        break;
      case 'head':
        this.#violation('truncated-head', ts, undefined, undefined, s.headStart);
        break;
      default:
    }
  }

  #chunk(s: Side, data: Uint8Array, ts: Micros): void {
    if (data.length > 0)
      this.#opts.emit({ ts, type: 'message.chunk', flowId: this.#opts.flowId, msgId: s.msgId, data });
  }

  /** A reading of several (http1-framing.ts): `anomaly-<name>` on the open message. */
  #anomaly(a: HttpAnomaly, s: Side, ts: Micros, offset: number): void {
    this.#violation(ANOMALY_CODE_PREFIX + a, ts, s.msgId, ANOMALY_READINGS[a], offset);
  }

  #violation(code: string, ts: Micros, msgId?: MsgId, message?: string, offset?: number): void {
    const v: Http1Violation = { decoder: 'http1', code };
    if (msgId !== undefined && msgId >= 0) v.msgId = msgId;
    if (message !== undefined) v.message = message;
    if (offset !== undefined) v.offset = offset;
    this.#opts.report(v, ts);
  }
}

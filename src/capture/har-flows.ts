/**
 * The flows of a HAR import: entries sharing a `connection` and server are one flow (`flow.open` at the first,
 * `flow.close` when the file ends or MAX_HAR_OPEN_FLOWS newer groups are open), an entry without one is a flow of
 * its own. A HAR has no client address, so every flow belongs to the caller's device (`0.0.0.0:0`); https/wss
 * entries are `tls: 'decrypted'`. mitmproxy's flow files (mitm-flows.ts) group the same way, with their client's
 * address and `tls: 'intercepted'`. Also what a HAR URL says about the server and the request target. No messages:
 * har.ts emits those on the flows it gets here.
 */
import type { FlowEvent } from '../model/events.ts';
import type { FlowId, FlowSource, Micros, MsgId, ServerEndpoint, TlsState } from '../model/flow.ts';
import { flowInfo } from '../streams/flow-info.ts';
import type { Endpoint } from '../streams/types.ts';

/** An open flow of the import. */
export interface HarFlow {
  id: FlowId;
  nextMsgId: MsgId;
  bytesUp: number;
  bytesDown: number;
  lastTs: Micros;
  /** A `flow.update {transport: 'websocket'}` was emitted. */
  websocket: boolean;
}

export interface HarFlowsOptions {
  captureId: string;
  deviceId: string;
  emit: (ev: FlowEvent) => void;
  /** MAX_HAR_OPEN_FLOWS. */
  maxOpen: number;
  /** Default `har`. */
  source?: FlowSource;
  /** The TLS state of an https/wss flow; default `decrypted` (a browser's or a proxy's export of what it saw). */
  secureTls?: TlsState;
}

export class HarFlows {
  readonly #opts: HarFlowsOptions;
  /** Open flows by group key, least recently used first. */
  readonly #open = new Map<string, HarFlow>();
  #count = 0;

  constructor(opts: HarFlowsOptions) {
    this.#opts = opts;
  }

  /** The group key of an entry: its connection and server, or the entry alone when it names no connection. */
  static key(entry: number, connection: string | undefined, server: ServerEndpoint): string {
    return connection === undefined
      ? `entry ${entry}`
      : `${connection}|${server.ip}|${server.host ?? ''}|${server.port}`;
  }

  /**
   * The group's flow, opened (at `ts`, for the entry's `url`, from `client` when the file names it) if new; the least
   * recently used closed past the bound.
   */
  flowFor(key: string, server: ServerEndpoint, url: string, ts: Micros, client?: Endpoint): HarFlow {
    let flow = this.#open.get(key);
    if (flow) this.#open.delete(key);
    else {
      if (this.#open.size >= this.#opts.maxOpen) this.close(this.#open.keys().next().value as string);
      flow = this.#start(server, /^(https|wss):/i.test(url), ts, client);
    }
    this.#open.set(key, flow);
    return flow;
  }

  close(key: string): void {
    const flow = this.#open.get(key);
    if (!flow) return;
    this.#open.delete(key);
    const stats = { bytesUp: flow.bytesUp, bytesDown: flow.bytesDown };
    this.#opts.emit({ ts: flow.lastTs, type: 'flow.close', flowId: flow.id, stats });
  }

  closeAll(): void {
    for (const key of [...this.#open.keys()]) this.close(key);
  }

  #start(server: ServerEndpoint, secure: boolean, ts: Micros, client: Endpoint | undefined): HarFlow {
    const { captureId, deviceId } = this.#opts;
    const id = `${captureId.slice(0, 12)}:${++this.#count}`;
    const spec = {
      flowId: id,
      ...(client ? {} : { deviceId }),
      client: client ?? { ip: '0.0.0.0', port: 0 },
      server,
      source: this.#opts.source ?? 'har',
      captureId,
    };
    const tls = secure ? (this.#opts.secureTls ?? 'decrypted') : 'none';
    this.#opts.emit({ ts, type: 'flow.open', flow: flowInfo(spec, 'http', tls) });
    return { id, nextMsgId: 0, bytesUp: 0, bytesDown: 0, lastTs: ts, websocket: false };
  }
}

/** The server of an entry: host and port from its URL, address from `serverIPAddress` (else 0.0.0.0). */
export function serverOf(url: string, serverIp: string | undefined): ServerEndpoint {
  let host: string | undefined;
  let port = 0;
  try {
    const u = new URL(url);
    host = u.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase() || undefined;
    port = u.port ? Number(u.port) : /^(https|wss):$/.test(u.protocol) ? 443 : 80;
  } catch {
    // an unreadable URL: the flow has no host
  }
  return { ip: serverIp ?? '0.0.0.0', port, ...(host ? { host } : {}) };
}

/** `https://h/p?q#f` → `/p?q` (the request target as a client sends it); anything else as it is. */
export function originForm(url: string): string {
  try {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  } catch {
    return url;
  }
}

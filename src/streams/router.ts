/**
 * One connection's entry into the stream layer: decides what it speaks from its first bytes, on any port
 * (recognize.ts; the port only breaks a tie content cannot) and hands both streams to the handler for it —
 * HTTP/1 (a request line; WebSocket upgrades continue in websocket.ts, `Upgrade: h2c` in http2.ts), HTTP/2 (the
 * connection preface, in clear or inside decrypted TLS), MQTT (a CONNECT), TLS (a handshake
 * record: metadata, and with logged keys the decrypted streams go through the same decision as `flow.update`s of
 * the flow), DNS (a length-prefixed query), or raw bytes (anything else,
 * delivered to the analyzers as one message per direction). The flow is opened once the
 * transport is known, with the bytes held until then replayed into the chosen handler, and closed with its
 * byte counts. Replay and the live proxy both create one per connection; the caller's ConnectionSpec says
 * where the bytes came from and what TLS did to them.
 */

import type { KeyLookup } from '../decode/tls-decrypt/session.ts';
import type { FlowError, FlowStats, FrameRange, Micros, ServerEndpoint, TlsState, Transport } from '../model/flow.ts';
import type { DnsFlows } from './dns.ts';
import { flowInfo } from './flow-info.ts';
import { Http1Handler } from './http1.ts';
import { Http2Stream, h2cUpgrade } from './http2.ts';
import { MqttStream, msgIdCounter } from './mqtt.ts';
import { RawStream } from './raw.ts';
import { recognizeTcp, serverMayWait } from './recognize.ts';
import { SmtpStream } from './smtp.ts';
import { type TlsDecryption, TlsStream } from './tls.ts';
import { type CloseReason, type ConnectionEnv, closeError, type StreamDir, type StreamHandler } from './types.ts';
import { WatchStream } from './watch.ts';
import { websocketUpgrade } from './websocket.ts';

export interface RouterEnv extends ConnectionEnv {
  /** DNS of this run: hosts for bare IPs at flow.open, and the handler for TCP port 53. */
  dns?: DnsFlows;
  /** Logged TLS secrets (replay `--keylog`, pcapng DSB): TLS streams with keys are decrypted and read. */
  keys?: KeyLookup;
}

type Held = { dir: StreamDir; bytes: Uint8Array; ts: Micros };
type Kind = 'http' | 'http2' | 'tls' | 'mqtt' | 'dns' | 'watch' | 'smtp' | 'raw';

export class ConnectionRouter implements StreamHandler {
  readonly #env: RouterEnv;
  readonly #switch: ProtocolSwitch;
  readonly bytes = { up: 0, down: 0 };
  readonly missing = { up: 0, down: 0 };

  constructor(env: RouterEnv) {
    this.#env = env;
    this.#switch = new ProtocolSwitch(env, (transport, tls, server) =>
      env.emit({ ts: env.openTs, type: 'flow.open', flow: flowInfo({ ...env, server }, transport, tls) }),
    );
  }

  data(dir: StreamDir, bytes: Uint8Array, ts: Micros): void {
    this.bytes[dir] += bytes.length;
    this.#switch.data(dir, bytes, ts);
  }

  gap(dir: StreamDir, length: number, ts: Micros): void {
    this.missing[dir] += length;
    this.#switch.gap(dir, length, ts);
  }

  /** Ends the connection. `more.error` (live) says what failed; `more.frames` (replay) where it is in the capture. */
  close(ts: Micros, reason: CloseReason, more: { error?: FlowError; frames?: FrameRange } = {}): void {
    this.#switch.close(ts, reason);
    const err = closeError(reason, more.error);
    const stats: FlowStats = {
      bytesUp: this.bytes.up,
      bytesDown: this.bytes.down,
      bytesMissing: this.missing.up + this.missing.down,
      ...(more.frames ? { frames: more.frames } : {}),
    };
    this.#env.emit({ ts, type: 'flow.close', flowId: this.#env.flowId, stats, ...(err ? { error: err } : {}) });
  }
}

/** Says what the connection turned out to be: `flow.open` for a connection, `flow.update` inside decrypted TLS. */
type Announce = (transport: Transport, tls: TlsState, server: ServerEndpoint, ts: Micros) => void;

/**
 * The protocol decision of one byte stream pair: holds the first bytes until they tell, announces the transport,
 * then hands everything to the handler it started. A connection has one; so has the clear stream inside a TLS
 * session decrypted with logged keys (`inner`: TLS inside TLS stays raw).
 */
class ProtocolSwitch implements StreamHandler {
  readonly #env: RouterEnv;
  readonly #announce: Announce;
  readonly #inner: boolean;
  #handler: StreamHandler | undefined;
  #held: Held[] = [];

  constructor(env: RouterEnv, announce: Announce, inner = false) {
    this.#env = env;
    this.#announce = announce;
    this.#inner = inner;
  }

  data(dir: StreamDir, bytes: Uint8Array, ts: Micros): void {
    if (this.#handler) {
      this.#handler.data(dir, bytes, ts);
      return;
    }
    this.#held.push({ dir, bytes: bytes.slice(), ts });
    this.#decide(false, ts);
  }

  gap(dir: StreamDir, length: number, ts: Micros): void {
    if (!this.#handler) this.#decide(true, ts);
    this.#handler?.gap(dir, length, ts);
  }

  close(ts: Micros, reason: CloseReason): void {
    if (!this.#handler) this.#decide(true, ts);
    this.#handler?.close(ts, reason);
  }

  /** Picks the handler once the first bytes tell (or `force`d by a gap or close), then replays what was held. */
  #decide(force: boolean, ts: Micros): void {
    let kind = this.#kind(force);
    if (kind === undefined) return;
    if (this.#inner && kind === 'tls') kind = 'raw';
    this.#handler = this.#start(kind, ts);
    const held = this.#held;
    this.#held = [];
    for (const h of held) this.#handler.data(h.dir, h.bytes, h.ts);
  }

  /**
   * The protocol, once the client's first bytes tell (at most MAX_RECOGNITION_BYTES are held), or undefined to
   * wait. Bytes from the server end the wait (the client's first flight is over, or the server speaks first):
   * the client's bytes so far decide. An HTTP/2 server's opening SETTINGS frame does not (`serverMayWait`).
   */
  #kind(force: boolean): Kind | undefined {
    if (this.#held.length === 0 && !force) return undefined;
    const up = Buffer.concat(this.#held.filter((h) => h.dir === 'up').map((h) => h.bytes));
    const down = this.#held.filter((h) => h.dir === 'down');
    const final = force || (down.length > 0 && !serverMayWait(Buffer.concat(down.map((h) => h.bytes))));
    const kind = recognizeTcp(up, final, this.#env.server.port);
    if (kind === 'more') return undefined;
    if (kind === 'unknown' || (kind === 'dns' && !this.#env.dns)) return 'raw';
    return kind;
  }

  #start(kind: Kind, ts: Micros): StreamHandler {
    const env = this.#env;
    const { limits } = env;
    const transport: Transport =
      kind === 'http2' ? 'http' : kind === 'http' || kind === 'mqtt' || kind === 'dns' ? kind : 'tcp';
    const server = this.#server();
    this.#announce(transport, this.#tls(kind), server, ts);
    if (kind === 'http') {
      return new Http1Handler({
        flowId: env.flowId,
        emit: env.emit,
        report: env.report,
        server,
        midStream: env.midStream ?? false,
        limits,
        onUpgrade: (ctx) => h2cUpgrade(ctx, { ...env, server, limits }) ?? websocketUpgrade(ctx, env, limits),
      });
    }
    if (kind === 'http2') return new Http2Stream({ ...env, server, limits, nextMsgId: msgIdCounter() });
    if (kind === 'tls') return new TlsStream({ ...env, server, limits, decrypt: this.#decrypt(server) });
    if (kind === 'dns' && env.dns) return env.dns.tcpStream(env.flowId, env.client);
    if (kind === 'mqtt') return new MqttStream({ ...env, nextMsgId: msgIdCounter() }, limits);
    if (kind === 'watch') return new WatchStream(env.flowId, env.emit, env.report);
    if (kind === 'smtp') return new SmtpStream(env.flowId, env.emit);
    return new RawStream(env.flowId, env.emit);
  }

  /** With logged keys, what a TLS stream decrypts goes through a switch of its own, announced as `flow.update`. */
  #decrypt(server: ServerEndpoint): TlsDecryption | undefined {
    const env = this.#env;
    if (!env.keys || env.tls === 'passthrough') return undefined;
    const inner: RouterEnv = { ...env, server, tls: 'decrypted' };
    return {
      keys: env.keys,
      clear: (host) =>
        new ProtocolSwitch(
          host ? { ...inner, server: { ...server, host } } : inner,
          (transport, tls, _server, ts) =>
            env.emit({ ts, type: 'flow.update', flowId: env.flowId, update: { transport, tls } }),
          true,
        ),
    };
  }

  /** A stream that is TLS itself is unread (`opaque`), or relayed unread on purpose (`passthrough`). */
  #tls(kind: Kind): TlsState {
    if (kind !== 'tls') return this.#env.tls;
    return this.#env.tls === 'passthrough' ? 'passthrough' : 'opaque';
  }

  /** The server endpoint: the caller's host, else the host a DNS answer in this run gave for its IP. */
  #server(): ServerEndpoint {
    const { server, dns } = this.#env;
    if (server.host) return { ip: server.ip, port: server.port, host: server.host };
    return dns?.server(server) ?? { ip: server.ip, port: server.port };
  }
}

/**
 * What every device connection of one proxy shares (its options, made once at start and passed in, never read
 * from a global), and the small socket helpers the connection handlers share: reading the first bytes with a
 * deadline, answering a short HTTP error, and recording a flow that failed before anything was relayed.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FlowError, FlowId, TlsState } from '../src/model/flow.ts';
import type { Limits } from '../src/model/limits.ts';
import type { TlsInfo } from '../src/model/tls.ts';
import type { CaPage } from './ca-page.ts';
import { responseBytes, text } from './ca-page.ts';
import type { CertCache } from './cert-cache.ts';
import type { CertChecks } from './cert-checks.ts';
import { nowMicros, type OpenTap } from './tap.ts';
import type { Target } from './target.ts';
import type { Upstream } from './upstream.ts';

/** A problem on a connection that has no flow to record it (a malformed request, unroutable bytes, a bug). */
export interface ConnectionProblem {
  client: string;
  target?: string;
  code: string;
  message: string;
}

export interface ProxyContext {
  limits: Limits;
  certs: CertCache;
  upstream: Upstream;
  caPage: CaPage;
  /** `--ignore-hosts` and config `tls.passthrough`: relay these hosts' TLS unread. */
  passthrough(host: string): boolean;
  /** Per (device, host): which forgery to offer, or passthrough after refusals; outcomes are recorded here. */
  checks: CertChecks;
  openTap: OpenTap;
  nextFlowId(): FlowId;
  /** `--keylog`: one SSLKEYLOGFILE line (with its newline) per TLS secret, both legs. */
  keylog?: (line: Buffer) => void;
  /** `--save-tls`: intercepted legs carry their device-side TLS bytes and secrets to the taps (LiveConnection.wire). */
  deviceWire?: boolean;
  /**
   * Where a connection that arrived without a proxy request was going (the gateway's SO_ORIGINAL_DST). Without
   * it, raw TLS is routed by SNI to port 443 and origin-form HTTP by Host, and other bytes cannot be routed.
   */
  originalDestination?: (socket: Socket) => Target | undefined;
  /**
   * The host a device's own DNS answers gave an IP (the gateway's forwarder): names a TLS connection that sent
   * no SNI, before the cloud certificate's names and the bare IP.
   */
  hostOf?: (ip: string) => string | undefined;
  problem(p: ConnectionProblem): void;
}

/** The device end of a socket, as flows record it. */
export function clientOf(socket: Socket): { ip: string; port: number } {
  let client = clients.get(socket);
  if (!client) {
    client = { ip: (socket.remoteAddress ?? '0.0.0.0').replace(/^::ffff:/, ''), port: socket.remotePort ?? 0 };
    if (socket.remoteAddress !== undefined) clients.set(socket, client);
  }
  return { ...client };
}

/**
 * Each device socket's address, kept from its accept: a socket the device has closed has none any more, and a
 * failure is often recorded after the device gave up (a refused cloud answered 502).
 */
const clients = new WeakMap<Socket, { ip: string; port: number }>();

/** The next bytes from `s` within `timeoutMs`; undefined when it closed or timed out first. */
export async function readSome(s: Duplex, timeoutMs: number): Promise<Buffer | undefined> {
  const r = await readOrEnd(s, timeoutMs);
  return typeof r === 'string' ? undefined : r;
}

/** The next bytes from `s` within `timeoutMs`, else whether it ended (closed, reset) or the time ran out. */
export function readOrEnd(s: Duplex, timeoutMs: number): Promise<Buffer | 'end' | 'timeout'> {
  return new Promise((resolve) => {
    const done = (b: Buffer | 'end' | 'timeout') => {
      clearTimeout(timer);
      s.off('data', onData);
      s.off('end', onEnd);
      s.off('close', onEnd);
      s.off('error', onEnd);
      s.pause();
      resolve(b);
    };
    const onData = (b: Buffer) => done(b);
    const onEnd = () => done('end');
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    s.on('data', onData);
    s.on('end', onEnd);
    s.on('close', onEnd);
    s.on('error', onEnd);
    s.resume();
  });
}

/** Answers a short plain-text HTTP error and closes. */
export function answerError(s: Duplex, status: number, message: string): void {
  if (s.destroyed || !s.writable) return;
  s.end(responseBytes(text(status, `toyscope: ${message}\n`)));
  s.on('error', () => {});
}

/** What a flow that ended before any relaying says. */
export interface FailedFlow {
  client: { ip: string; port: number };
  target: Target;
  /** The cloud's address when it was reached, else 0.0.0.0. */
  serverIp?: string;
  tls: TlsState;
  tlsInfo?: TlsInfo;
  /** Device bytes already read (a request whose cloud could not be reached): analyzed like any. */
  upload?: Uint8Array;
  error: FlowError;
}

/** Records a flow that failed before relaying: opened, fed what the device sent, closed with its error. */
export function recordFailedFlow(ctx: ProxyContext, f: FailedFlow): void {
  const ts = nowMicros();
  const tap = ctx.openTap({
    flowId: ctx.nextFlowId(),
    client: f.client,
    server: { ip: f.serverIp ?? '0.0.0.0', port: f.target.port, host: f.target.host },
    tls: f.tls,
    ...(f.tlsInfo ? { tlsInfo: f.tlsInfo } : {}),
    openTs: ts,
  });
  if (f.upload && f.upload.length > 0) tap.data('up', f.upload, ts);
  tap.close(ts, { reason: 'error', error: f.error });
}

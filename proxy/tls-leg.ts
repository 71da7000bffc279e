/**
 * TLS toward the device: reads its ClientHello (SNI, ALPN, JA3/JA4 through the shared TlsMetadata decoder), then
 * intercepts: the cloud's TLS leg first (so its ALPN choice and certificate are known), then the device's
 * handshake on the certificate chosen for it (toyscope's leaf for the SNI, or a probe's forgery), then its first
 * application data, then the plaintext relay with the tap. What the device did with the certificate is recorded
 * on the flow (`tlsInfo.certCheck`) and told to the cert checks: refused with an alert, a close or a timeout in
 * the handshake, or a close before any data; accepted when data came. A cloud that cannot be reached over TLS is
 * answered 502 inside the device's TLS when it speaks HTTP. Passthrough is decided before (connection.ts).
 */
import { isIP, type Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import { TlsMetadata } from '../src/decode/tls-metadata.ts';
import type { CertCheck, Forgery, TlsInfo } from '../src/model/tls.ts';
import { certifiableHost } from './cert-cache.ts';
import { answerError, clientOf, type ProxyContext, readOrEnd, readSome, recordFailedFlow } from './context.ts';
import { DeviceWire } from './device-wire.ts';
import { relay } from './relay.ts';
import { nowMicros } from './tap.ts';
import type { Target } from './target.ts';
import {
  classifyHandshakeError,
  type DeviceTlsFailure,
  failureError,
  failureTlsState,
  refusalOf,
} from './tls-failure.ts';
import { UpstreamError } from './upstream.ts';

/** The device's ClientHello as read before any answer: its bytes (to replay into TLS) and what it says. */
export interface ClientHelloPeek {
  bytes: Buffer;
  info: TlsInfo;
}

/**
 * Reads from `device` (starting with `first`) until the ClientHello is parsed, the TLS scan bound is reached or
 * the device stops sending. The bytes are returned to be handed on; the device socket is left paused.
 */
export async function peekClientHello(ctx: ProxyContext, device: Socket, first: Buffer): Promise<ClientHelloPeek> {
  const meta = new TlsMetadata(() => {}, ctx.limits);
  const parts = [first];
  let size = first.length;
  meta.write('client', first);
  while (meta.info.ja3 === undefined && !meta.done && size < ctx.limits.MAX_TLS_HANDSHAKE_BYTES) {
    const more = await readSome(device, ctx.limits.PROXY_HANDSHAKE_TIMEOUT_MS);
    if (!more) break;
    parts.push(more);
    size += more.length;
    meta.write('client', more);
  }
  return { bytes: parts.length === 1 ? first : Buffer.concat(parts), info: meta.info };
}

/** The certificate to offer: which forgery, whether `--probe-tls` chose it, whether the device accepted it before. */
export interface Offer {
  forgery: Forgery;
  probe: boolean;
  known: boolean;
}

/** Intercepts a device's TLS to `target` offering `offer`; `cloud` is the connected TCP leg. */
export async function interceptTls(
  ctx: ProxyContext,
  device: Socket,
  hello: ClientHelloPeek,
  target: Target,
  cloud: Socket,
  offer: Offer,
): Promise<void> {
  const client = clientOf(device);
  const sni = hello.info.sni;
  const host = sni ?? target.host;
  const check = (c: Pick<CertCheck, 'outcome' | 'cause' | 'alert'>): CertCheck => {
    const out: CertCheck = { forgery: offer.forgery, issuer: ctx.certs.issuerOf(offer.forgery), ...c };
    if (offer.probe) out.probe = true;
    if (offer.forgery === 'toyscope-ca' && ctx.checks.caInstalled(client.ip)) out.caInstalled = true;
    if (out.outcome !== 'undecided') ctx.checks.record(client.ip, host, out);
    return out;
  };
  const serverIp = cloud.remoteAddress;
  // The host the device meant: its SNI; without one (old TLS stacks), the name its own DNS answer gave the
  // address it dialled; else none, and the cloud certificate's names are copied into the leaf below.
  const named = hello.info.sni ?? (isIP(target.host) ? ctx.hostOf?.(target.host) : target.host);
  let up: Awaited<ReturnType<ProxyContext['upstream']['tls']>>;
  try {
    up = await ctx.upstream.tls(cloud, target, named, hello.info.alpn, ctx.keylog, named !== undefined);
  } catch (err) {
    if (!(err instanceof UpstreamError)) throw err;
    await answerInsideTls(ctx, device, hello, target, leafName(named, target, serverIp), err);
    return;
  }
  const copied = named === undefined ? dnsNames(up.cert?.subjectAltName) : [];
  // The flow's server name, refused or not (behind the gateway, target.host is the address dialled).
  const serverHost = named ?? copied[0] ?? target.host;
  const chosen = up.socket.alpnProtocol;
  const { socket: tlsSock, wire } = deviceTls(
    ctx,
    device,
    hello,
    ctx.certs.contextFor(leafName(named, target, serverIp), offer.forgery, copied),
    chosen || undefined,
  );
  const failure = await handshake(tlsSock, ctx.limits.PROXY_HANDSHAKE_TIMEOUT_MS);
  const tlsInfo: TlsInfo = { ...hello.info, ...up.info };
  // Its first data says the device accepted the forgery: waited for unless it accepted this one before.
  const first = failure || offer.known ? undefined : await readOrEnd(tlsSock, ctx.limits.PROXY_FIRST_DATA_WAIT_MS);
  if (failure || first === 'end') {
    up.socket.destroy();
    tlsSock.destroy();
    const alerts = failure?.kind === 'alert' ? [failure.alert] : undefined;
    const refusal = failure ? refusalOf(failure) : { cause: 'closed-before-data' as const };
    recordFailedFlow(ctx, {
      client,
      target: { ...target, host: serverHost },
      ...(serverIp ? { serverIp } : {}),
      tls: failure ? failureTlsState(failure) : 'device-rejected-cert',
      tlsInfo: {
        ...tlsInfo,
        ...(alerts ? { alerts } : {}),
        ...(refusal ? { certCheck: check({ outcome: 'rejected', ...refusal }) } : {}),
      },
      error: failure
        ? failureError(failure)
        : {
            code: 'tls-device-closed-before-data',
            message: 'the device closed the connection before sending any data',
          },
    });
    return;
  }
  if (first instanceof Buffer) tlsSock.unshift(first);
  const tap = ctx.openTap({
    flowId: ctx.nextFlowId(),
    client,
    server: { ip: serverIp ?? '0.0.0.0', port: target.port, host: serverHost },
    tls: 'intercepted',
    tlsInfo: first
      ? { ...tlsInfo, certCheck: check({ outcome: first === 'timeout' ? 'undecided' : 'accepted' }) }
      : tlsInfo,
    openTs: nowMicros(),
    ...(wire ? { wire } : {}),
  });
  relay(tlsSock, up.socket, tap, {
    tapFailed: (err) =>
      ctx.problem({ client: client.ip, target: target.host, code: 'tap-error', message: String(err) }),
  });
}

/** The DNS names of a certificate's subjectAltName text (`DNS:a.example, IP Address:…`). */
function dnsNames(san: string | undefined): string[] {
  return (san ?? '')
    .split(', ')
    .filter((n) => n.startsWith('DNS:'))
    .map((n) => n.slice(4));
}

/** The name the leaf is made for: the SNI, else the host the device named, else the cloud's address. */
function leafName(sni: string | undefined, target: Target, serverIp: string | undefined): string {
  if (sni && certifiableHost(sni)) return sni;
  if (certifiableHost(target.host)) return target.host;
  return serverIp ?? '127.0.0.1';
}

/**
 * The device's TLS socket on the leaf, replaying the ClientHello bytes already read; ALPN `alpn`, the protocol the
 * cloud chose (none when it chose none, as the cloud did: the relay passes h2 frames through as bytes).
 * With `ctx.deviceWire`, over a DeviceWire that keeps the leg's TLS bytes and secrets for the taps.
 */
function deviceTls(
  ctx: ProxyContext,
  device: Socket,
  hello: ClientHelloPeek,
  secureContext: SecureContext,
  alpn?: string,
): { socket: TLSSocket; wire?: DeviceWire } {
  device.unshift(hello.bytes);
  const wire = ctx.deviceWire ? new DeviceWire(device) : undefined;
  const s = new TLSSocket(wire?.stream ?? device, {
    isServer: true,
    secureContext,
    ...(alpn ? { ALPNProtocols: [alpn] } : {}),
  });
  if (ctx.keylog) s.on('keylog', ctx.keylog);
  if (!wire) return { socket: s };
  s.on('keylog', wire.secret);
  s.once('close', () => wire.stream.destroy());
  return { socket: s, wire };
}

/** Waits for the device's handshake: undefined when done, else why it failed. */
function handshake(s: TLSSocket, timeoutMs: number): Promise<DeviceTlsFailure | undefined> {
  return new Promise((resolve) => {
    const done = (f: DeviceTlsFailure | undefined) => {
      clearTimeout(timer);
      s.off('secure', onSecure);
      s.off('error', onError);
      s.off('close', onClose);
      if (f) s.on('error', () => {});
      resolve(f);
    };
    const onSecure = () => done(undefined);
    const onError = (err: NodeJS.ErrnoException) => done(classifyHandshakeError(err));
    const onClose = () => done({ kind: 'closed' });
    const timer = setTimeout(() => done({ kind: 'timeout' }), timeoutMs);
    s.once('secure', onSecure);
    s.once('error', onError);
    s.once('close', onClose);
  });
}

/**
 * The cloud's TLS failed: finish the device's handshake anyway, answer 502 if it speaks HTTP (else just close),
 * and record the flow with the cloud's error and what the device sent.
 */
async function answerInsideTls(
  ctx: ProxyContext,
  device: Socket,
  hello: ClientHelloPeek,
  target: Target,
  name: string,
  err: UpstreamError,
) {
  // The answer is HTTP/1: offered when the device offered it (or nothing); a device offering only h2 gets no ALPN.
  const offered = hello.info.alpn;
  const alpn = !offered || offered.includes('http/1.1') ? 'http/1.1' : undefined;
  const tlsSock = deviceTls(ctx, device, hello, ctx.certs.contextFor(name), alpn).socket;
  const failure = await handshake(tlsSock, ctx.limits.PROXY_HANDSHAKE_TIMEOUT_MS);
  const first = failure ? undefined : await readSome(tlsSock, ctx.limits.PROXY_HANDSHAKE_TIMEOUT_MS);
  if (first && /^[A-Z]+ \S+ HTTP\/1/.test(first.subarray(0, 64).toString('latin1')))
    answerError(tlsSock, err.status, err.message);
  else tlsSock.destroy();
  recordFailedFlow(ctx, {
    client: clientOf(device),
    target,
    tls: failure ? failureTlsState(failure) : 'intercepted',
    tlsInfo: hello.info,
    ...(first ? { upload: first } : {}),
    error: { code: err.code, message: err.message },
  });
}

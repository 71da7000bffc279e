/**
 * One device connection from accept to relay: peeks its first bytes and routes it — a `CONNECT` tunnel, a plain
 * HTTP request (explicit `GET http://…`, or origin-form as a gateway delivers it), or a raw TLS ClientHello
 * (gateway mode, routed by SNI). Inside a tunnel the first bytes decide again: TLS is intercepted (tls-leg.ts) or
 * passed through for ignored hosts; anything else is relayed as it is. A redirected connection (gateway) is HTTP
 * only when its first line is a whole request line; other bytes go to its original destination as an opaque
 * flow, half-close included, and so does one that stays silent (its server speaks first). The cloud is reached before the tunnel is confirmed, so a dead cloud gets the device a 502 (504 on timeout) on its CONNECT. Each failure ends this
 * connection only and is recorded on its flow.
 */
import { isIP, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { parseHead, requestLinePrefix, startLinePrefix } from '../src/streams/http1-head.ts';
import { CA_HOST, responseBytes } from './ca-page.ts';
import { answerError, clientOf, type ProxyContext, readOrEnd, readSome, recordFailedFlow } from './context.ts';
import { HttpForwarder } from './forward-http.ts';
import { relay } from './relay.ts';
import { nowMicros } from './tap.ts';
import { parseAuthority, type Target } from './target.ts';
import { type ClientHelloPeek, interceptTls, peekClientHello } from './tls-leg.ts';
import { UpstreamError } from './upstream.ts';

const TLS_HANDSHAKE = 0x16;

/** Serves one accepted device connection until it ends; never throws (failures are recorded and logged). */
export async function handleConnection(ctx: ProxyContext, device: Socket): Promise<void> {
  device.setNoDelay(true);
  device.on('error', () => {}); // each stage listens for its own errors; this one keeps a late reset quiet
  clientOf(device); // its address, kept while the socket still knows it
  try {
    await route(ctx, device);
  } catch (err) {
    device.destroy();
    ctx.problem({ client: clientOf(device).ip, code: 'internal', message: (err as Error).stack ?? String(err) });
  }
}

async function route(ctx: ProxyContext, device: Socket): Promise<void> {
  const original = ctx.originalDestination?.(device);
  const first = await firstBytes(ctx, device, original);
  if (first === 'server-first') {
    // The device waits for its server to speak (a banner, a challenge): nothing to route on, relay it as it is.
    const cloud = await reach(ctx, device, original!, Buffer.alloc(0));
    if (cloud) plainRelay(ctx, device, cloud, original!, Buffer.alloc(0));
    return;
  }
  if (!first) {
    device.destroy();
    return;
  }
  if (first[0] === TLS_HANDSHAKE) {
    const hello = await peekClientHello(ctx, device, first);
    const sni = hello.info.sni;
    const target = original ?? (sni ? { host: sni, port: 443 } : undefined);
    if (!target) return unroutable(ctx, device, 'a TLS ClientHello without SNI and without an original destination');
    return tunnelTls(ctx, device, target, hello);
  }
  if (!original) {
    // An explicit proxy client: what starts like a request is HTTP (a malformed one is answered 400).
    if (startLinePrefix('request', first.subarray(0, 24)) !== 'bad') return httpRequest(ctx, device, first, original);
    return unroutable(ctx, device, 'bytes that are neither HTTP nor TLS, without an original destination');
  }
  const peek = await peekRequestLine(ctx, device, first);
  if (peek.http) return httpRequest(ctx, device, peek.bytes, original);
  const cloud = await reach(ctx, device, original, peek.bytes);
  if (cloud) plainRelay(ctx, device, cloud, original, peek.bytes);
}

/**
 * Whether a redirected device speaks HTTP: only when its first line parses as a request line (`METHOD SP target
 * SP HTTP/x.y`), so another protocol that starts with "word word" is relayed to its original destination, not
 * answered 400. Reads until the line decides, at most MAX_HTTP_HEADER_BYTES (a longer line is HTTP, answered
 * 431); when the device sends no more before the deadline or half-closes, its bytes are relayed as they are.
 */
/**
 * The device's first bytes, or undefined when it closed or said nothing within PROXY_HANDSHAKE_TIMEOUT_MS. A
 * redirected device (gateway) silent for PROXY_SERVER_FIRST_MS is `server-first`: a protocol whose server speaks
 * first (SMTP, FTP, a vendor's challenge) would otherwise wait on us while we wait on it.
 */
async function firstBytes(ctx: ProxyContext, device: Socket, original: Target | undefined) {
  const { PROXY_HANDSHAKE_TIMEOUT_MS, PROXY_SERVER_FIRST_MS } = ctx.limits;
  if (!original) return readSome(device, PROXY_HANDSHAKE_TIMEOUT_MS);
  const r = await readOrEnd(device, PROXY_SERVER_FIRST_MS);
  if (r === 'timeout') return 'server-first';
  return r === 'end' ? undefined : r;
}

async function peekRequestLine(ctx: ProxyContext, device: Socket, first: Buffer) {
  let bytes = first;
  for (;;) {
    const verdict = requestLinePrefix(bytes);
    if (verdict !== 'more' || bytes.length > ctx.limits.MAX_HTTP_HEADER_BYTES)
      return { http: verdict !== 'bad', bytes };
    const more = await readSome(device, ctx.limits.PROXY_HANDSHAKE_TIMEOUT_MS);
    if (!more) return { http: false, bytes };
    bytes = Buffer.concat([bytes, more]);
  }
}

/** The first request: CONNECT opens a tunnel; anything else is forwarded request by request. */
async function httpRequest(ctx: ProxyContext, device: Socket, first: Buffer, original: Target | undefined) {
  const head = await readHead(ctx, device, first);
  if ('status' in head) {
    answerError(device, head.status, head.message);
    ctx.problem({
      client: clientOf(device).ip,
      code: head.status === 431 ? 'request-head-too-large' : 'bad-request',
      message: head.message,
    });
    return;
  }
  const parsed = parseHead('request', head.bytes.subarray(0, head.end));
  if (parsed?.kind !== 'request' || parsed.method !== 'CONNECT') {
    new HttpForwarder(ctx, device, original?.port ?? 80, original).start(head.bytes);
    return;
  }
  const target = parseAuthority(parsed.url);
  if (!target) {
    answerError(device, 400, `bad CONNECT target '${parsed.url.slice(0, 100)}'`);
    return;
  }
  const rest = head.bytes.subarray(head.end);
  if (target.host === CA_HOST) return caTunnel(ctx, device, rest);
  const cloud = await reach(ctx, device, target);
  if (!cloud) return;
  device.write('HTTP/1.1 200 Connection established\r\n\r\n');
  const inner = rest.length > 0 ? rest : await readSome(device, ctx.limits.PROXY_HANDSHAKE_TIMEOUT_MS);
  if (!inner) {
    cloud.destroy();
    device.destroy();
    return;
  }
  if (inner[0] === TLS_HANDSHAKE) {
    const hello = await peekClientHello(ctx, device, inner);
    return tunnelTls(ctx, device, target, hello, cloud);
  }
  plainRelay(ctx, device, cloud, target, inner);
}

/**
 * TLS to `target`: passed through for ignored hosts and, after refusals, for this device (cert-checks.ts), else
 * intercepted with the certificate the checks choose. `cloud` when already connected.
 */
async function tunnelTls(ctx: ProxyContext, device: Socket, target: Target, hello: ClientHelloPeek, cloud?: Socket) {
  const sni = hello.info.sni;
  const conn = cloud ?? (await reach(ctx, device, target, hello.bytes));
  if (!conn) return;
  const ignored = ctx.passthrough(target.host) || (sni !== undefined && ctx.passthrough(sni));
  const decision = ignored ? undefined : ctx.checks.decide(clientOf(device).ip, sni ?? target.host);
  if (decision?.action !== 'intercept') {
    const tap = ctx.openTap({
      flowId: ctx.nextFlowId(),
      client: clientOf(device),
      server: { ip: conn.remoteAddress ?? '0.0.0.0', port: target.port, host: sni ?? target.host },
      tls: 'passthrough',
      openTs: nowMicros(),
    });
    relay(device, conn, tap, { deviceFirst: hello.bytes });
    return;
  }
  await interceptTls(ctx, device, hello, target, conn, decision);
}

/** Bytes relayed as they are (plain MQTT in a tunnel, unknown protocols), tapped with TLS `none`. */
function plainRelay(ctx: ProxyContext, device: Socket, cloud: Socket, target: Target, first: Buffer): void {
  const tap = ctx.openTap({
    flowId: ctx.nextFlowId(),
    client: clientOf(device),
    // A bare address (a gateway's original destination) is named by the stream layer from the run's DNS.
    server: {
      ip: cloud.remoteAddress ?? '0.0.0.0',
      port: target.port,
      ...(isIP(target.host) ? {} : { host: target.host }),
    },
    tls: 'none',
    openTs: nowMicros(),
  });
  relay(device, cloud, tap, { deviceFirst: first });
}

/**
 * Connects to the cloud; on failure answers the device (502/504 when it speaks HTTP, else a close), records
 * the flow and returns undefined. `upload` is what the device already sent (analyzed on the failed flow).
 */
async function reach(ctx: ProxyContext, device: Socket, target: Target, upload?: Buffer) {
  try {
    return await ctx.upstream.connect(target);
  } catch (err) {
    if (!(err instanceof UpstreamError)) throw err;
    if (upload === undefined) answerError(device, err.status, err.message);
    else device.destroy();
    recordFailedFlow(ctx, {
      client: clientOf(device),
      target,
      tls: 'none',
      ...(upload ? { upload } : {}),
      error: { code: err.code, message: err.message },
    });
    return undefined;
  }
}

function unroutable(ctx: ProxyContext, device: Socket, what: string): void {
  device.destroy();
  ctx.problem({ client: clientOf(device).ip, code: 'unroutable', message: `closed a connection that sent ${what}` });
}

/** A CONNECT to the CA host: the page is served inside the tunnel (TLS on a leaf for the CA host, or plain). */
async function caTunnel(ctx: ProxyContext, device: Socket, rest: Buffer): Promise<void> {
  device.write('HTTP/1.1 200 Connection established\r\n\r\n');
  const inner = rest.length > 0 ? rest : await readSome(device, ctx.limits.PROXY_HANDSHAKE_TIMEOUT_MS);
  if (!inner) {
    device.destroy();
    return;
  }
  device.unshift(inner);
  let stream: Socket = device;
  if (inner[0] === TLS_HANDSHAKE) {
    stream = new TLSSocket(device, {
      isServer: true,
      secureContext: ctx.certs.contextFor(CA_HOST),
      ALPNProtocols: ['http/1.1'],
    });
    stream.on('error', () => device.destroy());
  }
  const first = await readSome(stream, ctx.limits.PROXY_HANDSHAKE_TIMEOUT_MS);
  const head = first ? parseHead('request', first) : undefined;
  const req = head?.kind === 'request' ? head : { method: 'GET', url: '/' };
  stream.end(responseBytes(ctx.caPage.answer(req.method, req.url), req.method === 'HEAD'));
}

/** The first request head (up to its empty line), bounded by MAX_HTTP_HEADER_BYTES. */
async function readHead(
  ctx: ProxyContext,
  device: Socket,
  first: Buffer,
): Promise<{ bytes: Buffer; end: number } | { status: 400 | 431; message: string }> {
  let bytes = first;
  const max = ctx.limits.MAX_HTTP_HEADER_BYTES;
  for (;;) {
    const at = bytes.indexOf('\r\n\r\n');
    if (at >= 0)
      return at + 4 > max ? { status: 431, message: `request head over ${max} bytes` } : { bytes, end: at + 4 };
    if (bytes.length > max) return { status: 431, message: `request head over ${max} bytes` };
    const more = await readSome(device, ctx.limits.PROXY_HANDSHAKE_TIMEOUT_MS);
    if (!more) return { status: 400, message: 'incomplete request head' };
    bytes = Buffer.concat([bytes, more]);
  }
}

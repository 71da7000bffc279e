/**
 * Reaching the cloud: the address (pinned by `--resolve HOST:ADDR`, else the system resolver), the TCP
 * connection (direct, or through a lab's `--upstream-proxy` with CONNECT), and the TLS leg to the cloud —
 * verified against the system store plus `--upstream-ca` unless `--upstream-insecure`, with a client certificate
 * for hosts configured in `tls.clientCerts`, and described as `TlsInfo` (version, cipher, certificate). Every
 * failure is an `UpstreamError` that says which HTTP status the device gets (502, or 504 for a timeout).
 * Not here: the device side (tls-leg.ts) or relaying (relay.ts).
 */
import type { X509Certificate } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import {
  createSecureContext,
  rootCertificates,
  type SecureContext,
  type TLSSocket,
  connect as tlsConnect,
} from 'node:tls';
import { matchHost } from '../src/config.ts';
import type { TlsInfo } from '../src/model/tls.ts';
import type { Target } from './target.ts';

/** A client certificate for the TLS leg to hosts matching `hosts` (config `tls.clientCerts`). */
export interface ClientCert {
  hosts: string[];
  /** PEM text of the certificate (chain) and its key. */
  cert: string;
  key: string;
}

export interface UpstreamOptions {
  /** `--resolve`: host (lower-case) → address. */
  resolve: ReadonlyMap<string, string>;
  /** `--upstream-ca`: extra trusted CAs (PEM text). */
  extraCa: string[];
  /** `--upstream-insecure`: do not verify the cloud's certificate (still recorded). */
  insecure: boolean;
  /** `--upstream-proxy http://HOST:PORT`: reach clouds through this proxy's CONNECT. */
  proxy?: { host: string; port: number };
  clientCerts: ClientCert[];
  /** PROXY_CONNECT_TIMEOUT_MS. */
  connectTimeoutMs: number;
}

/** Why the cloud could not be reached; `status` is what the device is answered. */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  constructor(
    /** `upstream-dns`, `upstream-refused`, `upstream-timeout`, `upstream-proxy`, `upstream-tls`, `upstream-unreachable`. */
    readonly code: string,
    message: string,
    readonly status: 502 | 504,
  ) {
    super(message);
  }
}

/** The Debian/Ubuntu system bundle, read once when present, added to node's bundled Mozilla roots. */
const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/** Opens TCP (and TLS) legs to clouds with one set of options; the TLS contexts are built once. */
export class Upstream {
  readonly #opts: UpstreamOptions;
  readonly #ca: string[];
  readonly #contexts = new Map<ClientCert | undefined, SecureContext>();

  constructor(opts: UpstreamOptions) {
    this.#opts = opts;
    this.#ca = [...rootCertificates, ...systemBundle(), ...opts.extraCa];
  }

  /** A TCP connection to `target` (directly or through the upstream proxy), within the connect timeout. */
  async connect(target: Target): Promise<Socket> {
    const deadline = Date.now() + this.#opts.connectTimeoutMs;
    const proxy = this.#opts.proxy;
    if (proxy) {
      const sock = await tcp(proxy.host, proxy.port, deadline, 'upstream proxy');
      await proxyConnect(sock, `${this.#pinned(target.host) ?? target.host}:${target.port}`, deadline);
      return sock;
    }
    const address = this.#pinned(target.host) ?? (await resolveName(target.host, deadline));
    return tcp(address, target.port, deadline, target.host);
  }

  /**
   * The TLS leg over `sock`: SNI `servername` (none for an IP), ALPN as the device offered it (`alpn`: the relay
   * carries whatever protocol the two ends agree on, h2 included), verified unless insecure, its secrets to
   * `keylog`. Resolves once the handshake is done.
   */
  async tls(
    sock: Socket,
    target: Target,
    servername: string | undefined,
    alpn: string[] | undefined,
    keylog?: (line: Buffer) => void,
    /** false: the chain is verified but not the name (a device that named no host: the names are read from it). */
    verifyName = true,
  ) {
    const deadline = Date.now() + this.#opts.connectTimeoutMs;
    const name = servername ?? target.host;
    const clientCert = this.#opts.clientCerts.find((c) => c.hosts.some((g) => matchHost(g, name)));
    const socket = tlsConnect({
      socket: sock,
      ...(isIP(name) ? {} : { servername: name }),
      ...(alpn && alpn.length > 0 ? { ALPNProtocols: alpn } : {}),
      secureContext: this.#context(clientCert),
      rejectUnauthorized: !this.#opts.insecure,
      ...(this.#opts.insecure || !verifyName ? { checkServerIdentity: () => undefined } : {}),
    });
    if (keylog) socket.on('keylog', keylog);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          socket.destroy();
          reject(new UpstreamError('upstream-timeout', `TLS handshake with ${name} timed out`, 504));
        },
        Math.max(0, deadline - Date.now()),
      );
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const why = err.code ?? err.message;
        const hint = /CERT|SELF_SIGNED|VERIFY|ISSUER/.test(why)
          ? ' (trust its CA with --upstream-ca FILE, or --upstream-insecure)'
          : '';
        reject(new UpstreamError('upstream-tls', `TLS with ${name} failed: ${why}${hint}`, 502));
      });
    });
    // Node (20.x) hands out the peer certificate once: a second getPeerX509Certificate() returns undefined.
    const cert = socket.getPeerX509Certificate();
    return { socket, cert, info: upstreamTlsInfo(socket, cert), clientCert: clientCert !== undefined };
  }

  #pinned(host: string): string | undefined {
    return this.#opts.resolve.get(host.toLowerCase()) ?? (isIP(host) ? host : undefined);
  }

  #context(cert: ClientCert | undefined): SecureContext {
    let ctx = this.#contexts.get(cert);
    if (!ctx) {
      ctx = createSecureContext({ ca: this.#ca, ...(cert ? { cert: cert.cert, key: cert.key } : {}) });
      this.#contexts.set(cert, ctx);
    }
    return ctx;
  }
}

/** What the cloud's side of the handshake showed: version, cipher, certificate names and validity, ALPN. */
export function upstreamTlsInfo(socket: TLSSocket, cert: X509Certificate | undefined): TlsInfo {
  const info: TlsInfo = {};
  const version = socket.getProtocol();
  if (version) info.serverVersion = version;
  const cipher = socket.getCipher();
  // TlsInfo names the suite by its IANA code, as a capture's ServerHello shows it (`0x1302`).
  if (cipher) info.cipher = SUITE_CODES[cipher.standardName] ?? cipher.standardName ?? cipher.name;
  if (cert) {
    info.certSubject = cert.subject.replace(/\n/g, ', ');
    info.certIssuer = cert.issuer.replace(/\n/g, ', ');
    info.certNotBefore = new Date(cert.validFrom).toISOString();
    info.certNotAfter = new Date(cert.validTo).toISOString();
  }
  return info;
}

/** IANA codes of the suites OpenSSL negotiates, forward-secret or not (node reports names only). */
const SUITE_CODES: Readonly<Record<string, string>> = {
  TLS_AES_128_GCM_SHA256: '0x1301',
  TLS_AES_256_GCM_SHA384: '0x1302',
  TLS_CHACHA20_POLY1305_SHA256: '0x1303',
  TLS_AES_128_CCM_SHA256: '0x1304',
  TLS_AES_128_CCM_8_SHA256: '0x1305',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: '0xc02b',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: '0xc02c',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: '0xc02f',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: '0xc030',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: '0xcca8',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: '0xcca9',
  TLS_DHE_RSA_WITH_AES_128_GCM_SHA256: '0x009e',
  TLS_DHE_RSA_WITH_AES_256_GCM_SHA384: '0x009f',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: '0xc009',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: '0xc00a',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: '0xc013',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: '0xc014',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: '0xc027',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384: '0xc028',
  TLS_RSA_WITH_AES_128_GCM_SHA256: '0x009c',
  TLS_RSA_WITH_AES_256_GCM_SHA384: '0x009d',
  TLS_RSA_WITH_AES_128_CBC_SHA: '0x002f',
  TLS_RSA_WITH_AES_256_CBC_SHA: '0x0035',
  TLS_RSA_WITH_AES_128_CBC_SHA256: '0x003c',
  TLS_RSA_WITH_AES_256_CBC_SHA256: '0x003d',
  TLS_RSA_WITH_3DES_EDE_CBC_SHA: '0x000a',
};

function systemBundle(): string[] {
  try {
    return [readFileSync(SYSTEM_BUNDLE, 'utf8')];
  } catch {
    return [];
  }
}

async function resolveName(host: string, deadline: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new UpstreamError('upstream-timeout', `resolving ${host} timed out`, 504)),
      Math.max(0, deadline - Date.now()),
    );
  });
  try {
    const r = await Promise.race([lookup(host), timeout]);
    return r.address;
  } catch (err) {
    if (err instanceof UpstreamError) throw err;
    throw new UpstreamError('upstream-dns', `cannot resolve ${host} (pin it with --resolve ${host}:ADDR)`, 502);
  } finally {
    clearTimeout(timer);
  }
}

function tcp(address: string, port: number, deadline: number, label: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = netConnect({ host: address, port, allowHalfOpen: true, noDelay: true });
    const timer = setTimeout(
      () => {
        sock.destroy();
        reject(new UpstreamError('upstream-timeout', `connecting to ${label} (${address}:${port}) timed out`, 504));
      },
      Math.max(0, deadline - Date.now()),
    );
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.removeAllListeners('error');
      resolve(sock);
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const code = err.code === 'ECONNREFUSED' ? 'upstream-refused' : 'upstream-unreachable';
      reject(
        new UpstreamError(code, `cannot connect to ${label} (${address}:${port}): ${err.code ?? err.message}`, 502),
      );
    });
  });
}

/** Sends CONNECT to an upstream proxy and waits for its 2xx (the head only; nothing after it is read). */
function proxyConnect(sock: Socket, authority: string, deadline: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const fail = (message: string, status: 502 | 504 = 502) => {
      clearTimeout(timer);
      sock.destroy();
      reject(new UpstreamError('upstream-proxy', message, status));
    };
    const timer = setTimeout(
      () => fail(`the upstream proxy did not answer CONNECT ${authority}`, 504),
      Math.max(0, deadline - Date.now()),
    );
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 16 * 1024) fail('the upstream proxy sent an oversized answer');
        return;
      }
      sock.off('data', onData);
      sock.pause();
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head.toString('latin1'))?.[1];
      if (!status?.startsWith('2'))
        return fail(`the upstream proxy refused CONNECT ${authority} (${status ?? 'no status'})`);
      clearTimeout(timer);
      if (end + 4 < head.length) sock.unshift(head.subarray(end + 4));
      resolve();
    };
    sock.on('data', onData);
    sock.once('error', (err: NodeJS.ErrnoException) => fail(`upstream proxy: ${err.code ?? err.message}`));
    sock.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  });
}

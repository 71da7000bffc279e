/**
 * What an observer learns from a TLS connection it cannot decrypt, as one `TlsInfo` snapshot: ClientHello SNI,
 * ALPN, offered versions, JA3/JA4; ServerHello version and cipher; the leaf certificate's names (TLS 1.2); alerts
 * both ways, and whether the client refused the server's certificate. Sans-io and shared by capture replay
 * (src/streams/tls.ts) and the live proxy's passthrough. Records: tls-records.ts; hellos: tls-hello.ts.
 *
 * Rejection: a client fatal certificate alert (42–46, 48) in clear (TLS ≤ 1.2); or, in TLS 1.3 where alerts
 * are encrypted, a client's first encrypted record of exactly one alert's size (2 + 1 + AEAD tag) sent after the
 * server's encrypted flight: the client Finished is larger, so that record can only be an alert ending the
 * handshake, shown as an alert named `encrypted`.
 */
import type { TlsAlert, TlsInfo } from '../model/tls.ts';
import type { ViolationSink } from '../model/violation.ts';
import { hex4, ja3String, ja4, md5Hex, parseClientHello, parseServerHello, versionName } from './tls-hello.ts';
import { type TlsRecordLimits, TlsRecordReader, type TlsSide } from './tls-records.ts';
import { parseCertNames } from './x509-names.ts';

/** Alerts kept per connection. */
export const MAX_TLS_ALERTS = 16;

const HS_CLIENT_HELLO = 1;
const HS_SERVER_HELLO = 2;
const HS_CERTIFICATE = 11;
/** Fatal alerts a client sends when it does not accept the server's certificate. */
const CERT_ALERTS = new Set([42, 43, 44, 45, 46, 48]);
/** An encrypted TLS 1.3 alert record: 2 bytes + content type + 16-byte AEAD tag (8 with CCM_8). */
const ENCRYPTED_ALERT_SIZES = new Set([19, 11]);

export const ALERT_NAMES: Readonly<Record<number, string>> = {
  0: 'close_notify',
  10: 'unexpected_message',
  20: 'bad_record_mac',
  22: 'record_overflow',
  40: 'handshake_failure',
  42: 'bad_certificate',
  43: 'unsupported_certificate',
  44: 'certificate_revoked',
  45: 'certificate_expired',
  46: 'certificate_unknown',
  47: 'illegal_parameter',
  48: 'unknown_ca',
  49: 'access_denied',
  50: 'decode_error',
  51: 'decrypt_error',
  70: 'protocol_version',
  71: 'insufficient_security',
  80: 'internal_error',
  86: 'inappropriate_fallback',
  90: 'user_canceled',
  109: 'missing_extension',
  110: 'unsupported_extension',
  112: 'unrecognized_name',
  116: 'certificate_required',
  120: 'no_application_protocol',
};

export class TlsMetadata {
  /** The current snapshot; replaced (not mutated) on each change so a caller may keep the old one. */
  info: TlsInfo = {};
  /** The client refused the server's certificate (see the module comment). */
  rejected = false;
  readonly #reader: TlsRecordReader;
  readonly #report: ViolationSink;
  #changed = false;
  #clientHello = false;
  /** The server's certificate (TLS 1.2) or encrypted flight (TLS 1.3) has been sent. */
  #serverCert = false;

  constructor(report: ViolationSink, limits?: TlsRecordLimits) {
    this.#report = report;
    this.#reader = new TlsRecordReader(
      {
        handshake: (side, type, body) => this.#handshake(side, type, body),
        alert: (side, level, description) =>
          this.#alert({ from: side, level, description, name: ALERT_NAMES[description] ?? `alert_${description}` }),
        encrypted: (side, _type, length) => this.#encrypted(side, length),
        violation: report,
      },
      limits,
    );
  }

  /** Bytes of one direction (`client` = device → cloud), any chunking; may be views the caller reuses. */
  write(side: TlsSide, bytes: Uint8Array): void {
    this.#reader.write(side, bytes);
  }

  /** A gap in one direction: record boundaries are lost, that side is read no further. */
  stop(side: TlsSide): void {
    this.#reader.stop(side);
  }

  /** Nothing more will be learned from this connection. */
  get done(): boolean {
    return this.#reader.done;
  }

  /** True (once) when `info` changed since the last call. */
  takeChanged(): boolean {
    const c = this.#changed;
    this.#changed = false;
    return c;
  }

  #set(patch: TlsInfo): void {
    this.info = { ...this.info, ...patch };
    this.#changed = true;
  }

  #handshake(side: TlsSide, type: number, body: Uint8Array): void {
    if (side === 'client' && type === HS_CLIENT_HELLO && !this.#clientHello) {
      this.#clientHello = true;
      this.#clientHelloSeen(body);
    } else if (side === 'server' && type === HS_SERVER_HELLO) this.#serverHello(body);
    else if (side === 'server' && type === HS_CERTIFICATE && !this.#serverCert) {
      this.#serverCert = true;
      this.#certificate(body);
    }
  }

  /** The first ClientHello only: after a HelloRetryRequest the second one is not fingerprinted. */
  #clientHelloSeen(body: Uint8Array): void {
    const h = parseClientHello(body);
    if ('error' in h) {
      this.#report({ decoder: 'tls', code: h.error, message: 'ClientHello' });
      return;
    }
    const ja3 = ja3String(h);
    const offered = h.supportedVersions.length > 0 ? h.supportedVersions : [h.legacyVersion];
    this.#set({
      ...(h.sni ? { sni: h.sni } : {}),
      ...(h.alpn.length > 0 ? { alpn: h.alpn } : {}),
      versions: offered.map(versionName),
      ja3,
      ja3Hash: md5Hex(ja3),
      ja4: ja4(h),
    });
  }

  #serverHello(body: Uint8Array): void {
    const h = parseServerHello(body);
    if ('error' in h) this.#report({ decoder: 'tls', code: h.error, message: 'ServerHello' });
    else if (h.helloRetry) this.#set({ helloRetry: true });
    else this.#set({ serverVersion: versionName(h.version), cipher: hex4(h.cipher, '0x') });
  }

  /** TLS 1.2 Certificate: 3-byte list length, then 3-byte length + DER per certificate; the first is the leaf. */
  #certificate(body: Uint8Array): void {
    const len = body.length >= 6 ? ((body[3] as number) << 16) | ((body[4] as number) << 8) | (body[5] as number) : -1;
    const names = len >= 0 && len + 6 <= body.length ? parseCertNames(body.subarray(6, 6 + len)) : undefined;
    if (!names) {
      this.#report({ decoder: 'tls', code: 'bad-certificate', message: 'leaf not readable' });
      return;
    }
    this.#set({
      certSubject: names.subject,
      certIssuer: names.issuer,
      ...(names.notBefore ? { certNotBefore: names.notBefore } : {}),
      ...(names.notAfter ? { certNotAfter: names.notAfter } : {}),
    });
  }

  #alert(a: Omit<TlsAlert, 'afterCertificate'>): void {
    const alerts = this.info.alerts ?? [];
    if (alerts.length >= MAX_TLS_ALERTS) return;
    const afterCertificate = a.from === 'client' && this.#serverCert;
    this.#set({ alerts: [...alerts, { ...a, afterCertificate }] });
    const certAlert = a.level === 2 && a.description !== undefined && CERT_ALERTS.has(a.description);
    if (a.from === 'client' && (certAlert || (a.name === 'encrypted' && afterCertificate))) this.rejected = true;
  }

  #encrypted(side: TlsSide, length: number): void {
    if (side === 'server') {
      if (this.info.serverVersion === 'TLSv1.3') this.#serverCert = true;
      return;
    }
    if (this.info.serverVersion === 'TLSv1.3' && ENCRYPTED_ALERT_SIZES.has(length)) {
      this.#alert({ from: 'client', name: 'encrypted' });
    }
  }
}

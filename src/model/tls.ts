/**
 * TLS metadata a source reads from a flow's clear-text handshake (src/decode/tls-metadata.ts), and the counts of
 * TLS flows by how decrypting them went. Types and one constant.
 */
import type { TlsState } from './flow.ts';

/** A TLS alert seen on the wire. */
export interface TlsAlert {
  from: 'client' | 'server';
  /** 1 warning, 2 fatal; absent when the alert was encrypted (TLS 1.3) and only its size told. */
  level?: number;
  /** RFC 8446 AlertDescription code (42 bad_certificate, 48 unknown_ca …); absent when encrypted. */
  description?: number;
  /** Name of the description (`bad_certificate`), or `encrypted`. */
  name: string;
  /** Sent after the server's certificate (TLS 1.2) or flight (TLS 1.3) and before the client finished. */
  afterCertificate: boolean;
}

/**
 * How decrypting a TLS flow with logged keys went (replay with `--keylog` or pcapng DSB secrets): `decrypted` (its
 * records open with the logged keys), `no-keys` (the key log names no secrets for its client random),
 * `unsupported` (SSL 3.0 – TLS 1.1, or a suite toyscope does not decrypt), `failed` (the keys did not open its
 * records). Absent when no decryption was tried or the hellos were never complete.
 */
export type TlsDecryption = 'decrypted' | 'no-keys' | 'unsupported' | 'failed';

/** TLS metadata read from the clear-text handshake of a flow (src/decode/tls-metadata.ts). Snapshot, not delta. */
export interface TlsInfo {
  /** ClientHello server_name, lower-case. */
  sni?: string;
  /** ClientHello ALPN protocols, in offered order. */
  alpn?: string[];
  /** Versions the client offered (supported_versions, else the hello version), GREASE removed: `TLSv1.3` … */
  versions?: string[];
  /** JA3 string and its md5. */
  ja3?: string;
  ja3Hash?: string;
  /** JA4 fingerprint (FoxIO spec), e.g. `t13d1516h2_8daaf6152771_e5627efa2ab1`. */
  ja4?: string;
  /** The version the server chose (supported_versions for TLS 1.3). */
  serverVersion?: string;
  /** The cipher suite the server chose, `0x1302`. */
  cipher?: string;
  /** The server sent a HelloRetryRequest. */
  helloRetry?: boolean;
  /** Leaf certificate names (`CN=…, O=…`) and validity (ISO 8601), visible in TLS 1.2 only. */
  certSubject?: string;
  certIssuer?: string;
  certNotBefore?: string;
  certNotAfter?: string;
  alerts?: TlsAlert[];
  /** Decryption with logged keys, when it was tried (see {@link TlsDecryption}). */
  decryption?: TlsDecryption;
  /** The live proxy's certificate check on this connection: which forgery it offered and what the device did. */
  certCheck?: CertCheck;
}

/**
 * A certificate the live proxy offers a device instead of the cloud's (issue 16, ADR 0012):
 * `toyscope-ca` a leaf for the right name from toyscope's CA (ordinary interception); `self-signed` a self-signed
 * leaf for the right name; `wrong-name` a leaf for another name from a CA the device may trust (config
 * `tls.probeCa`, else toyscope's CA); `expired` a leaf for the right name from that CA, expired.
 */
export type Forgery = 'toyscope-ca' | 'self-signed' | 'wrong-name' | 'expired';
/** The forgeries in the order `--probe-tls` offers them. */
export const FORGERIES: readonly Forgery[] = ['toyscope-ca', 'self-signed', 'wrong-name', 'expired'];

/**
 * How a device showed it refused a forgery: a fatal `alert` during the handshake, a `close` (or reset) during it,
 * no answer within the handshake `timeout`, or a finished handshake then a close before any application data
 * (`closed-before-data`: what a client that pins a key does after checking the chain).
 */
export type RejectionCause = 'alert' | 'closed' | 'timeout' | 'closed-before-data';

/** The outcome of one forgery offered on one connection. */
export interface CertCheck {
  forgery: Forgery;
  /** Who signed it: toyscope's CA, the configured `tls.probeCa`, or the leaf itself. */
  issuer: 'toyscope' | 'probe-ca' | 'self';
  /**
   * `accepted`: the device sent application data over it; `rejected`: see `cause`; `undecided`: the handshake
   * finished but the device sent nothing within PROXY_FIRST_DATA_WAIT_MS (a protocol where the server speaks
   * first, or an idle client): relayed, no verdict.
   */
  outcome: 'accepted' | 'rejected' | 'undecided';
  cause?: RejectionCause;
  /** The alert's name when `cause` is `alert` (`unknown_ca`, `bad_certificate` …). */
  alert?: string;
  /** Offered by `--probe-tls` (a forgery in turn) rather than ordinary interception. */
  probe?: boolean;
  /** Config `tls.caInstalled` lists the device: accepting toyscope's CA is expected, not a finding. */
  caInstalled?: boolean;
}

/**
 * TLS flows of the document and how decrypting them went (replay `--keylog`, pcapng DSB secrets; a HAR's https
 * entries count as decrypted, the browser recorded them in clear): `decrypted`,
 * `withoutKeys` (no secrets for the session, or no key log at all), `unsupported` (SSL 3.0 – TLS 1.1 or a suite not
 * decrypted), `failed` (the logged keys did not open its records).
 */
export interface TlsSummary {
  flows: number;
  decrypted: number;
  withoutKeys: number;
  unsupported: number;
  failed: number;
}

/** A flow whose own bytes were TLS (not one the proxy intercepted): counted in {@link TlsSummary}. */
export const TLS_ON_THE_WIRE: ReadonlySet<TlsState> = new Set<TlsState>([
  'opaque',
  'decrypted',
  'device-rejected-cert',
  'passthrough',
]);

/**
 * Per-host TLS contexts for the device side of interception (mockttp's pattern): one RSA leaf key made when the
 * proxy starts, a leaf per host minted on first use and signed by the CA, kept as a `SecureContext` in a bounded
 * LRU (MAX_PROXY_CERTS) until shortly before the leaf expires. Nothing is written to disk. ALPN is not set here
 * (the TLS socket offers `http/1.1`); this module does not decide whether to intercept.
 */

import { generateKeyPairSync } from 'node:crypto';
import { isIP } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Ca } from './ca.ts';
import { forgePublicKey, type Issuer, issuerOf, leafCertificate } from './x509.ts';

/** A context is replaced this long before its leaf expires. */
const RENEW_BEFORE_MS = 24 * 3600 * 1000;
/** RFC 1035 host names (with `_`, which IoT clouds use), lower-case, at most 253 characters. */
const HOST_RE = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

interface Entry {
  ctx: SecureContext;
  renewAt: number;
}

export interface CertCacheStats {
  /** Leaves minted since start. */
  minted: number;
  /** Contexts served from the cache. */
  hits: number;
  /** Contexts held now. */
  size: number;
}

export class CertCache {
  readonly #issuer: Issuer;
  readonly #caPem: string;
  readonly #caNotAfter: Date;
  readonly #keyPem: string;
  readonly #publicKey: ReturnType<typeof forgePublicKey>;
  readonly #max: number;
  readonly #entries = new Map<string, Entry>();
  #minted = 0;
  #hits = 0;

  /** Makes the process's leaf key (an RSA-2048 pair, ~0.1 s) and holds at most `maxEntries` contexts. */
  constructor(ca: Ca, maxEntries: number) {
    this.#issuer = issuerOf(ca.certPem, ca.key);
    this.#caPem = ca.certPem;
    this.#caNotAfter = new Date(new Date(ca.x509.validTo).getTime() - RENEW_BEFORE_MS);
    const leafKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.#keyPem = leafKey.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    this.#publicKey = forgePublicKey(leafKey.publicKey);
    this.#max = Math.max(1, maxEntries);
  }

  /**
   * The context for `host` (a name or an IP, as the device asked for it), minted if new or near expiry;
   * `extraNames` go in the SAN too (names copied from the cloud's certificate).
   */
  contextFor(host: string, extraNames: readonly string[] = []): SecureContext {
    const names = extraNames.map((n) => n.toLowerCase()).filter(certifiableHost);
    const key = [host.toLowerCase(), ...names].join(' ');
    const now = Date.now();
    const hit = this.#entries.get(key);
    if (hit && hit.renewAt > now) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      this.#hits++;
      return hit.ctx;
    }
    const leaf = leafCertificate(this.#issuer, host.toLowerCase(), this.#publicKey, this.#caNotAfter, names);
    // The chain includes the CA: clients that trust it by fingerprint or pin it still see it.
    const ctx = createSecureContext({ key: this.#keyPem, cert: `${leaf.pem}${this.#caPem}` });
    this.#minted++;
    this.#entries.delete(key);
    this.#entries.set(key, { ctx, renewAt: leaf.notAfter.getTime() - RENEW_BEFORE_MS });
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
    return ctx;
  }

  get stats(): CertCacheStats {
    return { minted: this.#minted, hits: this.#hits, size: this.#entries.size };
  }
}

/** Whether `name` can go in a certificate: a well-formed host name or an IP address (SNI and CONNECT are untrusted). */
export function certifiableHost(name: string): boolean {
  return isIP(name) !== 0 || HOST_RE.test(name.toLowerCase());
}

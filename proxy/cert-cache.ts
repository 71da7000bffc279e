/**
 * Per-host TLS contexts for the device side of interception (mockttp's pattern): one RSA leaf key made when the
 * proxy starts, a leaf per host minted on first use and signed by the CA, kept as a `SecureContext` in a bounded
 * LRU (MAX_PROXY_CERTS) until shortly before the leaf expires. Besides the ordinary leaf (`toyscope-ca`) it mints
 * the certificate probe's forgeries (`Forgery`): self-signed for the host, for another name and expired, the last
 * two from the probe CA when one is configured (a CA the device may trust), else from toyscope's CA. Nothing is
 * written to disk. ALPN is not set here (the TLS socket offers `http/1.1`); this module does not decide whether
 * to intercept nor which forgery to offer (cert-checks.ts).
 */

import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { CertCheck, Forgery } from '../src/model/tls.ts';
import type { Ca } from './ca.ts';
import { forgedLeaf, forgePublicKey, type Issuer, issuerOf, leafCertificate } from './x509.ts';

/** A context is replaced this long before its leaf expires. */
const RENEW_BEFORE_MS = 24 * 3600 * 1000;
/** The name the `wrong-name` forgery is made for (`.invalid`: never anyone's host, RFC 2606). */
export const WRONG_NAME = 'toyscope-wrong-name.invalid';
const DAY_MS = 24 * 3600 * 1000;
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

/** A CA the device may trust (config `tls.probeCa`): signs the `wrong-name` and `expired` forgeries. */
export interface ProbeCa {
  certPem: string;
  key: KeyObject;
}

export class CertCache {
  readonly #issuer: Issuer;
  readonly #caPem: string;
  readonly #caNotAfter: Date;
  readonly #probe: { issuer: Issuer; pem: string } | undefined;
  readonly #leafKey: KeyObject;
  readonly #keyPem: string;
  readonly #publicKey: ReturnType<typeof forgePublicKey>;
  readonly #max: number;
  readonly #entries = new Map<string, Entry>();
  #minted = 0;
  #hits = 0;

  /** Makes the process's leaf key (an RSA-2048 pair, ~0.1 s) and holds at most `maxEntries` contexts. */
  constructor(ca: Ca, maxEntries: number, probeCa?: ProbeCa) {
    this.#issuer = issuerOf(ca.certPem, ca.key);
    this.#caPem = ca.certPem;
    this.#caNotAfter = new Date(new Date(ca.x509.validTo).getTime() - RENEW_BEFORE_MS);
    this.#probe = probeCa && { issuer: issuerOf(probeCa.certPem, probeCa.key), pem: probeCa.certPem };
    const leafKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.#leafKey = leafKey.privateKey;
    this.#keyPem = leafKey.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    this.#publicKey = forgePublicKey(leafKey.publicKey);
    this.#max = Math.max(1, maxEntries);
  }

  /** Who signs `forgery`: toyscope's CA, the probe CA, or the leaf itself. */
  issuerOf(forgery: Forgery): CertCheck['issuer'] {
    if (forgery === 'self-signed') return 'self';
    if (forgery === 'toyscope-ca' || !this.#probe) return 'toyscope';
    return 'probe-ca';
  }

  /**
   * The context for `host` (a name or an IP, as the device asked for it) presenting `forgery`, minted if new or
   * near expiry; `extraNames` go in the SAN too (names copied from the cloud's certificate) of every forgery made
   * for the right name.
   */
  contextFor(host: string, forgery: Forgery = 'toyscope-ca', extraNames: readonly string[] = []): SecureContext {
    const name = host.toLowerCase();
    const names = extraNames.map((n) => n.toLowerCase()).filter(certifiableHost);
    const key = [forgery === 'toyscope-ca' ? name : `${forgery} ${name}`, ...names].join(' ');
    const now = Date.now();
    const hit = this.#entries.get(key);
    if (hit && hit.renewAt > now) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      this.#hits++;
      return hit.ctx;
    }
    const { leaf, chain } = this.#mint(name, forgery, now, names);
    // The chain includes the CA: clients that trust it by fingerprint or pin it still see it.
    const ctx = createSecureContext({ key: this.#keyPem, cert: `${leaf.pem}${chain}` });
    this.#minted++;
    this.#entries.delete(key);
    // An expired forgery is expired from the start: it is kept a day, like the others until near their end.
    const renewAt = forgery === 'expired' ? now + DAY_MS : leaf.notAfter.getTime() - RENEW_BEFORE_MS;
    this.#entries.set(key, { ctx, renewAt });
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
    return ctx;
  }

  #mint(
    host: string,
    forgery: Forgery,
    now: number,
    names: readonly string[],
  ): { leaf: { pem: string; notAfter: Date }; chain: string } {
    const ca = this.#probe ?? { issuer: this.#issuer, pem: this.#caPem };
    const until = this.#caNotAfter;
    switch (forgery) {
      case 'toyscope-ca':
        return { leaf: leafCertificate(this.#issuer, host, this.#publicKey, until, names), chain: this.#caPem };
      case 'self-signed':
        return { leaf: leafCertificate(this.#leafKey, host, this.#publicKey, until, names), chain: '' };
      case 'wrong-name':
        return { leaf: leafCertificate(ca.issuer, WRONG_NAME, this.#publicKey, this.#caNotAfter), chain: ca.pem };
      case 'expired': {
        const validity = { notBefore: new Date(now - 90 * DAY_MS), notAfter: new Date(now - 30 * DAY_MS) };
        return { leaf: forgedLeaf(host, this.#publicKey, validity, ca.issuer, names), chain: ca.pem };
      }
    }
  }

  get stats(): CertCacheStats {
    return { minted: this.#minted, hits: this.#hits, size: this.#entries.size };
  }
}

/** Whether `name` can go in a certificate: a well-formed host name or an IP address (SNI and CONNECT are untrusted). */
export function certifiableHost(name: string): boolean {
  return isIP(name) !== 0 || HOST_RE.test(name.toLowerCase());
}

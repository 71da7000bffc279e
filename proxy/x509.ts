/**
 * X.509 certificates for interception: the self-signed CA and the per-host leaves it signs. node-forge builds
 * the certificate structure in JavaScript; node's crypto makes the signature (`crypto.sign`), which is what makes
 * a new host cost about a millisecond instead of forge's ~20 ms (docs/adr/0008-live-proxy-core-and-certificates.md). Keys are node
 * `KeyObject`s made elsewhere (ca.ts, cert-cache.ts). No files, no caching, no TLS contexts here.
 */
import { type KeyObject, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

const { pki, asn1 } = forge;
/** In node-forge since 0.7 but missing from @types/node-forge: the to-be-signed part of a certificate as ASN.1. */
const getTbs = (pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate;

/** How long a leaf is valid: a year (under Apple's 398-day rule for server certificates). */
export const LEAF_DAYS = 365;
/** Leaves start a day in the past: devices with a slow clock still accept them. */
const BACKDATE_MS = 24 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

/** The issuing side of a leaf: the CA certificate (as forge reads it), its key identifier and private key. */
export interface Issuer {
  cert: forge.pki.Certificate;
  /** The CA's subject key identifier (binary string), computed once for every leaf's authorityKeyIdentifier. */
  keyId: string;
  key: KeyObject;
}

/** The issuer for a CA certificate (PEM) and its private key. */
export function issuerOf(certPem: string, key: KeyObject): Issuer {
  const cert = pki.certificateFromPem(certPem);
  return { cert, keyId: cert.generateSubjectKeyIdentifier().getBytes(), key };
}

/** A self-signed CA certificate (PEM) for `key`, valid `days` from a day ago. */
export function caCertificate(key: { publicKey: KeyObject; privateKey: KeyObject }, commonName: string, days: number) {
  const cert = pki.createCertificate();
  cert.publicKey = pki.publicKeyFromPem(key.publicKey.export({ type: 'spki', format: 'pem' }) as string);
  cert.serialNumber = serial();
  const now = Date.now();
  cert.validity.notBefore = new Date(now - BACKDATE_MS);
  cert.validity.notAfter = new Date(now + days * DAY_MS);
  const name = [
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: 'toyscope' },
  ];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  signWith(cert, key.privateKey);
  return pki.certificateToPem(cert);
}

/**
 * A leaf for `host` (a DNS name or an IP address) carrying `publicKey` (forge form, made once per process), signed
 * by `issuer` (or self-signed with this private key), expiring at `notAfter` at the latest. Returns the PEM and the expiry.
 */
export function leafCertificate(
  issuer: Issuer | KeyObject,
  host: string,
  publicKey: forge.pki.PublicKey,
  notAfter: Date,
  /** More DNS names for the SAN (a cloud certificate's names, copied for a device that sent no SNI). */
  extraNames: readonly string[] = [],
): { pem: string; notAfter: Date } {
  const now = Date.now();
  const until = new Date(Math.min(now + LEAF_DAYS * DAY_MS, notAfter.getTime()));
  return forgedLeaf(host, publicKey, { notBefore: new Date(now - BACKDATE_MS), notAfter: until }, issuer, extraNames);
}

/**
 * A leaf for `host` with exactly this validity, signed by `issuer`, or by its own key when `issuer` is a private
 * key (self-signed): ordinary leaves and the certificate probe's forgeries (cert-cache.ts).
 */
export function forgedLeaf(
  host: string,
  publicKey: forge.pki.PublicKey,
  validity: { notBefore: Date; notAfter: Date },
  issuer: Issuer | KeyObject,
  /** More DNS names for the SAN (a cloud certificate's names, copied for a device that sent no SNI). */
  extraNames: readonly string[] = [],
): { pem: string; notAfter: Date } {
  const cert = pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = validity.notBefore;
  cert.validity.notAfter = validity.notAfter;
  // The CN is informational (clients match the SAN) and limited to 64 characters by RFC 5280.
  const subject = [{ name: 'commonName', value: host.slice(0, 64) }];
  cert.setSubject(subject);
  const selfSigned = !('cert' in issuer);
  cert.setIssuer(selfSigned ? subject : issuer.cert.subject.attributes);
  const ip = isIP(host) !== 0;
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        ip ? { type: 7, ip: host } : { type: 2, value: host },
        ...extraNames.filter((n) => n !== host).map((value) => ({ type: 2, value })),
      ],
    },
    ...(selfSigned ? [] : [{ name: 'authorityKeyIdentifier', keyIdentifier: issuer.keyId }]),
  ]);
  signWith(cert, selfSigned ? issuer : issuer.key);
  return { pem: pki.certificateToPem(cert), notAfter: cert.validity.notAfter };
}

/** A forge public key from a node KeyObject (done once per leaf key, not per host). */
export function forgePublicKey(key: KeyObject): forge.pki.PublicKey {
  return pki.publicKeyFromPem(key.export({ type: 'spki', format: 'pem' }) as string);
}

/** sha256WithRSAEncryption over the DER of the to-be-signed part, signed by node's crypto. */
function signWith(cert: forge.pki.Certificate, key: KeyObject): void {
  const oid = pki.oids.sha256WithRSAEncryption!;
  cert.siginfo.algorithmOid = oid;
  cert.signatureOid = oid;
  const tbs = Buffer.from(asn1.toDer(getTbs(cert)).getBytes(), 'binary');
  cert.signature = sign('sha256', tbs, key).toString('binary');
}

/** A positive 128-bit serial number in hex (the top bit cleared so DER keeps it positive). */
function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}

/**
 * The CA on disk (key mode 0600, refuses to overwrite, damaged files are bad input), per-host contexts (chain
 * verifies, SAN for names and IPs, LRU bound) and the CA page (Android hash as openssl computes it).
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { caFiles, createCa, loadCa, loadOrCreateCa } from '../../proxy/ca.ts';
import { androidHashName, CaPage } from '../../proxy/ca-page.ts';
import { CertCache, certifiableHost } from '../../proxy/cert-cache.ts';
import { forgePublicKey, issuerOf, leafCertificate } from '../../proxy/x509.ts';
import { InputError } from '../../src/errors.ts';

const dir = () => join(mkdtempSync(join(tmpdir(), 'toyscope-ca-')), 'ca');

describe('CA', () => {
  it('is created once, with the key mode 0600, and read back', () => {
    const d = dir();
    const { ca, created } = loadOrCreateCa(d);
    expect(created).toBe(true);
    expect(statSync(ca.keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(d).mode & 0o777).toBe(0o700);
    expect(ca.x509.ca).toBe(true);
    expect(loadOrCreateCa(d).created).toBe(false);
    expect(loadCa(d)!.x509.fingerprint256).toBe(ca.x509.fingerprint256);
    expect(() => createCa(d)).toThrow(InputError);
  });

  it('says a damaged CA is bad input', () => {
    const d = dir();
    createCa(d);
    writeFileSync(caFiles(d).keyFile, 'not a key');
    expect(() => loadCa(d)).toThrow(/cannot be read/);
  });

  it('mints leaves that verify against the CA, for names and IPs, within the LRU bound', () => {
    const ca = createCa(dir());
    const cache = new CertCache(ca, 2);
    cache.contextFor('api.tuyaus.com');
    cache.contextFor('api.tuyaus.com');
    cache.contextFor('10.0.0.5');
    cache.contextFor('third.example');
    expect(cache.stats).toEqual({ minted: 3, hits: 1, size: 2 });
    const key = generateKey();
    const leaf = new X509Certificate(
      leafCertificate(issuerOf(ca.certPem, ca.key), '10.0.0.5', forgePublicKey(key), new Date(Date.now() + 1e9)).pem,
    );
    expect(leaf.verify(ca.x509.publicKey)).toBe(true);
    expect(leaf.checkIP('10.0.0.5')).toBe('10.0.0.5');
    expect(new Date(leaf.validTo).getTime()).toBeLessThan(new Date(ca.x509.validTo).getTime());
  });

  it('certifies only well-formed names', () => {
    expect(certifiableHost('a1b2c3-ats.iot.us-east-1.amazonaws.com')).toBe(true);
    expect(certifiableHost('::1')).toBe(true);
    for (const bad of ['', 'a..b', 'bad host', '-x.com', 'x'.repeat(254), 'évil.com'])
      expect(certifiableHost(bad), bad).toBe(false);
  });

  it('serves PEM and DER and names the Android system-store file as openssl does', () => {
    const ca = createCa(dir());
    const page = new CaPage(ca);
    expect(page.answer('GET', '/').body.toString()).toContain(ca.x509.fingerprint256);
    expect(page.answer('GET', '/toyscope-ca.cer').body).toEqual(ca.certDer);
    expect(page.answer('GET', '/toyscope-ca.pem').body.toString()).toBe(ca.certPem);
    expect(page.answer('GET', '/x').status).toBe(404);
    expect(page.answer('POST', '/').status).toBe(405);
    const hash = execFileSync('openssl', ['x509', '-noout', '-subject_hash_old', '-in', ca.certFile], {
      encoding: 'utf8',
    }).trim();
    expect(androidHashName(ca)).toBe(`${hash}.0`);
  });
});

const generateKey = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;

/**
 * A new host's certificate work, in process (docs/adr/0008-live-proxy-core-and-certificates.md): toyscope's path (node-forge builds
 * the leaf, node's crypto signs it, then `tls.createSecureContext`) as CertCache runs it, its two parts apart,
 * and the candidates beside it in the same run: @peculiar/x509 (WebCrypto signing) and node-forge signing in
 * pure JavaScript. Goal: ≤ 5 ms per new host (issue 14). Also the certificate probe's forgeries (self-signed,
 * wrong name, expired: issue 16), each beside the ordinary leaf.
 */
import 'reflect-metadata';
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import * as x509 from '@peculiar/x509';
import forge from 'node-forge';
import { createCa } from '../proxy/ca.ts';
import { CertCache } from '../proxy/cert-cache.ts';
import { forgePublicKey, issuerOf, leafCertificate } from '../proxy/x509.ts';
import { FORGERIES } from '../src/model/tls.ts';
import { round } from './measure.ts';
import type { Bench } from './run.ts';

const N = Number(process.env.BENCH_CERTS ?? 200);

/** Mean ms per call of `fn(i)` over N calls, after 20 warm-up calls. */
async function msPer(fn: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < 20; i++) await fn(-1 - i);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await fn(i);
  return (performance.now() - t0) / N;
}

const bench: Bench = async (emit) => {
  const ca = createCa(join(mkdtempSync(join(tmpdir(), 'toyscope-bench-certs-')), 'ca'));
  const cache = new CertCache(ca, 10 * N);
  const total = await msPer((i) => cache.contextFor(`h${i}.new-host.example`));

  const issuer = issuerOf(ca.certPem, ca.key);
  const leafKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pub = forgePublicKey(leafKey.publicKey);
  const keyPem = leafKey.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const until = new Date(Date.now() + 365 * 86400e3);
  const pems: string[] = [];
  const leaf = await msPer((i) => pems.push(leafCertificate(issuer, `l${i}.example`, pub, until).pem));
  const ctx = await msPer((i) =>
    createSecureContext({ key: keyPem, cert: pems[Math.abs(i) % pems.length]! + ca.certPem }),
  );
  emit({
    bench: 'certs',
    candidate: 'forge+native (toyscope)',
    new_host_ms: round(total, 2),
    leaf_ms: round(leaf, 2),
    context_ms: round(ctx, 2),
    goal_ms: 5,
  });
  // The certificate probe's forgeries (issue 16, ADR 0012), each beside the ordinary leaf of the same run.
  for (const forgery of FORGERIES.filter((f) => f !== 'toyscope-ca')) {
    const ms = await msPer((i) => cache.contextFor(`${forgery}${i}.new-host.example`, forgery));
    emit({
      bench: 'certs',
      candidate: `forgery ${forgery}`,
      new_host_ms: round(ms, 2),
      reference_ms: round(total, 2),
      ratio: round(total / ms, 2),
    });
  }

  // @peculiar/x509: the same leaf through WebCrypto.
  x509.cryptoProvider.set(webcrypto as never);
  const alg = {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-256',
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
  };
  const caKeys = (await webcrypto.subtle.generateKey(alg, false, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const leafKeys = (await webcrypto.subtle.generateKey(alg, false, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const peculiar = await msPer((i) =>
    x509.X509CertificateGenerator.create({
      serialNumber: '01',
      subject: `CN=p${i}.example`,
      issuer: 'CN=bench CA',
      notBefore: new Date(),
      notAfter: until,
      signingAlgorithm: alg,
      publicKey: leafKeys.publicKey,
      signingKey: caKeys.privateKey,
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: `p${i}.example` }])],
    }),
  );
  emit({
    bench: 'certs',
    candidate: '@peculiar/x509',
    leaf_ms: round(peculiar, 2),
    ratio_vs_toyscope_leaf: round(peculiar / leaf, 2),
  });

  // node-forge signing in JavaScript (what forge alone would cost), fewer rounds: it is slow.
  const forgeKey = forge.pki.privateKeyFromPem(ca.key.export({ type: 'pkcs8', format: 'pem' }) as string);
  const t0 = performance.now();
  const rounds = Math.max(5, Math.floor(N / 20));
  for (let i = 0; i < rounds; i++) {
    const c = forge.pki.createCertificate();
    c.publicKey = pub;
    c.serialNumber = '01';
    c.setSubject([{ name: 'commonName', value: `f${i}.example` }]);
    c.setIssuer(issuer.cert.subject.attributes);
    c.sign(forgeKey, forge.md.sha256.create());
  }
  const pureJs = (performance.now() - t0) / rounds;
  emit({
    bench: 'certs',
    candidate: 'node-forge (JS signing)',
    leaf_ms: round(pureJs, 2),
    ratio_vs_toyscope_leaf: round(pureJs / leaf, 2),
  });
};
export default bench;

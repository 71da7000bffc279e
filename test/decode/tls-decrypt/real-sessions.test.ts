/**
 * Sessions made by Node's TLS client and server (OpenSSL) on loopback, one per suite the decryptor reads: the
 * decrypted bytes must be exactly what each side wrote.
 */
import { constants, createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recordTls, TEST_CERTS, type TlsSessionSpec } from '../../../testkit/tls-loopback.ts';
import { cutSide, runSession, type SessionLog } from './run-session.ts';

/** A session log with its clear bytes as sha256 (vitest compares large buffers slowly). */
const digest = (r: SessionLog) => ({
  ...r,
  data: {
    client: createHash('sha256').update(r.data.client).digest('hex'),
    server: createHash('sha256').update(r.data.server).digest('hex'),
  },
});

const upload = [Buffer.from('POST /v1/profile HTTP/1.1\r\nHost: api.toy-cloud.example\r\n\r\n'), randomBytes(40_000)];
const download = [randomBytes(70_000), Buffer.from('bye')];

interface Case {
  name: string;
  cert: 'ec' | 'rsa';
  tls12?: string;
  tls13?: string;
  /** The IANA name (without TLS_) the session must report. */
  suite: string;
  server?: TlsSessionSpec['server'];
  client?: TlsSessionSpec['client'];
}

const CASES: Case[] = [
  { name: 'TLS 1.3 AES-128-GCM', cert: 'ec', tls13: 'TLS_AES_128_GCM_SHA256', suite: 'AES_128_GCM_SHA256' },
  { name: 'TLS 1.3 AES-256-GCM', cert: 'ec', tls13: 'TLS_AES_256_GCM_SHA384', suite: 'AES_256_GCM_SHA384' },
  {
    name: 'TLS 1.3 ChaCha20-Poly1305',
    cert: 'rsa',
    tls13: 'TLS_CHACHA20_POLY1305_SHA256',
    suite: 'CHACHA20_POLY1305_SHA256',
  },
  { name: 'TLS 1.3 AES-128-CCM', cert: 'ec', tls13: 'TLS_AES_128_CCM_SHA256', suite: 'AES_128_CCM_SHA256' },
  { name: 'TLS 1.3 AES-128-CCM-8', cert: 'ec', tls13: 'TLS_AES_128_CCM_8_SHA256', suite: 'AES_128_CCM_8_SHA256' },
  {
    name: 'TLS 1.3 after a HelloRetryRequest',
    cert: 'ec',
    tls13: 'TLS_AES_128_GCM_SHA256',
    suite: 'AES_128_GCM_SHA256',
    server: { ecdhCurve: 'X25519' },
    client: { ecdhCurve: 'P-256:X25519' },
  },
  {
    name: 'TLS 1.2 ECDHE-ECDSA AES-128-GCM',
    cert: 'ec',
    tls12: 'ECDHE-ECDSA-AES128-GCM-SHA256',
    suite: 'ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  },
  {
    name: 'TLS 1.2 ECDHE-RSA AES-256-GCM',
    cert: 'rsa',
    tls12: 'ECDHE-RSA-AES256-GCM-SHA384',
    suite: 'ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  },
  {
    name: 'TLS 1.2 RSA key exchange AES-128-GCM',
    cert: 'rsa',
    tls12: 'AES128-GCM-SHA256',
    suite: 'RSA_WITH_AES_128_GCM_SHA256',
  },
  {
    name: 'TLS 1.2 ChaCha20-Poly1305',
    cert: 'ec',
    tls12: 'ECDHE-ECDSA-CHACHA20-POLY1305',
    suite: 'ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  },
  {
    name: 'TLS 1.2 AES-128-CCM-8',
    cert: 'ec',
    tls12: 'ECDHE-ECDSA-AES128-CCM8',
    suite: 'ECDHE_ECDSA_WITH_AES_128_CCM_8',
  },
  { name: 'TLS 1.2 AES-256-CCM', cert: 'ec', tls12: 'ECDHE-ECDSA-AES256-CCM', suite: 'ECDHE_ECDSA_WITH_AES_256_CCM' },
  {
    name: 'TLS 1.2 CBC-SHA, encrypt-then-MAC',
    cert: 'rsa',
    tls12: 'ECDHE-RSA-AES128-SHA',
    suite: 'ECDHE_RSA_WITH_AES_128_CBC_SHA',
  },
  {
    name: 'TLS 1.2 CBC-SHA, MAC-then-encrypt',
    cert: 'rsa',
    tls12: 'ECDHE-RSA-AES256-SHA',
    suite: 'ECDHE_RSA_WITH_AES_256_CBC_SHA',
    server: { secureOptions: constants.SSL_OP_NO_ENCRYPT_THEN_MAC },
  },
  {
    name: 'TLS 1.2 RSA key exchange CBC-SHA256',
    cert: 'rsa',
    tls12: 'AES256-SHA256',
    suite: 'RSA_WITH_AES_256_CBC_SHA256',
  },
  {
    name: 'TLS 1.2 CBC-SHA384 (SHA-384 PRF)',
    cert: 'ec',
    tls12: 'ECDHE-ECDSA-AES256-SHA384',
    suite: 'ECDHE_ECDSA_WITH_AES_256_CBC_SHA384',
  },
];

function spec(c: Case): TlsSessionSpec {
  const ciphers = c.tls12 ? `${c.tls12}:@SECLEVEL=0` : undefined;
  const versions = c.tls12 ? { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' } : { minVersion: 'TLSv1.3' };
  const suites = c.tls13 ? { ciphers: c.tls13 } : { ciphers };
  return {
    server: { ...TEST_CERTS[c.cert], ...versions, ...suites, ...c.server } as TlsSessionSpec['server'],
    client: { ...versions, ...suites, ...c.client } as TlsSessionSpec['client'],
    upload,
    download,
  };
}

describe('decrypting real sessions (Node TLS client and server on loopback)', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const rec = await recordTls(spec(c));
      const r = runSession(rec.keyLog, [
        ...cutSide('client', rec.client, [100, 3000]),
        ...cutSide('server', rec.server, [7, 20_000]),
      ]);
      expect(r.events[0]).toBe(`decrypting ${c.tls13 ? 'TLSv1.3' : 'TLSv1.2'} ${c.suite}`);
      expect(r.events.filter((e) => e.startsWith('violation'))).toEqual([]);
      expect(r.data.client.equals(Buffer.concat(upload))).toBe(true);
      expect(r.data.server.equals(Buffer.concat(download))).toBe(true);
      expect(r.undecrypted).toEqual({ client: 0, server: 0 });
    });
  }

  it('decrypts a resumed TLS 1.2 session (abbreviated handshake, new client random)', async () => {
    const s = spec(CASES.find((x) => x.tls12 === 'ECDHE-ECDSA-AES128-GCM-SHA256')!);
    s.server = { ...s.server, ticketKeys: Buffer.alloc(48, 5) }; // both servers accept the same tickets
    const first = await recordTls(s);
    const rec = await recordTls({ ...s, client: { ...s.client, session: first.session } });
    expect(rec.reused).toBe(true);
    const r = runSession(rec.keyLog, [
      { side: 'client', bytes: rec.client },
      { side: 'server', bytes: rec.server },
    ]);
    expect(r.data.client.equals(Buffer.concat(upload))).toBe(true);
    expect(r.data.server.equals(Buffer.concat(download))).toBe(true);
  });

  it('gives the same bytes however a real session is cut', async () => {
    const rec = await recordTls(spec(CASES[2]!));
    const whole = digest(
      runSession(rec.keyLog, [
        { side: 'client', bytes: rec.client },
        { side: 'server', bytes: rec.server },
      ]),
    );
    fc.assert(
      fc.property(fc.array(fc.nat(rec.client.length)), fc.array(fc.nat(rec.server.length)), (cc, sc) => {
        const r = runSession(rec.keyLog, [...cutSide('client', rec.client, cc), ...cutSide('server', rec.server, sc)]);
        expect(digest(r)).toEqual(whole);
      }),
      { numRuns: 50 },
    );
  });
});

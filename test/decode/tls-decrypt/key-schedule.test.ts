import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  hkdfExpandLabel,
  prf12,
  tls12KeyBlock,
  tls13NextSecret,
  tls13TrafficKeys,
} from '../../../src/decode/tls-decrypt/key-schedule.ts';
import { cipherSuite } from '../../../src/decode/tls-decrypt/suites.ts';
import { hex, SIMPLE, ZERO_RTT } from './rfc8448.ts';

const AES128 = cipherSuite(0x1301)!;

describe('TLS 1.3 key schedule (RFC 8448 vectors)', () => {
  it('derives the record key and IV of each traffic secret', () => {
    const cases: Array<[string, string, string]> = [
      [SIMPLE.secrets.SERVER_HANDSHAKE_TRAFFIC_SECRET, '3fce516009c21727d0f2e4e86ee403bc', '5d313eb2671276ee13000b30'],
      [SIMPLE.secrets.CLIENT_HANDSHAKE_TRAFFIC_SECRET, 'dbfaa693d1762c5b666af5d950258d01', '5bd3c71b836e0b76bb73265f'],
      [SIMPLE.secrets.SERVER_TRAFFIC_SECRET_0, '9f02283b6c9c07efc26bb9f2ac92e356', 'cf782b88dd83549aadf1e984'],
      [SIMPLE.secrets.CLIENT_TRAFFIC_SECRET_0, '17422dda596ed5d9acd890e3c63f5051', '5b78923dee08579033e523d9'],
      [ZERO_RTT.secrets.CLIENT_EARLY_TRAFFIC_SECRET, '920205a5b7bf2115e6fc5c2942834f54', '6d475f0993c8e564610db2b9'],
    ];
    for (const [secret, key, iv] of cases) {
      const k = tls13TrafficKeys(AES128, hex(secret));
      expect(Buffer.from(k.key).toString('hex')).toBe(key);
      expect(Buffer.from(k.iv).toString('hex')).toBe(iv);
    }
  });

  it('expands a label with a context: "derived" from the early secret', () => {
    // early secret = HKDF-Extract(0, 0); derived = Derive-Secret(early, "derived", "") (RFC 8448 §3).
    const early = createHmac('sha256', Buffer.alloc(32)).update(Buffer.alloc(32)).digest();
    expect(early.toString('hex')).toBe('33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a');
    const empty = createHash('sha256').digest();
    expect(hkdfExpandLabel('sha256', early, 'derived', empty, 32).toString('hex')).toBe(
      '6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba',
    );
  });

  it('gives the next application secret on KeyUpdate as HKDF-Expand-Label(secret, "traffic upd")', () => {
    const s0 = hex(SIMPLE.secrets.CLIENT_TRAFFIC_SECRET_0);
    const s1 = tls13NextSecret(AES128, s0);
    expect(s1).toEqual(hkdfExpandLabel('sha256', s0, 'traffic upd', new Uint8Array(0), 32));
    expect(s1).toHaveLength(32);
    expect(tls13NextSecret(cipherSuite(0x1302)!, Buffer.alloc(48, 1))).toHaveLength(48);
  });
});

describe('TLS 1.2 PRF and key block', () => {
  // The PRF test vectors posted to the IETF TLS list for P_SHA256 and P_SHA384 ("test label").
  it('matches the P_SHA256 and P_SHA384 vectors', () => {
    expect(
      prf12(
        'sha256',
        hex('9bbe436ba940f017b17652849a71db35'),
        'test label',
        hex('a0ba9f936cda311827a6f796ffd5198c'),
        100,
      )
        .toString('hex')
        .slice(0, 64),
    ).toBe('e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a');
    const p384 = prf12(
      'sha384',
      hex('b80b733d6ceefcdc71566ea48e5567df'),
      'test label',
      hex('cd665cf6a8447dd6ff8b27555edb7465'),
      148,
    );
    expect(p384).toHaveLength(148);
    expect(p384.toString('hex').slice(0, 32)).toBe('7b0c18e9ced410ed1804f2cfa34a336a');
    expect(p384.toString('hex').slice(-26)).toBe('8d5eaa3be85e0990703d73e56f');
  });

  it('cuts the key block into MAC keys, keys and IVs in RFC 5246 order', () => {
    const master = Buffer.alloc(48, 7);
    const cr = Buffer.alloc(32, 1);
    const sr = Buffer.alloc(32, 2);
    const cbc = cipherSuite(0xc013)!; // ECDHE_RSA_WITH_AES_128_CBC_SHA: 20 + 16 + 0
    const raw = prf12('sha256', master, 'key expansion', Buffer.concat([sr, cr]), 2 * (20 + 16));
    const kb = tls12KeyBlock(cbc, master, cr, sr);
    expect(Buffer.concat([kb.client.macKey, kb.server.macKey, kb.client.key, kb.server.key])).toEqual(raw);
    expect(kb.client.iv).toHaveLength(0);
    const gcm = tls12KeyBlock(cipherSuite(0xc030)!, master, cr, sr); // AES_256_GCM_SHA384: 0 + 32 + 4
    expect([gcm.client.macKey.length, gcm.client.key.length, gcm.server.iv.length]).toEqual([0, 32, 4]);
    expect(tls12KeyBlock(cipherSuite(0xcca9)!, master, cr, sr).client.iv).toHaveLength(12);
  });
});

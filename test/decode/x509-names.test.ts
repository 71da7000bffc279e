import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCertNames } from '../../src/decode/x509-names.ts';
import { TEST_CERT } from '../../testkit/tls-builders.ts';

describe('parseCertNames', () => {
  it('reads subject, issuer and validity of a certificate made by openssl', () => {
    expect(parseCertNames(TEST_CERT)).toEqual({
      subject: 'C=CN, O=Toy Cloud Ltd, OU=IoT, CN=api.toy-cloud.example',
      issuer: 'C=CN, O=Toy Cloud Ltd, OU=IoT, CN=api.toy-cloud.example',
      notBefore: '2026-11-23T11:08:36Z',
      notAfter: '2036-11-20T11:08:36Z',
    });
  });

  it('gives undefined for truncated or foreign bytes', () => {
    expect(parseCertNames(TEST_CERT.subarray(0, 100))).toBeUndefined();
    expect(parseCertNames(Buffer.from('not a certificate'))).toBeUndefined();
    expect(parseCertNames(new Uint8Array(0))).toBeUndefined();
  });

  it('never throws on mutated certificates', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 8 }), fc.nat(), (muts, cut) => {
        const m = Uint8Array.from(TEST_CERT);
        for (const [i, v] of muts) m[i % m.length] = v;
        parseCertNames(m.subarray(0, cut % (m.length + 1)));
      }),
      { numRuns: 1000 },
    );
  });
});

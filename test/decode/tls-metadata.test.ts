import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TlsMetadata } from '../../src/decode/tls-metadata.ts';
import type { TlsSide } from '../../src/decode/tls-records.ts';
import type { ViolationInput } from '../../src/model/violation.ts';
import {
  alpnExt,
  bytes,
  certificateBody,
  clientHelloBody,
  HRR_RANDOM,
  handshake,
  records,
  serverHelloBody,
  sniExt,
  TEST_CERT,
  versionsExt,
} from '../../testkit/tls-builders.ts';
import { everySplit, oneByteAtATime } from '../helpers/splits.ts';

const CH = handshake(
  1,
  clientHelloBody({ ciphers: [0x1a1a, 0xc02b, 0x1301], extensions: [sniExt('toy.example'), alpnExt('mqtt')] }),
);
const CH13 = handshake(
  1,
  clientHelloBody({ ciphers: [0x1301], extensions: [sniExt('toy.example'), versionsExt(0x0304, 0x0303)] }),
);
const SH12 = handshake(2, serverHelloBody(0xc02b));
const SH13 = handshake(2, serverHelloBody(0x1301, 0x0304));
const CERT = handshake(11, certificateBody(TEST_CERT));
const DONE = handshake(14, []);
const ALERT_UNKNOWN_CA = records(21, [2, 48]);
const CCS = records(20, [1]);

type Step = [TlsSide, number[] | Uint8Array];

function run(steps: Step[], cut: (b: Uint8Array) => Uint8Array[] = (b) => [b]) {
  const violations: ViolationInput[] = [];
  const m = new TlsMetadata((v) => violations.push(v));
  for (const [side, b] of steps) for (const piece of cut(Uint8Array.from(b))) m.write(side, piece);
  return { info: m.info, rejected: m.rejected, violations, done: m.done };
}

/** A TLS 1.2 handshake whose server flight is cut into 100-byte records (the Certificate spans several). */
const TLS12_REJECTED: Step[] = [
  ['client', records(22, CH)],
  ['server', records(22, [...SH12, ...CERT, ...DONE], 100)],
  ['client', ALERT_UNKNOWN_CA],
];

describe('TlsMetadata', () => {
  it('reads a TLS 1.2 handshake with a fragmented Certificate and a client unknown_ca alert', () => {
    const r = run(TLS12_REJECTED);
    expect(r.violations).toEqual([]);
    expect(r.info).toMatchObject({
      sni: 'toy.example',
      alpn: ['mqtt'],
      versions: ['TLSv1.2'],
      ja3: '771,49195-4865,0-16,,',
      serverVersion: 'TLSv1.2',
      cipher: '0xc02b',
      certSubject: 'C=CN, O=Toy Cloud Ltd, OU=IoT, CN=api.toy-cloud.example',
      alerts: [{ from: 'client', level: 2, description: 48, name: 'unknown_ca', afterCertificate: true }],
    });
    expect(r.info.ja4).toMatch(/^t12d0202mt_[0-9a-f]{12}_[0-9a-f]{12}$/);
    expect(r.rejected).toBe(true);
  });

  it('gives the same result for every split of every direction, and one byte at a time', () => {
    const whole = run(TLS12_REJECTED);
    expect(run(TLS12_REJECTED, oneByteAtATime)).toEqual(whole);
    const flight = Uint8Array.from(TLS12_REJECTED[1]?.[1] as number[]);
    for (const parts of everySplit(flight)) {
      const steps: Step[] = [
        TLS12_REJECTED[0] as Step,
        ...parts.map((p): Step => ['server', p]),
        TLS12_REJECTED[2] as Step,
      ];
      expect(run(steps)).toEqual(whole);
    }
  });

  it('reads several handshake messages in one record and one message across records', () => {
    const r = run([
      ['client', records(22, CH, 7)],
      ['server', records(22, [...SH12, ...CERT])],
    ]);
    expect(r.info.sni).toBe('toy.example');
    expect(r.info.certIssuer).toContain('CN=api.toy-cloud.example');
  });

  it('takes TLS 1.3 from supported_versions and marks a HelloRetryRequest', () => {
    const hrr = handshake(2, serverHelloBody(0x1301, 0x0304, HRR_RANDOM));
    const r = run([
      ['client', records(22, CH13)],
      ['server', records(22, hrr)],
      ['client', records(22, CH13)],
      ['server', [...records(22, SH13), ...CCS, ...records(23, new Array(900).fill(0))]],
      ['client', [...CCS, ...records(23, new Array(53).fill(0))]],
    ]);
    expect(r.info).toMatchObject({
      versions: ['TLSv1.3', 'TLSv1.2'],
      serverVersion: 'TLSv1.3',
      cipher: '0x1301',
      helloRetry: true,
    });
    expect(r.info.alerts).toBeUndefined();
    expect(r.rejected).toBe(false);
    expect(r.done).toBe(true);
  });

  it('reads a TLS 1.3 client alert-sized encrypted record after the server flight as a rejection', () => {
    const r = run([
      ['client', records(22, CH13)],
      ['server', [...records(22, SH13), ...CCS, ...records(23, new Array(900).fill(0))]],
      ['client', [...CCS, ...records(23, new Array(19).fill(0))]],
    ]);
    expect(r.info.alerts).toEqual([{ from: 'client', name: 'encrypted', afterCertificate: true }]);
    expect(r.rejected).toBe(true);
  });

  it('does not read a close_notify or a server alert as a rejection', () => {
    const r = run([
      ['client', records(22, CH)],
      ['server', records(21, [2, 40])],
      ['client', records(21, [1, 0])],
    ]);
    expect(r.info.alerts?.map((a) => a.name)).toEqual(['handshake_failure', 'close_notify']);
    expect(r.rejected).toBe(false);
  });

  it('flags bad record headers and stops that side', () => {
    const r = run([
      ['client', [0x16, 0x09, 0x01, 0, 4, 1, 2, 3, 4]],
      ['client', records(22, CH)],
    ]);
    expect(r.violations.map((v) => v.code)).toEqual(['bad-record-header']);
    expect(r.info.sni).toBeUndefined();
  });

  it('never throws and stays bounded on mutated and random input', () => {
    const flight = Uint8Array.from([...records(22, CH), ...ALERT_UNKNOWN_CA]);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 6 }),
        fc.uint8Array({ maxLength: 2000 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        (muts, junk, cuts) => {
          const m = Uint8Array.from(flight);
          for (const [i, v] of muts) m[i % m.length] = v;
          const meta = new TlsMetadata(() => {});
          let prev = 0;
          for (const c of [...cuts.map((x) => x % m.length).sort((a, b) => a - b), m.length]) {
            meta.write('client', m.subarray(prev, c));
            prev = c;
          }
          meta.write('server', junk);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('reads at most 64 KiB of a side', () => {
    const m = new TlsMetadata(() => {});
    const big = bytes(records(22, handshake(1, new Array(40_000).fill(0))));
    m.write('client', big);
    m.write('client', big);
    m.write('server', bytes(records(23, [1])));
    expect(m.done).toBe(true);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ClientHello,
  isGrease,
  ja3String,
  ja4,
  parseClientHello,
  parseServerHello,
  versionName,
} from '../../src/decode/tls-hello.ts';
import {
  alpnExt,
  bytes,
  clientHelloBody,
  emptyExt,
  HRR_RANDOM,
  serverHelloBody,
  sniExt,
  u16ListExt,
  versionsExt,
} from '../../testkit/tls-builders.ts';

// The example of FoxIO's JA4 spec (technical_details/JA4.md), with GREASE values added that must be ignored.
const SPEC_CIPHERS = [
  0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f,
  0x0035,
];
const SPEC_SIGALGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];
const specHello = () =>
  clientHelloBody({
    ciphers: [0x0a0a, ...SPEC_CIPHERS],
    extensions: [
      emptyExt(0x1a1a),
      emptyExt(0x001b),
      sniExt('Api.Toy-Cloud.example'),
      emptyExt(0x0033),
      alpnExt('h2', 'http/1.1'),
      emptyExt(0x4469),
      emptyExt(0x0017),
      emptyExt(0x002d),
      u16ListExt(0x000d, SPEC_SIGALGS),
      emptyExt(0x0005),
      emptyExt(0x0023),
      emptyExt(0x0012),
      versionsExt(0x3a3a, 0x0304, 0x0303),
      emptyExt(0xff01),
      [0x000b, [1, 0]],
      u16ListExt(0x000a, [0x2a2a, 0x001d, 0x0017]),
      emptyExt(0x0015),
      emptyExt(0xfafa),
    ],
  });

const hello = (b: number[]): ClientHello => {
  const h = parseClientHello(bytes(b));
  if ('error' in h) throw new Error(h.error);
  return h;
};

describe('parseClientHello', () => {
  it('reads SNI, ALPN, versions, groups, point formats and signature algorithms, GREASE removed', () => {
    const h = hello(specHello());
    expect(h.sni).toBe('api.toy-cloud.example');
    expect(h.alpn).toEqual(['h2', 'http/1.1']);
    expect(h.random).toEqual(bytes(new Array(32).fill(7)));
    expect(h.supportedVersions).toEqual([0x0304, 0x0303]);
    expect(h.ciphers).toEqual(SPEC_CIPHERS);
    expect(h.extensions).toHaveLength(16);
    expect(h.extensions.some(isGrease)).toBe(false);
    expect(h.groups).toEqual([0x1d, 0x17]);
    expect(h.pointFormats).toEqual([0]);
    expect(h.sigAlgs).toEqual(SPEC_SIGALGS);
  });

  it('gives the JA4 of the spec example', () => {
    expect(ja4(hello(specHello()))).toBe('t13d1516h2_8daaf6152771_e5627efa2ab1');
  });

  it('gives a JA3 string in decimal with GREASE removed', () => {
    const s = ja3String(hello(specHello()));
    expect(s.startsWith(`771,${SPEC_CIPHERS.join('-')},27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,`)).toBe(
      true,
    );
    expect(s.endsWith(',29-23,0')).toBe(true);
  });

  it('follows the JA4 rules for no SNI, no ALPN, no ciphers, no extensions and non-alphanumeric ALPN', () => {
    const bare = hello(clientHelloBody({ version: 0x0301, ciphers: [], extensions: [] }));
    expect(ja4(bare)).toBe('t10i000000_000000000000_000000000000');
    const odd = (alpn: string) =>
      ja4(hello(clientHelloBody({ ciphers: [0x2f], extensions: [alpnExt(alpn)] }))).slice(6, 10);
    expect(odd('\xab')).toBe('01ab');
    expect(odd('0\xab')).toBe('013b');
    expect(odd('0\xab\xcd1')).toBe('0101');
    expect(odd('x')).toBe('01xx');
  });

  it('flags truncated hellos and bad extensions instead of throwing', () => {
    const b = specHello();
    expect(parseClientHello(bytes(b.slice(0, 40)))).toEqual({ error: 'truncated-hello' });
    const badSni = clientHelloBody({ ciphers: [0x2f], extensions: [[0, [0, 9, 0, 0, 5, 0x61]]] });
    expect(parseClientHello(bytes(badSni))).toEqual({ error: 'bad-extension' });
  });

  it('never throws on arbitrary or mutated bytes', () => {
    const base = specHello();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.tuple(fc.nat(), fc.nat(255))), (junk, muts) => {
        parseClientHello(junk);
        const m = Uint8Array.from(base);
        for (const [i, v] of muts) m[i % m.length] = v;
        const h = parseClientHello(m);
        if (!('error' in h)) ja4(h);
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseServerHello', () => {
  it('takes the TLS 1.3 version from supported_versions', () => {
    expect(parseServerHello(bytes(serverHelloBody(0x1302, 0x0304)))).toEqual({
      legacyVersion: 0x0303,
      random: bytes(new Array(32).fill(9)),
      version: 0x0304,
      cipher: 0x1302,
      helloRetry: false,
      extensions: [0x2b],
    });
    expect(parseServerHello(bytes(serverHelloBody(0xc02b)))).toMatchObject({ version: 0x0303, cipher: 0xc02b });
  });

  it('recognises a HelloRetryRequest by its random', () => {
    expect(parseServerHello(bytes(serverHelloBody(0x1301, 0x0304, HRR_RANDOM)))).toMatchObject({ helloRetry: true });
  });

  it('flags a truncated ServerHello', () => {
    expect(parseServerHello(bytes(serverHelloBody(0x1302).slice(0, 30)))).toEqual({ error: 'truncated-hello' });
  });
});

describe('versionName', () => {
  it('names TLS and SSL versions, hex for the rest', () => {
    expect([0x0304, 0x0303, 0x0301, 0x0300, 0x7f1c].map(versionName)).toEqual([
      'TLSv1.3',
      'TLSv1.2',
      'TLSv1',
      'SSLv3',
      '0x7f1c',
    ]);
  });
});

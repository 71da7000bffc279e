import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FormTokenizer,
  type FormTokenizerOptions,
  headerTokens,
  mqttConnectTokens,
  queryTokens,
} from '../../src/decode/form-tokens.ts';
import { type Limits, resolveLimits } from '../../src/model/limits.ts';
import type { MqttMeta } from '../../src/model/message.ts';
import { Secret } from '../../src/model/secret.ts';
import type { Token } from '../../src/model/token.ts';
import type { ViolationInput } from '../../src/model/violation.ts';
import { everySplit, oneByteAtATime, splitAt, utf8 } from '../helpers/splits.ts';

interface Run {
  tokens: Token[];
  violations: ViolationInput[];
}

function run(chunks: Uint8Array[], limits: Partial<Limits> = {}, extra: Partial<FormTokenizerOptions> = {}): Run {
  const out: Run = { tokens: [], violations: [] };
  const t = new FormTokenizer((tok) => out.tokens.push(tok), {
    limits: resolveLimits(limits),
    report: (v) => out.violations.push(v),
    ...extra,
  });
  for (const c of chunks) t.write(c);
  t.end();
  return out;
}

const brief = (r: Run) => r.tokens.map((t) => [t.path, t.key, t.value]);

/** Pieces merged back into [key, value] pairs. */
function pairs(tokens: Token[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let pending = '';
  for (const t of tokens) {
    expect(t.offset).toBe(pending.length);
    pending += t.value;
    if (t.more) continue;
    out.push([t.key, pending]);
    pending = '';
  }
  return out;
}

const CASES: Array<[string, string[][]]> = [
  [
    'a=1&b=hello+world&c=%E4%BD%A0%E5%A5%BD',
    [
      ['$.a', 'a', '1'],
      ['$.b', 'b', 'hello world'],
      ['$.c', 'c', '你好'],
    ],
  ],
  [
    'flag&&x=&=v&d=x=y&',
    [
      ['$.flag', 'flag', ''],
      ['$.x', 'x', ''],
      ['$[""]', '', 'v'],
      ['$.d', 'd', 'x=y'],
    ],
  ],
  [
    'id=1&id=2&user.name=%41%62&mac=a4%3A2b%3ab0',
    [
      ['$.id', 'id', '1'],
      ['$.id', 'id', '2'],
      ['$["user.name"]', 'user.name', 'Ab'],
      ['$.mac', 'mac', 'a4:2b:b0'],
    ],
  ],
  ['raw=wörld 😀', [['$.raw', 'raw', 'wörld 😀']]],
  ['', []],
];

describe('FormTokenizer', () => {
  it.each(CASES)('%s', (input, expected) => {
    const r = run([utf8(input)]);
    expect(r.violations).toEqual([]);
    expect(brief(r)).toEqual(expected);
    for (const t of r.tokens)
      expect([t.source, t.kind, t.offset, t.more, t.depth]).toEqual(['form', 'string', 0, false, 0]);
  });

  it('keeps bad % escapes literally and reports them once', () => {
    const input = utf8('a=%zz&b=100%&c=%4&d=%4g&e=%41');
    const r = run([input]);
    expect(brief(r)).toEqual([
      ['$.a', 'a', '%zz'],
      ['$.b', 'b', '100%'],
      ['$.c', 'c', '%4'],
      ['$.d', 'd', '%4g'],
      ['$.e', 'e', 'A'],
    ]);
    expect(r.violations.map((v) => [v.decoder, v.code, v.offset])).toEqual([['form', 'bad-percent-escape', 2]]);
  });

  it('decodes GBK bodies with the charset option', () => {
    const gbk = Uint8Array.from([...utf8('name='), 0xc4, 0xe3, 0xba, 0xc3, ...utf8('&n=%C4%E3%BA%C3')]);
    const whole = run([gbk], {}, { charset: 'gbk' });
    expect(brief(whole)).toEqual([
      ['$.name', 'name', '你好'],
      ['$.n', 'n', '你好'],
    ]);
    for (const chunks of everySplit(gbk)) expect(run(chunks, {}, { charset: 'gbk' })).toEqual(whole);
  });

  it('reports an unknown charset and decodes as UTF-8', () => {
    const r = run([utf8('a=%C3%A9')], {}, { charset: 'no-such-charset' });
    expect(brief(r)).toEqual([['$.a', 'a', 'é']]);
    expect(r.violations.map((v) => v.code)).toEqual(['unknown-charset']);
  });

  it('gives the same tokens at every split and one byte at a time, pieces included', () => {
    const inputs = [...CASES.map(([i]) => i), 'a=%zz&b=100%&c=%4', 'k=%F0%9F%98%80%F0%9F%98%80abcdefgh+%E4%BD%A0&k2=v'];
    for (const max of [2, 3, 5, 64 * 1024]) {
      for (const input of inputs) {
        const bytes = utf8(input);
        const whole = run([bytes], { MAX_TOKEN_BYTES: max });
        for (const chunks of everySplit(bytes)) expect(run(chunks, { MAX_TOKEN_BYTES: max })).toEqual(whole);
        expect(run(oneByteAtATime(bytes), { MAX_TOKEN_BYTES: max })).toEqual(whole);
      }
    }
  });

  it('delivers long values in pieces of MAX_TOKEN_BYTES as they stream', () => {
    const value = 'x'.repeat(100_000);
    const r = run([utf8('a=1&big='), utf8(value.slice(0, 50_000)), utf8(value.slice(50_000)), utf8('&z=2')], {
      MAX_TOKEN_BYTES: 30_000,
    });
    expect(r.tokens.map((t) => [t.key, t.value.length, t.offset, t.more])).toEqual([
      ['a', 1, 0, false],
      ['big', 30_000, 0, true],
      ['big', 30_000, 30_000, true],
      ['big', 30_000, 60_000, true],
      ['big', 10_000, 90_000, false],
      ['z', 1, 0, false],
    ]);
  });

  it('cuts keys at MAX_KEY_BYTES', () => {
    expect(brief(run([utf8('abcdefgh=1&abcdefgh')], { MAX_KEY_BYTES: 3 }))).toEqual([
      ['$.abc', 'abc', '1'],
      ['$.abc', 'abc', ''],
    ]);
  });

  it('agrees with the WHATWG urlencoded parser on arbitrary bodies cut anywhere', () => {
    const chars = fc.constantFrom(
      'a',
      'b',
      '=',
      '&',
      '+',
      '%',
      '2',
      '0',
      'E',
      'f',
      'C',
      '3',
      'A',
      '9',
      ' ',
      'é',
      '😀',
      '.',
    );
    fc.assert(
      fc.property(
        fc.array(chars, { maxLength: 40 }),
        fc.array(fc.nat()),
        fc.integer({ min: 1, max: 6 }),
        (cs, cuts, max) => {
          const body = cs.join('');
          const r = run(splitAt(utf8(body), cuts), { MAX_TOKEN_BYTES: max });
          expect(pairs(r.tokens)).toEqual(whatwgParse(body));
          expect(r.violations.length).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

/**
 * The WHATWG application/x-www-form-urlencoded parser, written out plainly as the oracle (Node's URLSearchParams
 * mis-decodes `%aa` followed by a multibyte character, so it cannot serve).
 */
function whatwgParse(body: string): Array<[string, string]> {
  const decode = (s: string): string => {
    const bytes = utf8(s.replaceAll('+', ' '));
    const out: number[] = [];
    for (let i = 0; i < bytes.length; i++) {
      const hex = String.fromCharCode(bytes[i + 1] ?? 0, bytes[i + 2] ?? 0);
      if (bytes[i] === 0x25 && /^[0-9a-fA-F]{2}$/.test(hex)) {
        out.push(Number.parseInt(hex, 16));
        i += 2;
      } else {
        out.push(bytes[i]!);
      }
    }
    return new TextDecoder().decode(Uint8Array.from(out));
  };
  return body
    .split('&')
    .filter((s) => s !== '')
    .map((s) => {
      const eq = s.indexOf('=');
      return eq < 0 ? [decode(s), ''] : [decode(s.slice(0, eq)), decode(s.slice(eq + 1))];
    });
}

const opts = { limits: resolveLimits(), report: () => {} };

describe('queryTokens', () => {
  it.each([
    [
      '/api/v1/report?imei=862012345678901&mac=a4%3A2b&imei=2#frag',
      [
        ['$.imei', 'imei', '862012345678901'],
        ['$.mac', 'mac', 'a4:2b'],
        ['$.imei', 'imei', '2'],
      ],
    ],
    [
      'http://cloud.example/p?q=a+b&empty&x=%E4%BD%A0',
      [
        ['$.q', 'q', 'a b'],
        ['$.empty', 'empty', ''],
        ['$.x', 'x', '你'],
      ],
    ],
    ['/no-query#a=1', []],
    ['/p?', []],
  ])('%s', (url, expected) => {
    const tokens: Token[] = [];
    queryTokens(url, (t) => tokens.push(t), opts);
    expect(tokens.map((t) => [t.path, t.key, t.value])).toEqual(expected);
    expect(tokens.every((t) => t.source === 'query' && t.parent === '$')).toBe(true);
  });
});

describe('headerTokens', () => {
  it('gives one token per header, cookies split, Authorization whole', () => {
    const tokens: Token[] = [];
    headerTokens(
      [
        ['User-Agent', 'ToyOS/2.1 (imei 862012345678901)'],
        ['Cookie', 'sid=abc123; uid = 42 ;flag; a.b=c=d'],
        ['Authorization', 'Bearer eyJhbGciOi.eyJzdWIi.sig'],
        ['X-Device-ID', 'TOY-1'],
      ],
      (t) => tokens.push(t),
      { ...opts, depth: 1, pathPrefix: '$.part>' },
    );
    expect(tokens.map((t) => [t.path, t.key, t.value])).toEqual([
      ['$.part>$.user-agent', 'user-agent', 'ToyOS/2.1 (imei 862012345678901)'],
      ['$.part>$.cookie.sid', 'sid', 'abc123'],
      ['$.part>$.cookie.uid', 'uid', '42'],
      ['$.part>$.cookie.flag', 'flag', ''],
      ['$.part>$.cookie["a.b"]', 'a.b', 'c=d'],
      ['$.part>$.authorization', 'authorization', 'Bearer eyJhbGciOi.eyJzdWIi.sig'],
      ['$.part>$.x-device-id', 'x-device-id', 'TOY-1'],
    ]);
    expect(tokens.map((t) => t.parent)).toEqual([
      '$.part>$',
      '$.part>$.cookie',
      '$.part>$.cookie',
      '$.part>$.cookie',
      '$.part>$.cookie',
      '$.part>$',
      '$.part>$',
    ]);
    expect(tokens.every((t) => t.source === 'header' && t.depth === 1 && !t.more)).toBe(true);
    // The header block is one container, the cookies another inside it.
    expect(tokens.map((t) => [t.container, t.outer])).toEqual([
      [0, 0],
      [1, 0],
      [1, 0],
      [1, 0],
      [1, 0],
      [0, 0],
      [0, 0],
    ]);
  });

  it('delivers long header values in pieces', () => {
    const tokens: Token[] = [];
    headerTokens([['X-Blob', 'abcdefghij']], (t) => tokens.push(t), {
      ...opts,
      limits: resolveLimits({ MAX_TOKEN_BYTES: 4 }),
    });
    expect(tokens.map((t) => [t.value, t.offset, t.more])).toEqual([
      ['abcd', 0, true],
      ['efgh', 4, true],
      ['ij', 8, false],
    ]);
  });
});

describe('mqttConnectTokens', () => {
  it('gives client id, username and the revealed password, and k=v members of each', () => {
    const tokens: Token[] = [];
    const meta: MqttMeta = {
      packet: 'connect',
      clientId: 'a1B2.toy-001|securemode=3,signmethod=hmacsha1|',
      username: 'toy-001&a1B2',
      password: new Secret('0a1b2c'),
    };
    mqttConnectTokens(meta, (t) => tokens.push(t), opts);
    expect(tokens.map((t) => [t.path, t.parent, t.key, t.value])).toEqual([
      ['$.client-id', '$', 'client-id', 'a1B2.toy-001|securemode=3,signmethod=hmacsha1|'],
      ['$.client-id.securemode', '$.client-id', 'securemode', '3'],
      ['$.client-id.signmethod', '$.client-id', 'signmethod', 'hmacsha1'],
      ['$.username', '$', 'username', 'toy-001&a1B2'],
      ['$.password', '$', 'password', '0a1b2c'],
    ]);
    expect(tokens.every((t) => t.source === 'header' && !t.more)).toBe(true);
  });
});

import { encode } from 'cborg';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CborTokenizer } from '../../src/decode/cbor-tokens.ts';
import { everySplit, oneByteAtATime, splitAt } from '../helpers/splits.ts';
import { brief, merged, runBinary } from './binary-run.ts';

const body = Uint8Array.from(
  encode({
    phone: '+8613812345678',
    loc: { lat: 39.9042, lon: 116.4074 },
    n: -5,
    big: 2n ** 64n - 1n,
    neg: -(2n ** 64n),
    ok: true,
    nil: null,
    list: [1, 'a', 1.5],
    clip: new Uint8Array(100),
    7: 'int key',
  }),
);
const hex = (s: string) => Uint8Array.from(Buffer.from(s.replaceAll(' ', ''), 'hex'));

describe('CborTokenizer', () => {
  it('tokenizes a cborg-encoded map with JSON-like paths', () => {
    const r = runBinary(CborTokenizer, [body]);
    expect(r.violations).toEqual([]);
    expect(brief(r)).toEqual(
      expect.arrayContaining([
        ['$.phone', 'phone', 'string', '+8613812345678'],
        ['$.loc.lat', 'lat', 'number', '39.9042'],
        ['$.loc.lon', 'lon', 'number', '116.4074'],
        ['$.n', 'n', 'number', '-5'],
        ['$.big', 'big', 'number', '18446744073709551615'],
        ['$.neg', 'neg', 'number', '-18446744073709551616'],
        ['$.ok', 'ok', 'boolean', 'true'],
        ['$.nil', 'nil', 'null', 'null'],
        ['$.list[0]', '', 'number', '1'],
        ['$.list[1]', '', 'string', 'a'],
        ['$.list[2]', '', 'number', '1.5'],
        ['$.7', '7', 'string', 'int key'],
      ]),
    );
    expect(r.tokens).toHaveLength(12);
    expect(r.bytes).toEqual([['$.clip', 100]]);
    const parentOf = (path: string) => r.tokens.find((t) => t.path === path)?.parent;
    expect([parentOf('$.phone'), parentOf('$.loc.lat'), parentOf('$.list[1]')]).toEqual(['$', '$.loc', '$.list']);
  });

  it('is split-invariant', () => {
    const whole = runBinary(CborTokenizer, [body]);
    for (const chunks of everySplit(body)) expect(runBinary(CborTokenizer, chunks)).toEqual(whole);
    expect(runBinary(CborTokenizer, oneByteAtATime(body))).toEqual(whole);
  });

  it('reads indefinite lengths, tags, half/single floats, undefined and simple values', () => {
    // {_ "a": [_ 1, 2], "s": (_ "ab", "c"), "t": 1(1700000000), "h": 1.5 (half), "f": 0.5 (single),
    //  "u": undefined, "x": simple(16), "b": (_ h'0102', h'03')}
    const bytes = hex(
      'bf 6161 9f0102ff 6173 7f626162 6163 ff 6174 c11a6553f100 6168 f93e00 6166 fa3f000000 6175 f7 6178 f0 6162 5f42010241 03ff ff',
    );
    const r = runBinary(CborTokenizer, [bytes]);
    expect(r.violations).toEqual([]);
    expect(brief(r)).toEqual([
      ['$.a[0]', '', 'number', '1'],
      ['$.a[1]', '', 'number', '2'],
      ['$.s', 's', 'string', 'abc'],
      ['$.t', 't', 'number', '1700000000'],
      ['$.h', 'h', 'number', '1.5'],
      ['$.f', 'f', 'number', '0.5'],
      ['$.u', 'u', 'null', 'null'],
    ]);
    expect(r.bytes).toEqual([['$.b', 3]]);
    for (const chunks of everySplit(bytes)) expect(runBinary(CborTokenizer, chunks)).toEqual(r);
  });

  it('streams long text in pieces and accepts a sequence of top-level items', () => {
    const text = 'ü'.repeat(30) + 'z';
    const bytes = Uint8Array.from([...encode({ t: text }), ...encode(42)]);
    const r = runBinary(CborTokenizer, [bytes], { MAX_TOKEN_BYTES: 8 });
    expect(r.violations).toEqual([]);
    expect(merged(r.tokens)).toEqual([
      ['$.t', 'string', text],
      ['$', 'number', '42'],
    ]);
    expect(r.tokens.length).toBeGreaterThan(4);
    for (const chunks of everySplit(bytes)) expect(runBinary(CborTokenizer, chunks, { MAX_TOKEN_BYTES: 8 })).toEqual(r);
  });

  it('numbers each map and array as it opens: two top-level maps are two containers', () => {
    const bytes = Uint8Array.from([...encode({ a: { x: 1 } }), ...encode({ a: { x: 2 } }), ...encode(3)]);
    const r = runBinary(CborTokenizer, [bytes]);
    expect(r.tokens.map((t) => [t.path, t.container, t.outer])).toEqual([
      ['$.a.x', 2, 1],
      ['$.a.x', 4, 3],
      ['$', 0, 0],
    ]);
  });

  it('flags malformed input and nesting deeper than MAX_JSON_DEPTH', () => {
    const codes = (s: string, limits = {}) => runBinary(CborTokenizer, [hex(s)], limits).violations.map((v) => v.code);
    expect(codes('1c')).toEqual(['bad-additional-info']);
    expect(codes('ff')).toEqual(['unexpected-break']);
    expect(codes('a1 a0 01')).toEqual(['container-key']);
    expect(codes('7f 01 ff')).toEqual(['bad-string-chunk']);
    expect(codes('a2 6161 01')).toEqual(['truncated']);
    expect(codes('f8 10')).toEqual(['bad-simple-value']);
    expect(codes('5b 0000000100000000')).toEqual(['length-too-large']);
    expect(codes('81 81 81 81 01', { MAX_JSON_DEPTH: 3 })).toEqual(['too-deep']);
  });

  it('never throws on random or mutated input, and stays split-invariant', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
        expect(runBinary(CborTokenizer, splitAt(bytes, cuts))).toEqual(runBinary(CborTokenizer, [bytes]));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.nat(body.length - 1), fc.integer({ min: 0, max: 255 }), (at, value) => {
        const bad = body.slice();
        bad[at] = value;
        expect(runBinary(CborTokenizer, oneByteAtATime(bad))).toEqual(runBinary(CborTokenizer, [bad]));
      }),
      { numRuns: 300 },
    );
  });
});

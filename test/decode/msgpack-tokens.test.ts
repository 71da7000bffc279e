import { ExtensionCodec, encode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MsgpackTokenizer } from '../../src/decode/msgpack-tokens.ts';
import { everySplit, oneByteAtATime, splitAt } from '../helpers/splits.ts';
import { brief, merged, runBinary } from './binary-run.ts';

const wide = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i * 1000])); // map16, uint16
const value = {
  phone: '+8613812345678',
  loc: { lat: 39.9042, lon: 116.4074 },
  small: -5,
  i8: -100,
  i16: -1000,
  i32: -100000,
  u32: 4000000000,
  i64: -(2n ** 40n),
  u64: 2n ** 63n,
  ok: false,
  nil: null,
  list: Array.from({ length: 17 }, (_, i) => i), // array16
  s8: 'x'.repeat(40),
  s16: 'y'.repeat(300),
  when: new Date(1700000000000), // ext -1 (timestamp), skipped
  clip: new Uint8Array(300), // bin16
  wide,
};
const body = Uint8Array.from(encode(value, { useBigInt64: true, extensionCodec: new ExtensionCodec() }));

describe('MsgpackTokenizer', () => {
  it('tokenizes every format with JSON-like paths', () => {
    const r = runBinary(MsgpackTokenizer, [body]);
    expect(r.violations).toEqual([]);
    const b = brief(r);
    expect(b).toEqual(
      expect.arrayContaining([
        ['$.phone', 'phone', 'string', '+8613812345678'],
        ['$.loc.lat', 'lat', 'number', '39.9042'],
        ['$.loc.lon', 'lon', 'number', '116.4074'],
        ['$.small', 'small', 'number', '-5'],
        ['$.i8', 'i8', 'number', '-100'],
        ['$.i16', 'i16', 'number', '-1000'],
        ['$.i32', 'i32', 'number', '-100000'],
        ['$.u32', 'u32', 'number', '4000000000'],
        ['$.i64', 'i64', 'number', '-1099511627776'],
        ['$.u64', 'u64', 'number', '9223372036854775808'],
        ['$.ok', 'ok', 'boolean', 'false'],
        ['$.nil', 'nil', 'null', 'null'],
        ['$.list[16]', '', 'number', '16'],
        ['$.s8', 's8', 'string', 'x'.repeat(40)],
        ['$.s16', 's16', 'string', 'y'.repeat(300)],
        ['$.wide.k19', 'k19', 'number', '19000'],
      ]),
    );
    expect(b.some(([p]) => p === '$.when')).toBe(false);
    expect(r.bytes).toEqual([['$.clip', 300]]);
  });

  it('is split-invariant', () => {
    const whole = runBinary(MsgpackTokenizer, [body]);
    for (const chunks of everySplit(body)) expect(runBinary(MsgpackTokenizer, chunks)).toEqual(whole);
    expect(runBinary(MsgpackTokenizer, oneByteAtATime(body))).toEqual(whole);
  });

  it('reads float32, str32, array32/map32, fixext and ext32 by hand', () => {
    // {f: float32 39.904, s: str32 'abc'} then [fixext1, ext32 of 2 bytes] (both skipped)
    const hand = Buffer.from('df00000002a166ca421f9db2a173db00000003616263dd00000002d40102c900000002056162', 'hex');
    const r = runBinary(MsgpackTokenizer, [hand]);
    expect(r.violations).toEqual([]);
    expect(brief(r)).toEqual([
      ['$.f', 'f', 'number', '39.904'],
      ['$.s', 's', 'string', 'abc'],
    ]);
  });

  it('decodes keys and values with bad or cut UTF-8 the same whatever the chunking', () => {
    // {"ключ": "é"} then a key and a value holding a lone continuation byte and a cut 3-byte sequence
    const bytes = Uint8Array.from([...encode({ ключ: 'é' }), 0x81, 0xa3, 0x61, 0x80, 0xe4, 0xa2, 0xe4, 0xb8]);
    const whole = runBinary(MsgpackTokenizer, [bytes]);
    expect(brief(whole)[0]).toEqual(['$.ключ', 'ключ', 'string', 'é']);
    for (const chunks of everySplit(bytes)) expect(runBinary(MsgpackTokenizer, chunks)).toEqual(whole);
  });

  it('streams long strings in pieces', () => {
    const text = '中'.repeat(25);
    const bytes = Uint8Array.from(encode({ t: text }));
    const r = runBinary(MsgpackTokenizer, [bytes], { MAX_TOKEN_BYTES: 10 });
    expect(merged(r.tokens)).toEqual([['$.t', 'string', text]]);
    expect(r.tokens.map((t) => t.value.length)).toEqual([10, 10, 5]);
    for (const chunks of everySplit(bytes))
      expect(runBinary(MsgpackTokenizer, chunks, { MAX_TOKEN_BYTES: 10 })).toEqual(r);
  });

  it('flags malformed input', () => {
    const codes = (h: string, limits = {}) =>
      runBinary(MsgpackTokenizer, [Buffer.from(h, 'hex')], limits).violations.map((v) => v.code);
    expect(codes('c1')).toEqual(['bad-type']);
    expect(codes('82a16101')).toEqual(['truncated']);
    expect(codes('81 90 01'.replaceAll(' ', ''))).toEqual(['container-key']);
    expect(codes('db7fffffff')).toEqual(['length-too-large']);
    expect(codes('91919101', { MAX_JSON_DEPTH: 2 })).toEqual(['too-deep']);
  });

  it('never throws on random or mutated input, and stays split-invariant', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
        expect(runBinary(MsgpackTokenizer, splitAt(bytes, cuts))).toEqual(runBinary(MsgpackTokenizer, [bytes]));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.nat(body.length - 1), fc.integer({ min: 0, max: 255 }), (at, v) => {
        const bad = body.slice();
        bad[at] = v;
        expect(runBinary(MsgpackTokenizer, oneByteAtATime(bad))).toEqual(runBinary(MsgpackTokenizer, [bad]));
      }),
      { numRuns: 200 },
    );
  });
});

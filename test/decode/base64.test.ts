import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Base64Decoder, looksLikeBase64 } from '../../src/decode/base64.ts';
import { collect } from './sink.ts';

function decode(pieces: string[]) {
  const codes: string[] = [];
  const d = new Base64Decoder((v) => codes.push(v.code));
  const out = collect();
  for (const p of pieces) d.write(p, out);
  d.end(out);
  return { bytes: Buffer.from(out.bytes()), codes, mime: d.mime, ended: out.ended };
}

/** The string cut in two at every offset, then one character at a time. */
function* stringSplits(s: string): Generator<string[]> {
  yield [s];
  for (let i = 1; i < s.length; i++) yield [s.slice(0, i), s.slice(i)];
  yield [...s];
}

/** Fixed pseudo-random bytes (a hash chain): random input made this suite flaky when a short slice lacked a class. */
function fixedBytes(n: number, seed: string): Buffer {
  const out: Buffer[] = [];
  for (let h = seed, size = 0; size < n; size += 32) {
    h = createHash('sha256').update(h).digest('hex');
    out.push(Buffer.from(h, 'hex'));
  }
  return Buffer.concat(out).subarray(0, n);
}

const payload = fixedBytes(300, 'base64-suite');
const std = payload.toString('base64');
const url = payload.toString('base64url');

describe('looksLikeBase64', () => {
  it.each([
    ['standard alphabet', std, true],
    ['url-safe alphabet', url, true],
    ['with line breaks', std.replace(/(.{76})/g, '$1\r\n'), true],
    ['data URL', `data:image/jpeg;base64,${std}`, true],
    ['short data URL', 'data:text/plain;base64,aGk=', true],
    ['too short', std.slice(0, 40), false],
    ['all hex (a digest)', fixedBytes(40, 'digest').toString('hex'), false],
    ['a plain word', 'supercalifragilisticexpialidocious'.repeat(3), false],
    ['letters only, mixed case', 'AbcdefGhijklMnopqrStuvwxYz'.repeat(3), false],
    ['spaces', `${std.slice(0, 40)} ${std.slice(40)}`, false],
    ['both alphabets mixed', `${std.slice(0, 60)}-_+/${std.slice(60)}`, false],
    ['padding in the middle', `${std.slice(0, 60)}==${std.slice(60)}`, false],
    ['json text', '{"a": "b", "c": [1, 2, 3], "deviceName": "my toy", "x": 1}', false],
  ])('%s → %s', (_n, s, want) => {
    expect(looksLikeBase64(s)).toBe(want);
  });

  it('uses the whole length when known, and the minimum from the caller', () => {
    expect(looksLikeBase64(std.slice(0, 80), { length: 40 })).toBe(false);
    expect(looksLikeBase64(std.slice(0, 32), { length: 1_000_000 })).toBe(true);
    expect(looksLikeBase64(std.slice(0, 20), { minChars: 16 })).toBe(true);
  });
});

describe('Base64Decoder', () => {
  it.each([
    ['standard, padded', payload.subarray(0, 100).toString('base64'), payload.subarray(0, 100)],
    ['url-safe, unpadded', payload.subarray(0, 101).toString('base64url'), payload.subarray(0, 101)],
    [
      'standard, padding dropped',
      payload.subarray(0, 101).toString('base64').replace(/=+$/, ''),
      payload.subarray(0, 101),
    ],
    [
      'MIME line breaks',
      payload
        .subarray(0, 200)
        .toString('base64')
        .replace(/(.{76})/g, '$1\r\n'),
      payload.subarray(0, 200),
    ],
    ['empty', '', Buffer.alloc(0)],
  ])('%s: same bytes at every split', (_n, s, want) => {
    for (const pieces of stringSplits(s)) {
      const r = decode(pieces);
      expect(r.codes).toEqual([]);
      expect(r.bytes.equals(want)).toBe(true);
    }
  });

  it('strips a data: URL prefix, even split, and exposes its MIME type', () => {
    const s = `data:image/png;name=x.png;base64,${payload.subarray(0, 64).toString('base64')}`;
    for (const pieces of stringSplits(s)) {
      const r = decode(pieces);
      expect(r.codes).toEqual([]);
      expect(r.mime).toBe('image/png');
      expect(r.bytes.equals(payload.subarray(0, 64))).toBe(true);
    }
    expect(decode(['ZGF0YTo=']).mime).toBeUndefined(); // "data:" itself, encoded
  });

  it.each([
    ['a foreign character', 'aGVsbG8gd29y!bGQ=', 'foreign'],
    ['a space', 'aGVs bG8=', 'foreign'],
    ['data after padding', 'aGk=aGk=', 'after padding'],
    ['a lone final character', 'aGVsbG8gd', 'single'],
    ['a data URL that is not base64', 'data:text/plain,hello', 'foreign'],
  ])('%s → bad-base64', (_n, s) => {
    for (const pieces of stringSplits(s)) expect(decode(pieces).codes).toEqual(['bad-base64']);
  });

  it('stops forwarding after a violation', () => {
    const r = decode(['aGVsbG8g', '!!', 'aGVsbG8g']);
    expect(r.bytes.toString()).toBe('hello ');
    expect(r.ended).toBe(1);
  });

  it('round-trips random bytes in random pieces, both alphabets', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 20 }),
        (bytes, urlSafe, cuts) => {
          const s = Buffer.from(bytes).toString(urlSafe ? 'base64url' : 'base64');
          const points = [...new Set(cuts.map((c) => c % (s.length + 1)))].sort((a, b) => a - b);
          const pieces = [0, ...points].map((p, i, all) => s.slice(p, all[i + 1] ?? s.length));
          const r = decode(pieces);
          expect(r.codes).toEqual([]);
          expect(r.bytes.equals(Buffer.from(bytes))).toBe(true);
        },
      ),
    );
  });

  it('fuzz: arbitrary strings never throw', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 50 }), { maxLength: 6 }), (pieces) => {
        const r = decode(pieces);
        expect(r.codes.length).toBeLessThanOrEqual(1);
        expect(r.ended).toBe(1);
      }),
      { numRuns: 500 },
    );
  });
});

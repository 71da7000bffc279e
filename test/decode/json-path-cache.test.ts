import { describe, expect, it } from 'vitest';
import { cacheKeyLength, keyAt, keyBytes, PATH_CACHE_WIDTH } from '../../src/decode/json-path-cache.ts';
import { JsonTokenizer } from '../../src/decode/json-tokens.ts';
import { resolveLimits } from '../../src/model/limits.ts';
import type { Token } from '../../src/model/token.ts';
import { everySplit, utf8 } from '../helpers/splits.ts';

const at = (slot: number, text: string, end = text.length) => {
  const bytes = utf8(text);
  return keyAt(slot, bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.length), 0, end);
};

describe('JSON path cache: keys on the bytes', () => {
  it('finds a kept key of any length followed by `":`, and nothing that differs in any one byte', () => {
    const slot = 11;
    for (let n = 0; n <= 32; n++) {
      const key = 'abcdefghijklmnopqrstuvwxyz012345'.slice(0, n);
      cacheKeyLength[slot] = keyBytes(key, slot, 64);
      expect(cacheKeyLength[slot]).toBe(n);
      expect(at(slot, `${key}":1`)).toBe(n);
      expect(at(slot, `${key}":`)).toBe(n);
      expect(at(slot, `${key}"`)).toBe(-1); // the chunk ends before the ':'
      expect(at(slot, `${key}" :1`)).toBe(-1);
      expect(at(slot, `${key}x":1`)).toBe(-1);
      for (let j = 0; j < n; j++) expect(at(slot, `${key.slice(0, j)}_${key.slice(j + 1)}":1`)).toBe(-1);
    }
  });

  it('keeps no key with a quote, a backslash, a control or a non-ASCII character, nor one past its bounds', () => {
    for (const key of ['a"b', 'a\\b', 'a\nb', 'é', 'x'.repeat(33)]) expect(keyBytes(key, 3, 64)).toBe(-1);
    expect(keyBytes('abcdef', 3, 5)).toBe(-1);
  });

  it('reads keys of every length the same at every split when each object repeats or changes them', () => {
    // Objects of one shape whose keys change in their first, middle or last byte from one object to the next.
    const keys = ['', 'a', 'ab', 'abc', 'abcd', 'abcdef', 'abcdefg', 'abcdefghijk', 'abcdefghijklmnopqrstuvwxyz'];
    const mutate = (k: string, j: number) => (k.length === 0 ? k : `${k.slice(0, j)}Z${k.slice(j + 1)}`);
    const objects = [0, -1, 0, 1, 0, 2].map((m) =>
      Object.fromEntries(keys.map((k, i) => [m < 0 ? k : mutate(k, Math.floor((k.length * m) / 2)), i])),
    );
    objects.splice(1, 1, Object.fromEntries(keys.map((k, i) => [k, i])));
    // Past PATH_CACHE_WIDTH elements every element's members share slots: each object meets the last one's keys.
    const text = JSON.stringify([...Array(PATH_CACHE_WIDTH).fill(0), ...objects]);
    const want = [
      ...Array.from({ length: PATH_CACHE_WIDTH }, (_, n) => [`$[${n}]`, '', '0']),
      ...objects.flatMap((o, i) => {
        const n = PATH_CACHE_WIDTH + i;
        return Object.entries(o).map(([k, v]) => [k === '' ? `$[${n}][""]` : `$[${n}].${k}`, k, String(v)]);
      }),
    ];
    for (const chunks of everySplit(utf8(text), text.length)) {
      const got: Token[] = [];
      const t = new JsonTokenizer((tok) => got.push(tok), { limits: resolveLimits({}), report() {} });
      for (const c of chunks) t.write(c);
      t.end();
      expect(got.map((tok) => [tok.path, tok.key, tok.value])).toEqual(want);
    }
  });
});

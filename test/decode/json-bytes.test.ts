import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWhitespace, nextWord, plainRun, skipPlainWords, wordsOf } from '../../src/decode/json-bytes.ts';

/** Not plain ASCII string content: `"`, `\`, a control or a non-ASCII byte. */
const special = (b: number): boolean => b === 0x22 || b === 0x5c || b < 0x20 || b >= 0x80;

describe('json-bytes', () => {
  it('ends a plain run at the first quote, backslash, control or non-ASCII byte', () => {
    const b = Buffer.from('abc"def');
    expect(plainRun(b, 0, b.length)).toBe(3);
    expect(plainRun(Buffer.from('ab\\c'), 0, 4)).toBe(2);
    expect(plainRun(Buffer.from('ab\nc'), 0, 4)).toBe(2);
    expect(plainRun(Buffer.from('abé'), 0, 4)).toBe(2);
    expect(plainRun(b, 4, b.length)).toBe(b.length);
    expect([0x20, 0x0a, 0x0d, 0x09, 0x41].map(isWhitespace)).toEqual([true, true, true, true, false]);
  });

  it('skips only whole aligned words of plain bytes, at any offset of the view', () => {
    const bytes = fc.array(fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0, max: 255 })), {
      minLength: 4,
      maxLength: 64,
    });
    fc.assert(
      fc.property(bytes, fc.nat(3), fc.nat(64), (arr, shift, from) => {
        const backing = new Uint8Array(arr.length + shift);
        backing.set(arr, shift);
        const buf = backing.subarray(shift);
        const words = wordsOf(buf); // the tokenizer makes words of runs longer than SWAR_AFTER only
        const i = Math.min(from, buf.length);
        const j = skipPlainWords(words, i, buf.length);
        // Unaligned: no move. Aligned: every byte skipped is plain, and it stops at a word boundary.
        if ((i - words.pad) % 4 !== 0 || i < words.pad) return j === i;
        for (let k = i; k < j; k++) if (special(buf[k]!)) return false;
        return j >= i && (j - words.pad) % 4 === 0 && j <= buf.length && nextWord(words, j) === j + 4;
      }),
      { numRuns: 2000 },
    );
  });
});

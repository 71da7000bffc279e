import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dateYear, decimalOf, macOf } from '../../../analyzers/lib/values.ts';

/** macOf as it was written with regex replaces: the reference for the hand-written fast path. */
function macRef(value: string, bare = false): string | undefined {
  const v = value.trim();
  let hex: string;
  if (v.length === 17 && /^([0-9a-f]{2})([:-])[0-9a-f]{2}(\2[0-9a-f]{2}){4}$/i.test(v)) hex = v.replace(/[:-]/g, '');
  else if (bare && v.length === 12 && /^[0-9a-f]{12}$/i.test(v) && /[a-f]/i.test(v) && /\d/.test(v)) hex = v;
  else return undefined;
  hex = hex.toLowerCase();
  if (hex === '000000000000' || hex === 'ffffffffffff') return undefined;
  return hex.replace(/(..)(?!$)/g, '$1:');
}

describe('values', () => {
  it('normalises MAC addresses to lower case with colons', () => {
    expect(macOf('A4-2B-B0-12-34-56')).toBe('a4:2b:b0:12:34:56');
    expect(macOf(' a4:2b:b0:12:34:56 ')).toBe('a4:2b:b0:12:34:56');
    expect(macOf('a4:2b-b0:12:34:56')).toBeUndefined();
    expect(macOf('FF:FF:FF:FF:FF:FF')).toBeUndefined();
    expect(macOf('a42bb0123456')).toBeUndefined();
    expect(macOf('a42bb0123456', true)).toBe('a4:2b:b0:12:34:56');
    const chars = fc.constantFrom('0', 'f', 'F', 'a', '9', ':', '-', ' ', 'g');
    fc.assert(
      fc.property(fc.array(chars, { minLength: 10, maxLength: 19 }), fc.boolean(), (a, bare) => {
        const s = a.join('');
        return macOf(s, bare) === macRef(s, bare);
      }),
      { numRuns: 20_000 },
    );
  });

  it('reads decimals and date years', () => {
    expect(decimalOf('39.990464')).toEqual({ x: 39.990464, decimals: 6 });
    expect(decimalOf('1')).toBeUndefined();
    expect(dateYear('2018-05-04')).toBe(2018);
    expect(dateYear('2018-13-04')).toBeUndefined();
  });
});

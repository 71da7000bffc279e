import { describe, expect, it } from 'vitest';
import { expandG711 } from '../../analyzers/lib/g711.ts';

const samples = (bytes: number[], law: 'pcmu' | 'pcma') => {
  const out = expandG711(Uint8Array.from(bytes), law);
  return Array.from({ length: bytes.length }, (_, i) => Buffer.from(out).readInt16LE(2 * i));
};

describe('expandG711', () => {
  it('decodes µ-law as G.711 does: silence, the extremes, a middle step', () => {
    // 0xFF and 0x7F are the two zeros; 0x00 and 0x80 the extremes (±32124); 0xEF is exponent 1, mantissa 0.
    expect(samples([0xff, 0x7f, 0x00, 0x80, 0xef, 0x6f], 'pcmu')).toEqual([0, 0, -32124, 32124, 132, -132]);
  });

  it('decodes A-law as G.711 does: the smallest steps and the extremes', () => {
    expect(samples([0xd5, 0x55, 0xaa, 0x2a, 0xc5], 'pcma')).toEqual([8, -8, 32256, -32256, 264]);
  });

  it('is monotonic over each law’s positive codes', () => {
    const ulawPositive = samples(
      Array.from({ length: 128 }, (_, i) => 0xff - i),
      'pcmu',
    );
    const alawPositive = samples(
      Array.from({ length: 128 }, (_, i) => (0x80 | i) ^ 0x55),
      'pcma',
    );
    for (const s of [ulawPositive, alawPositive])
      for (let i = 1; i < s.length; i++) expect(s[i]).toBeGreaterThan(s[i - 1]!);
  });
});

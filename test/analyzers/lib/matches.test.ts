import { describe, expect, it } from 'vitest';
import { matchesIn } from '../../../analyzers/lib/matches.ts';

describe('matchesIn', () => {
  it('finds what matchAll finds, with indexes and groups, and leaves lastIndex at 0', () => {
    const re = /(\d+)-(\d+)/g;
    const text = 'a 1-2 b 33-44 c 5-6';
    const got = matchesIn(re, text).map((m) => [m[0], m[1], m.index]);
    expect(got).toEqual([...text.matchAll(re)].map((m) => [m[0], m[1], m.index]));
    expect(re.lastIndex).toBe(0);
  });

  it('returns nothing for no match and steps over empty matches', () => {
    expect(matchesIn(/x/g, 'abc')).toEqual([]);
    expect(matchesIn(/b*/g, 'abc').map((m) => [m[0], m.index])).toEqual([
      ['', 0],
      ['b', 1],
      ['', 2],
      ['', 3],
    ]);
  });

  it('is not disturbed by a search left half-way by an earlier caller', () => {
    const re = /\d/g;
    re.exec('1 2 3');
    expect(matchesIn(re, '7 8').map((m) => m[0])).toEqual(['7', '8']);
  });
});

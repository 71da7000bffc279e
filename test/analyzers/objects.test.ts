import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ObjectTable } from '../../analyzers/lib/objects.ts';

describe('ObjectTable', () => {
  it('finds what was added, in any order of numbers, and takes no more than its bound', () => {
    const t = new ObjectTable<string>(2);
    t.add(5, 'five');
    t.add(2, 'two');
    expect([t.get(5), t.get(2), t.get(3), t.get(9)]).toEqual(['five', 'two', undefined, undefined]);
    expect(t.full).toBe(true);
    t.add(7, 'seven');
    expect(t.get(7)).toBeUndefined();
    expect([...t.values()]).toEqual(['five', 'two']);
  });

  it('answers as a bounded Map would', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(40))), fc.integer({ min: 1, max: 8 }), (ops, max) => {
        const t = new ObjectTable<number>(max);
        const m = new Map<number, number>();
        ops.forEach(([add, key], i) => {
          if (add && !m.has(key) && m.size < max) m.set(key, i);
          if (add && t.get(key) === undefined) t.add(key, i);
          expect(t.get(key)).toBe(m.get(key));
        });
        expect([...t.values()]).toEqual([...m.values()]);
      }),
    );
  });
});

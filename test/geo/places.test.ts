/** The estimate of a scan's place: weighted by 1/accuracy², with a radius covering the points' spread and accuracy. */
import { describe, expect, it } from 'vitest';
import { distanceM, estimate } from '../../src/geo/places.ts';

describe('estimate', () => {
  it('leans to the more accurate access point and covers both', () => {
    const a = { kind: 'access-point' as const, label: 'a', lat: 31.2305, lon: 121.4738, accuracyM: 10 };
    const b = { kind: 'access-point' as const, label: 'b', lat: 31.231, lon: 121.475, accuracyM: 40 };
    const e = estimate([a, b])!;
    expect(distanceM(e, a)).toBeLessThan(distanceM(e, b) / 10);
    expect(e.accuracyM).toBeGreaterThan(10);
    expect(e.accuracyM).toBeLessThan(distanceM(a, b) + 40);
  });

  it('is the point itself for one, with a default accuracy when the table gave none, and nothing for none', () => {
    expect(estimate([{ kind: 'cell', label: 'c', lat: 39.9, lon: 116.4 }])).toEqual({
      lat: 39.9,
      lon: 116.4,
      accuracyM: 1000,
    });
    expect(estimate([])).toBeUndefined();
  });

  it('measures metres between nearby places', () => {
    expect(distanceM({ lat: 0, lon: 0 }, { lat: 0.001, lon: 0 })).toBeCloseTo(111.2, 0);
  });
});

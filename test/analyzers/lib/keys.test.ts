import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arrayOf, classify, K, K2, lastKeyOf, objectKeyOf, parentOf } from '../../../analyzers/lib/keys.ts';

/** The regex forms these helpers had before they were written as loops: the reference they must match. */
function lastKeyRef(path: string): string {
  const p = path.replace(/(\[\d+\])+$/, '');
  const i = Math.max(p.lastIndexOf('.'), p.lastIndexOf('>'));
  return i >= 0 ? p.slice(i + 1).replace(/^\$\.?/, '') : '';
}
function parentRef(path: string): string {
  const i = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
  return i > 0 ? path.slice(0, i) : path;
}
const pathLike = fc
  .array(fc.constantFrom('$', '.', '>', '[', ']', '0', '7', 'a', 'wifi'), { maxLength: 16 })
  .map((a) => a.join(''));

describe('keys', () => {
  it('classifies keys by their normalised name, the same answer on a repeated call', () => {
    expect(classify('Wifi_Access-Points').a & K.WIFI_LIST).toBeTruthy();
    expect(classify('mac').a & K.MAC && classify('mac').a & K.BSSID).toBeTruthy();
    expect(classify('name').b).toBe(K2.NAME | 0);
    expect(classify('ts')).toEqual({ a: 0, b: 0 });
    expect(classify('')).toEqual({ a: 0, b: 0 });
    expect(classify('lat')).toBe(classify('lat'));
  });

  it('finds the last key and the parent of a path as the regex forms did', () => {
    expect(lastKeyOf('$.data.wifiAccessPoints[2]')).toBe('wifiAccessPoints');
    expect(lastKeyOf('$.payload>$.loc[0][1]')).toBe('loc');
    expect(lastKeyOf('$.payload>$')).toBe('');
    expect(parentOf('$.a.b[0].lat')).toBe('$.a.b[0]');
    expect(arrayOf(parentOf('$.wifi[3].bssid'))).toBe('$.wifi');
    fc.assert(
      fc.property(pathLike, (p) => lastKeyOf(p) === lastKeyRef(p) && parentOf(p) === parentRef(p)),
      { numRuns: 20_000 },
    );
  });

  it('gives `source|parent` per object, the same string while the parent stays', () => {
    const lat = objectKeyOf('json', '$.events[70].loc.lat');
    expect(lat).toBe('json|$.events[70].loc');
    expect(Object.is(objectKeyOf('json', '$.events[70].loc.lon'), lat)).toBe(true);
    expect(objectKeyOf('form', '$.events[70].loc.lon')).toBe('form|$.events[70].loc');
    expect(objectKeyOf('json', '$.events[71].loc.lat')).toBe('json|$.events[71].loc');
    expect(objectKeyOf('json', '$.events[7].loc.lat')).toBe('json|$.events[7].loc');
    expect(objectKeyOf('json', '$')).toBe('json|$');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('json', 'form'), pathLike)), (calls) =>
        calls.every(([s, p]) => objectKeyOf(s, p) === `${s}|${parentRef(p)}`),
      ),
    );
  });
});

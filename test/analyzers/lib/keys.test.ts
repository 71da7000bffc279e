import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arrayOf,
  classify,
  K,
  K2,
  keyOf,
  lastKeyOf,
  listOf,
  objectKeyOf,
  objectPathOf,
} from '../../../analyzers/lib/keys.ts';
import type { Token } from '../../../src/model/token.ts';

/** The regex forms these helpers had before they were written as loops: the reference they must match. */
function lastKeyRef(path: string): string {
  const p = path.replace(/(\[\d+\])+$/, '');
  const i = Math.max(p.lastIndexOf('.'), p.lastIndexOf('>'));
  return i >= 0 ? p.slice(i + 1).replace(/^\$\.?/, '') : '';
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

  it('finds the last key of a path as the regex form did, and the array holding an element', () => {
    expect(lastKeyOf('$.data.wifiAccessPoints[2]')).toBe('wifiAccessPoints');
    expect(lastKeyOf('$.payload>$.loc[0][1]')).toBe('loc');
    expect(lastKeyOf('$.payload>$')).toBe('');
    expect(arrayOf('$.wifi[3]')).toBe('$.wifi');
    expect(arrayOf('$.wifi')).toBeUndefined();
    fc.assert(
      fc.property(pathLike, (p) => lastKeyOf(p) === lastKeyRef(p)),
      { numRuns: 20_000 },
    );
  });

  it('takes an array element, or an XML element (XML repeats it for each member), as a member of a list', () => {
    const tok = (source: Token['source'], parent: string) => ({ source, parent, key: 'bssid' }) as Token;
    expect(listOf(tok('json', '$.wifi[3]'))).toBe('$.wifi');
    expect(listOf(tok('json', '$.wifi'))).toBeUndefined();
    expect(listOf(tok('xml', '$.scan.wifi.ap'))).toBe('$.scan.wifi.ap');
    expect(listOf(tok('xml', '$.plist.dict.aps[1]'))).toBe('$.plist.dict.aps');
    expect(listOf(tok('xml', '$'))).toBeUndefined(); // the document itself
    expect(listOf(tok('xml', 'body>$'))).toBeUndefined();
  });

  it("keys an object by its container's number, whatever its path or source", () => {
    const tok = (source: Token['source'], parent: string, container: number) =>
      ({ source, parent, key: 'x', container, outer: 0 }) as Token;
    expect(objectKeyOf(tok('json', '$.events[70].loc', 7))).toBe(7);
    // Two NDJSON lines (or a key given twice): one path, two containers.
    expect(objectKeyOf(tok('json', '$', 1))).not.toBe(objectKeyOf(tok('json', '$', 2)));
    expect(objectKeyOf(tok('form', '$', 3))).toBe(3);
  });

  it("names a wrapped property value by its wrapper and puts it in the wrapper's object (Alink, Tuya)", () => {
    const tok = (path: string, parent: string, key: string) =>
      ({ source: 'json', path, parent, key, container: 2, outer: 1 }) as Token;
    const age = tok('$.data.age.value', '$.data.age', 'value');
    expect([keyOf(age), objectPathOf(age), objectKeyOf(age)]).toEqual(['age', '$.data', 1]);
    const alink = tok('$.params.ChildName.value', '$.params.ChildName', 'Value');
    expect([keyOf(alink), objectPathOf(alink)]).toEqual(['ChildName', '$.params']);
    // Not wrappers: a top-level `value`, an array element's `value`, any other key.
    for (const t of [tok('$.value', '$', 'value'), tok('$.l[0].value', '$.l[0]', 'value'), tok('$.a.b', '$.a', 'b')]) {
      expect([keyOf(t), objectPathOf(t), objectKeyOf(t)]).toEqual([t.key, t.parent, 2]);
    }
  });
});

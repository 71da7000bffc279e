import { describe, expect, it } from 'vitest';
import { QuietValues } from '../../analyzers/lib/quiet-values.ts';
import { tok } from '../helpers/routing.ts';

describe('QuietValues', () => {
  it('takes whole JSON strings under their own key only', () => {
    expect(QuietValues.takes(tok({ key: 'imei', value: '862012345678901' }))).toBe(true);
    expect(QuietValues.takes(tok({ key: 'imei', kind: 'number', value: '862012345678901' }))).toBe(false);
    expect(QuietValues.takes(tok({ key: 'imei', value: '8620', more: true }))).toBe(false);
    expect(QuietValues.takes(tok({ key: 'imei', value: '1234', offset: 4 }))).toBe(false);
    expect(QuietValues.takes(tok({ key: 'value', value: '862012345678901' }))).toBe(false); // a wrapper's key names it
    expect(QuietValues.takes(tok({ source: 'form', key: 'imei', value: '862012345678901' }))).toBe(false);
  });

  it("knows a key's last few quiet values, and forgets them once past the bound", () => {
    const q = new QuietValues();
    q.keep(tok({ key: 'bssid', value: 'a' }));
    q.keep(tok({ key: 'bssid', value: 'b' }));
    expect(['a', 'b', 'c'].map((value) => q.has(tok({ key: 'bssid', value })))).toEqual([true, true, false]);
    expect(q.has(tok({ key: 'mac', value: 'a' }))).toBe(false);
    for (let i = 0; i < 7; i++) q.keep(tok({ key: 'bssid', value: `v${i}` }));
    // Eight kept: the ninth starts the key's list again.
    expect(['a', 'b', 'v6'].map((value) => q.has(tok({ key: 'bssid', value })))).toEqual([false, false, true]);
    for (let i = 0; i < 64; i++) q.keep(tok({ key: `k${i}`, value: 'x' }));
    expect(q.has(tok({ key: 'bssid', value: 'v6' }))).toBe(false);
    expect(q.has(tok({ key: 'k63', value: 'x' }))).toBe(true);
  });
});

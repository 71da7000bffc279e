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

  it("knows a key's last quiet value only, and forgets every key once full", () => {
    const q = new QuietValues();
    q.keep(tok({ key: 'mac', value: 'a' }));
    expect([q.has(tok({ key: 'mac', value: 'a' })), q.has(tok({ key: 'bssid', value: 'a' }))]).toEqual([true, false]);
    q.keep(tok({ key: 'mac', value: 'b' }));
    expect([q.has(tok({ key: 'mac', value: 'a' })), q.has(tok({ key: 'mac', value: 'b' }))]).toEqual([false, true]);
    for (let i = 0; i < 64; i++) q.keep(tok({ key: `k${i}`, value: 'x' }));
    expect(q.has(tok({ key: 'mac', value: 'b' }))).toBe(false);
    expect(q.has(tok({ key: 'k63', value: 'x' }))).toBe(true);
  });
});

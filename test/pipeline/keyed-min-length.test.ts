import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzers } from '../../analyzers/index.ts';
import type { Analyzer, TokenInterest } from '../../src/model/analyzer.ts';
import { TokenRouter } from '../../src/pipeline/token-router.ts';
import { FlowScript, play } from '../../testkit/playbook.ts';
import { replayCaptureDrained } from '../../testkit/replay.ts';
import { run } from '../analyzers/run.ts';
import { gist, tok } from '../helpers/routing.ts';

const analyzer = (name: string, tokens: TokenInterest): Analyzer => ({ name, wants: () => true, tokens });

describe('TokenRouter: keyedMinLength', () => {
  const router = new TokenRouter([
    analyzer('imei', { key: (k) => k === 'imei' || k === 'id', keyedMinLength: (k) => (k === 'imei' ? 14 : 0) }),
    analyzer('long', { key: (k) => k === 'imei', keyedMinLength: () => 3, minLength: 10 }),
  ]);
  const names = (mask: number) => ['imei', 'long'].filter((_, i) => mask & router.bitOf(i));

  it('drops the key bit of an analyzer a whole value is too short for, whatever its kind', () => {
    expect(names(router.route(tok({ key: 'imei', value: 'x' })))).toEqual([]);
    expect(names(router.route(tok({ key: 'imei', value: '123' })))).toEqual(['long']);
    expect(names(router.route(tok({ key: 'imei', value: '86201234567890' })))).toEqual(['imei', 'long']);
    expect(names(router.route(tok({ key: 'imei', kind: 'number', value: '1' })))).toEqual([]);
    expect(names(router.route(tok({ key: 'imei', kind: 'boolean', value: 'true' })))).toEqual(['long']);
    expect(names(router.route(tok({ key: 'id', value: '' })))).toEqual(['imei']); // 0: any value
  });

  it('still routes by a value clause, and never filters a piece of a long string', () => {
    expect(names(router.route(tok({ key: 'other', value: 'abcdefghij' })))).toEqual(['long']);
    expect(names(router.route(tok({ key: 'imei', value: 'x', more: true })))).toEqual(['imei', 'long']);
    expect(names(router.route(tok({ key: 'imei', value: 'x', offset: 65536 })))).toEqual(['imei', 'long']);
  });

  it('gives the same answer before the token is made (scalar literal length, ASCII bytes)', () => {
    const bytes = Buffer.from('x 123 86201234567890');
    expect(names(router.routeScalar('imei', 'json', 'number', 1))).toEqual([]);
    expect(names(router.routeScalar('imei', 'json', 'number', 15, 7))).toEqual(['imei', 'long']);
    expect(names(router.routeAscii('imei', 'json', bytes, 0, 1))).toEqual([]);
    expect(names(router.routeAscii('imei', 'json', bytes, 2, 5, 7))).toEqual(['long']);
    expect(names(router.routeAscii('imei', 'json', bytes, 6, 20, 7))).toEqual(['imei', 'long']);
  });

  it('takes every value for an analyzer whose keyedMinLength throws', () => {
    const r = new TokenRouter([
      analyzer('bad', {
        key: () => true,
        keyedMinLength: () => {
          throw new Error('bug');
        },
      }),
    ]);
    expect(r.route(tok({ value: '' }))).toBe(1);
  });
});

/** The registry without its pre-filters: every value under a key an analyzer reads reaches it. */
const unfiltered = analyzers.map((a): Analyzer => {
  if (!a.tokens?.keyedMinLength) return a;
  const { keyedMinLength: _, ...tokens } = a.tokens;
  return { ...a, tokens };
});

const findings = (list: readonly Analyzer[], body: string) =>
  run(list, { body, contentType: 'application/json', flow: { tls: 'none' } })
    .map(gist)
    .sort();

describe('the pre-filters change no finding', () => {
  it('declares pre-filters for identifiers, location and child-profile', () => {
    const declared = analyzers.filter((a) => a.tokens?.keyedMinLength).map((a) => a.name);
    expect(declared).toEqual(['location', 'identifiers', 'child-profile']);
    const min = (name: string, key: string) => analyzers.find((a) => a.name === name)?.tokens?.keyedMinLength?.(key);
    expect([min('identifiers', 'imei'), min('identifiers', 'mac'), min('identifiers', 'ssid')]).toEqual([14, 12, 1]);
    expect([min('location', 'lat'), min('location', 'bssid'), min('location', 'rssi')]).toEqual([5, 12, 1]);
    expect([min('child-profile', 'birthday'), min('child-profile', 'nickname'), min('child-profile', 'value')]).toEqual(
      [6, 1, 0],
    );
  });

  // The fixture corpus (every capture, its JSON bodies among the rest), replayed with and without the pre-filters.
  const root = join(import.meta.dirname, '../../fixtures');
  const captures = readdirSync(root)
    .map((d) => ['capture.pcap', 'capture.pcapng'].map((f) => join(root, d, f)).find((f) => existsSync(f)))
    .filter((f): f is string => f !== undefined);

  it.each(captures.map((f) => [f.slice(root.length + 1)]))('%s', async (name) => {
    const file = join(root, name);
    const filtered = (await replayCaptureDrained(file, analyzers)).out.findings.map(gist).sort();
    const every = (await replayCaptureDrained(file, unfiltered)).out.findings.map(gist).sort();
    expect(filtered).toEqual(every);
  });

  // Keys with a pre-filter and values on both sides of each minimum: a short value under a key must neither be
  // reported nor change what its object pairs with.
  const key = fc.constantFrom(
    ...['imei', 'imsi', 'iccid', 'mac', 'bssid', 'ssid', 'password', 'token', 'Authorization', 'sn', 'idfa'],
    ...['lat', 'lon', 'location', 'geohash', 'wifi', 'macs', 'bts', 'rssi', 'mcc', 'mnc', 'lac', 'cid'],
    ...['birthday', 'age', 'nickname', 'gender', 'value', 'name', 'x'],
  );
  const value = fc.oneof(
    fc.stringMatching(/^[0-9a-f:.,-]{0,20}$/),
    fc.stringMatching(/^\d{0,20}$/),
    fc.constantFrom(
      '',
      ' ',
      'x',
      '1.23',
      '1.234',
      '31.2304',
      '2018-5-4',
      '201856',
      'a4:2b:b0:12:34:56',
      'a42bb0123456',
    ),
    fc.constantFrom('460,0,1,1', '862012345678903', '89860112345678901234', 'wx4g0', 'home', 'eyJhbGciOiJIUzI1NiJ9'),
    fc.integer({ min: -200, max: 1e15 }),
    fc.double({ min: -180, max: 180, noNaN: true }),
    fc.boolean(),
    fc.constant(null),
  );
  const object = fc.dictionary(key, value, { minKeys: 1, maxKeys: 6 });
  // Values that pair within an object (a latitude with a longitude, a BSSID with a signal) at their minimums.
  const near = fc.constantFrom(
    '1.234',
    '-1.234',
    '1.23',
    '12.3456',
    '',
    'x',
    'a42bb0123456',
    'f09fc2aabbcc',
    'a4:2b:b0:12:34:5',
  );
  const pairs = fc.record({ lat: near, lon: near, bssid: near, rssi: fc.integer({ min: -99, max: 0 }) });
  const doc = fc.oneof(object, fc.record({ list: fc.array(fc.oneof(object, pairs), { maxLength: 4 }), loc: pairs }));

  it('gives the same findings with and without the pre-filters on generated values near the minimums', () => {
    fc.assert(
      fc.property(doc, (body) => {
        const text = JSON.stringify(body);
        expect(findings(analyzers, text)).toEqual(findings(unfiltered, text));
      }),
      { numRuns: 400 },
    );
  });

  it('counts the same tokens with and without the pre-filters', () => {
    fc.assert(
      fc.property(doc, (body) => {
        const events = new FlowScript()
          .message({ msgId: 0, headers: [['Content-Type', 'application/json']] }, JSON.stringify(body))
          .close().events;
        const tokens = (list: readonly Analyzer[]) => play(list, events).messages[0]?.summary?.tokens;
        expect(tokens(analyzers)).toEqual(tokens(unfiltered));
      }),
      { numRuns: 100 },
    );
  });
});

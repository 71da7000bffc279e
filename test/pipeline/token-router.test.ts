import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzers } from '../../analyzers/index.ts';
import type { Analyzer, TokenInterest } from '../../src/model/analyzer.ts';
import { MAX_ROUTED_ANALYZERS, TokenRouter } from '../../src/pipeline/token-router.ts';
import { FlowScript, play } from '../../testkit/playbook.ts';
import { replayCaptureDrained } from '../../testkit/replay.ts';
import { run } from '../analyzers/run.ts';
import { gist, tok } from '../helpers/routing.ts';

const analyzer = (name: string, tokens?: TokenInterest): Analyzer => ({
  name,
  wants: () => true,
  ...(tokens ? { tokens } : {}),
});

describe('TokenRouter', () => {
  const router = new TokenRouter([
    analyzer('all'),
    analyzer('keyed', { key: (k) => k === 'imei' }),
    analyzer('mail', { key: () => false, chars: '@' }),
    analyzer('digits', { key: () => false, minDigits: 11 }),
    analyzer('long', { key: () => false, minLength: 20 }),
    analyzer('elements', { key: () => false, elements: true }),
    analyzer('text', { key: () => false, sources: ['text'] }),
  ]);
  const names = (mask: number) =>
    ['all', 'keyed', 'mail', 'digits', 'long', 'elements', 'text'].filter((_, i) => mask & router.bitOf(i));

  it('routes a string given as text like its bytes, also when the value at its slot changes', () => {
    const values = ['a@b.cc', 'a@b.cc', 'tel 138 0013 8000', 'x'.repeat(20), 'x', 'a@b.cc'];
    for (const v of values) {
      const bytes = new TextEncoder().encode(v);
      for (const key of ['imei', 'other']) {
        expect(names(router.routeText(key, 'json', v, 3))).toEqual(
          names(router.routeAscii(key, 'json', bytes, 0, v.length, 3)),
        );
        expect(names(router.routeText(key, 'json', v, 3))).toEqual(names(router.route(tok({ key, value: v }))));
      }
    }
  });

  it('gives an analyzer without an interest bit 0 (every token), the others their index bit', () => {
    expect(router.bitOf(0)).toBe(0);
    expect(router.bitOf(1)).toBe(2);
    expect(router.bitOf(6)).toBe(64);
  });

  it('routes by key, characters, digits, length, elements and source', () => {
    expect(names(router.route(tok({ key: 'imei', value: '1' })))).toEqual(['keyed']);
    expect(names(router.route(tok({ value: 'a@b.cc' })))).toEqual(['mail']);
    expect(names(router.route(tok({ value: 'tel 138 0013 8000' })))).toEqual(['digits']);
    expect(names(router.route(tok({ value: '1380013800' })))).toEqual([]);
    expect(names(router.route(tok({ value: 'x'.repeat(20) })))).toEqual(['long']);
    expect(names(router.route(tok({ key: '', kind: 'number', value: '1.5' })))).toEqual(['elements']);
    expect(names(router.route(tok({ key: 'n', kind: 'number', value: '1.5' })))).toEqual([]);
    expect(names(router.route(tok({ source: 'text', key: '', value: 'hi' })))).toEqual(['text']);
    // Value clauses read strings only.
    expect(names(router.route(tok({ kind: 'number', value: '13800138000' })))).toEqual([]);
  });

  it('gives every piece of a streamed string to every analyzer with a value clause', () => {
    expect(names(router.route(tok({ value: 'plain', more: true })))).toEqual(['mail', 'digits', 'long']);
    expect(names(router.route(tok({ value: 'end', offset: 65536 })))).toEqual(['mail', 'digits', 'long']);
  });

  it('routes a string being decoded as base64 by key only', () => {
    expect(names(router.route(tok({ value: 'a@b.cc'.repeat(10) }), true))).toEqual([]);
    expect(names(router.route(tok({ key: 'imei', value: 'QUJD'.repeat(40) }), true))).toEqual(['keyed']);
  });

  it('in a pipeline, keeps base64 text from value scanners and gives them the decoded part', () => {
    const seen: string[] = [];
    const spy: Analyzer = {
      name: 'spy',
      wants: () => true,
      tokens: { key: () => false, minLength: 40 },
      open: () => ({
        token: (t) => void seen.push(`${t.path}=${t.value.slice(0, 12)}`),
        end() {},
      }),
    };
    const note = 'call mom at home after school, then dad at work';
    const encoded = Buffer.from(JSON.stringify({ note })).toString('base64'); // a long string, decoded as a part
    run([spy], { body: JSON.stringify({ note, blob: encoded }), contentType: 'application/json' });
    expect(seen).toEqual(['$.note=call mom at ', '$.blob>$.note=call mom at ']);
  });

  it("gives the token to an analyzer whose key test throws (its token() runs under the fan-out's guard)", () => {
    const r = new TokenRouter([
      analyzer('bad', {
        key: (k) => {
          if (k === 'boom') throw new Error('bug');
          return false;
        },
      }),
    ]);
    expect(r.route(tok({ key: 'boom' }))).toBe(1);
    expect(r.route(tok({ key: 'calm' }))).toBe(0);
  });

  it('asks each key once', () => {
    let asked = 0;
    const r = new TokenRouter([analyzer('k', { key: () => ++asked > 0 })]);
    for (const key of ['a', 'b', 'a', 'b', 'a']) r.route(tok({ key }));
    expect(asked).toBe(3); // '' at construction, then 'a' and 'b'
  });

  it('sends every token to analyzers past the mask width', () => {
    const many = Array.from({ length: MAX_ROUTED_ANALYZERS + 2 }, (_, i) => analyzer(`a${i}`, { key: () => false }));
    const r = new TokenRouter(many);
    expect(r.bitOf(MAX_ROUTED_ANALYZERS - 1)).not.toBe(0);
    expect(r.bitOf(MAX_ROUTED_ANALYZERS)).toBe(0);
  });
});

describe('routing changes no finding on the fixtures', () => {
  const root = join(import.meta.dirname, '../../fixtures');
  const captures = readdirSync(root)
    .map((d) => ['capture.pcap', 'capture.pcapng'].map((f) => join(root, d, f)).find((f) => existsSync(f)))
    .filter((f): f is string => f !== undefined);
  // The registry with its interests removed: every analyzer gets every token, as before routing.
  const unrouted = analyzers.map((a) => {
    const { tokens: _, ...rest } = a;
    return rest as Analyzer;
  });

  it.each(captures.map((f) => [f.slice(root.length + 1)]))('%s', async (name) => {
    const file = join(root, name);
    const routed = (await replayCaptureDrained(file, analyzers)).out.findings.map(gist).sort();
    const every = (await replayCaptureDrained(file, unrouted)).out.findings.map(gist).sort();
    expect(routed).toEqual(every);
  });
});

describe('routing changes no finding on generated telemetry', () => {
  const unrouted = analyzers.map((a) => {
    const { tokens: _, ...rest } = a;
    return rest as Analyzer;
  });
  // Keys the analyzers read (and some they do not), values shaped like what they look for (and near misses).
  const key = fc.constantFrom(
    ...['imei', 'IMEI', 'mac', 'bssid', 'ssid', 'password', 'lat', 'lon', 'latitude', 'lng', 'location', 'phone'],
    ...['mobile', 'email', 'name', 'nickname', 'childName', 'birthday', 'age', 'gender', 'school', 'class'],
    ...['avatar', 'value', 'Value', 'token', 'sn', 'iccid', 'imsi', 'mcc', 'mnc', 'lac', 'cid', 'wifi', 'macs'],
    ...['format', 'sample_rate', 'mom', '妈妈', 'note', 'ts', 'battery', 'data', 'params', 'image_type', 'x'],
  );
  const text = fc.string({
    unit: fc.constantFrom(...'0123456789 +-@.:$,;|abcBEGIN:VCARDWIFIeyJ'.split('')),
    maxLength: 40,
  });
  const value = fc.oneof(
    fc.stringMatching(/^\d{5,20}$/),
    fc.constantFrom('a4:2b:b0:12:34:56', 'f0-9f-c2-aa-bb-cc', '31.2304', '121.4737', '2018-05-04', 'Mimi', '男'),
    fc.constantFrom('13812345678', '+86 138 1234 5678', 'mom@example.com', '862012345678903', '8986011234567890123'),
    fc.constantFrom('$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47', 'WIFI:S:home;P:pw123;'),
    text,
    fc.integer({ min: -200, max: 200 }),
    fc.double({ min: -180, max: 180, noNaN: true }),
    fc.boolean(),
    fc.constant(null),
  );
  const { doc } = fc.letrec((tie) => ({
    doc: fc.oneof({ depthSize: 'small' }, value, tie('object'), tie('array')),
    object: fc.dictionary(key, tie('doc'), { maxKeys: 6 }),
    array: fc.array(tie('doc'), { maxLength: 4 }),
  }));

  it('counts the same tokens when the tokenizer makes only those some analyzer wants', () => {
    fc.assert(
      fc.property(fc.dictionary(key, doc, { minKeys: 1, maxKeys: 8 }), (body) => {
        const events = new FlowScript()
          .message({ msgId: 0, headers: [['Content-Type', 'application/json']] }, JSON.stringify(body))
          .close().events;
        const tokens = (list: readonly Analyzer[]) => play(list, events).messages[0]?.summary?.tokens;
        expect(tokens(analyzers)).toEqual(tokens(unrouted));
      }),
      { numRuns: 100 },
    );
  });

  it('gives the same findings with and without the interests', () => {
    fc.assert(
      fc.property(fc.dictionary(key, doc, { minKeys: 1, maxKeys: 8 }), (body) => {
        const u = { body: JSON.stringify(body), contentType: 'application/json', flow: { tls: 'none' as const } };
        const routed = run(analyzers, u).map(gist).sort();
        const every = run(unrouted, u).map(gist).sort();
        expect(routed).toEqual(every);
      }),
      { numRuns: 300 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { analyzers } from '../../analyzers/index.ts';
import { opensJsonDocument } from '../../src/pipeline/embedded-json.ts';
import { FlowScript, play } from '../../testkit/playbook.ts';

const personal = analyzers.filter((x) => x.name !== 'face');
const REPORT = '{"imei":"490154203237518","gps":{"lat":31.230416,"lng":121.473701}}';
const EXPECTED = (at: string) => [`identifiers/imei ${at}$.imei`, `location/coordinates ${at}$.gps`];

/** The findings (category/subtype path) and violation codes of one HTTP request. */
function request(url: string, contentType: string | undefined, body = '', more: [string, string][] = []) {
  const head = {
    msgId: 0,
    method: body ? 'POST' : 'GET',
    url,
    headers: [...(contentType ? ([['content-type', contentType]] as [string, string][]) : []), ...more],
  };
  const s = new FlowScript({ transport: 'http' }).message(head, Buffer.from(body));
  const out = play(personal, s.close().events);
  return {
    findings: out.findings.map((f) => `${f.category}/${f.subtype} ${f.path}`).sort(),
    violations: out.violations.map((v) => v.code),
  };
}

describe('opensJsonDocument', () => {
  it('takes the embedded scanner’s document start, `{"key":` or `[{"key":`, at the string’s beginning', () => {
    for (const s of ['{"a":1}', ' [ {"lat":1}]', '{\n  "a" : 1}', '{"a":', `{"${'k'.repeat(64)}":1}`]) {
      expect(opensJsonDocument(s)).toBe(true);
    }
    const not = [
      '{}',
      '{"":1}',
      '{"a\\"b":1}',
      '["a"]',
      'x{"a":1}',
      '{"a" 1}',
      `{"${'k'.repeat(65)}":1}`,
      '{"a\u0001":1}',
      '',
    ];
    for (const s of not) expect(opensJsonDocument(s)).toBe(false);
  });
});

describe('JSON carried as a string, through the pipeline', () => {
  it('reads a form field, a query parameter and a stringified value holding JSON at the string’s path', () => {
    const form = request('/r', 'application/x-www-form-urlencoded', `payload=${encodeURIComponent(REPORT)}&v=2`);
    expect(form.findings).toEqual(EXPECTED('$.payload>'));
    expect(request(`/r?data=${encodeURIComponent(REPORT)}`, undefined).findings).toEqual(EXPECTED('$.data>'));
    const doubled = request('/r', 'application/json', JSON.stringify({ id: 'TB-7101', payload: REPORT }));
    expect(doubled.findings).toEqual(EXPECTED('$.payload>'));
  });

  it('reads a header holding JSON, and one holding base64 JSON, at the header’s path', () => {
    const info = request('/ping', undefined, '', [['x-device-info', REPORT]]);
    expect(info.findings).toEqual(EXPECTED('$.x-device-info>'));
    const b64 = request('/ping', undefined, '', [['x-device-info', Buffer.from(REPORT).toString('base64')]]);
    expect(b64.findings).toEqual(EXPECTED('$.x-device-info>'));
  });

  it('decodes a query parameter holding base64 JSON (an analytics beacon’s `?data=`)', () => {
    const data = Buffer.from(REPORT).toString('base64');
    expect(request(`/track?data=${encodeURIComponent(data)}&ip=1`, undefined).findings).toEqual(EXPECTED('$.data>'));
  });

  it('reads a stringified document longer than one token piece, cut anywhere', () => {
    const long = JSON.stringify({ pad: 'x'.repeat(70_000), ...JSON.parse(REPORT) });
    const r = request('/r', 'application/json', JSON.stringify({ payload: long }));
    expect(r.findings).toEqual(EXPECTED('$.payload>'));
  });

  it('leaves a string that only looks like JSON at the start as a string: no finding from it, a violation', () => {
    const r = request('/r', 'application/json', JSON.stringify({ note: '{"a": tomorrow at 8' }));
    expect(r.findings).toEqual([]);
    expect(r.violations.length).toBeGreaterThan(0);
  });

  it('nests up to MAX_BASE64_NESTING deep (3), past it the string stays a value for the analyzers', () => {
    const wrap = (doc: string, times: number) => {
      let d = doc;
      for (let i = 0; i < times; i++) d = JSON.stringify({ payload: d });
      return d;
    };
    expect(request('/r', 'application/json', wrap(REPORT, 3)).findings).toEqual(
      EXPECTED('$.payload>$.payload>$.payload>'),
    );
    const deep = request('/r', 'application/json', wrap(REPORT, 6));
    expect(deep.findings.every((f) => f.split('>').length <= 4)).toBe(true);
  });
});

describe('JSON behind printable framing in a text part', () => {
  const sio = `42["report",${REPORT}]`;

  it('reads Socket.IO packets as WebSocket text, as a polling POST and with an acknowledgement id', () => {
    const ws = new FlowScript({ transport: 'websocket' }).message(
      { msgId: 0, protocol: 'websocket', headers: [], ws: { opcode: 1 } } as never,
      Buffer.from(sio),
    );
    expect(
      play(personal, ws.close().events)
        .findings.map((f) => `${f.category}/${f.subtype} ${f.path}`)
        .sort(),
    ).toEqual(EXPECTED('json@12>'));
    expect(request('/socket.io/?EIO=4&transport=polling', 'text/plain;charset=UTF-8', sio).findings).toEqual(
      EXPECTED('json@12>'),
    );
    const joined = `420["hello",{"t":1}]\x1e42["report",${REPORT}]`;
    expect(request('/socket.io/', 'text/plain;charset=UTF-8', joined).findings).toEqual(EXPECTED('json@33>'));
  });

  it('keeps text outside the JSON analysed as text', () => {
    const line = `mum.chen@example.com LOC ${REPORT}\n`;
    expect(request('/log', 'text/plain', line).findings).toEqual(['contacts/email $', ...EXPECTED('json@25>')]);
  });
});

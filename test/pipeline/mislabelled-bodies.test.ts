import { describe, expect, it } from 'vitest';
import { analyzers } from '../../analyzers/index.ts';
import { looksForm } from '../../src/decode/magic-checks.ts';
import { FlowScript, play } from '../../testkit/playbook.ts';

const personal = analyzers.filter((x) => x.name !== 'face');
const JSON_BODY = '{"imei":"490154203237518","gps":{"lat":31.230416,"lng":121.473701}}';
const FORM_BODY = 'imei=490154203237518&lat=31.230416&lng=121.473701';

/** The findings (category/subtype path) and violation codes of one POST declared `contentType`. */
function post(contentType: string, body: string) {
  const head = { msgId: 0, method: 'POST', url: '/r', headers: [['content-type', contentType]] as [string, string][] };
  const out = play(personal, new FlowScript({ transport: 'http' }).message(head, Buffer.from(body)).close().events);
  return {
    findings: out.findings.map((f) => `${f.category}/${f.subtype} ${f.path}`).sort(),
    violations: out.violations.map((v) => v.code),
  };
}

describe('looksForm', () => {
  it('takes `name=` then no space or control byte; not JSON, a text line or a binary frame', () => {
    for (const s of [FORM_BODY, 'a=', 'user%5Bname%5D=x&b=2', 'items[0]=1', `${'k'.repeat(64)}=1`]) {
      expect(looksForm(Buffer.from(s))).toBe(true);
    }
    for (const s of [JSON_BODY, '=1', 'a b=1', 'imei=1 2', 'LOC 31.2,121.4', `${'k'.repeat(65)}=1`, 'a=1\n', '']) {
      expect(looksForm(Buffer.from(s))).toBe(false);
    }
    expect(looksForm(Uint8Array.from([0x55, 0xaa, 0x3d, 0x01]))).toBe(false);
  });
});

describe('a body whose declared type names another format', () => {
  const asJson = ['identifiers/imei $.imei', 'location/coordinates $.gps'];

  it('reads plain JSON declared as a form, XML or HTML as JSON', () => {
    for (const type of [
      'application/x-www-form-urlencoded; charset=UTF-8',
      'text/xml',
      'application/xml',
      'text/html',
    ]) {
      expect(post(type, JSON_BODY)).toEqual({ findings: asJson, violations: [] });
    }
  });

  it('reads a urlencoded form declared JSON as a form', () => {
    expect(post('application/json', FORM_BODY)).toEqual({
      findings: ['identifiers/imei $.imei', 'location/coordinates $'],
      violations: [],
    });
  });

  it('keeps the declared type where the body fits it, or fits nothing else', () => {
    expect(post('application/x-www-form-urlencoded', FORM_BODY).findings).toEqual([
      'identifiers/imei $.imei',
      'location/coordinates $',
    ]);
    // Neither JSON nor a form: the JSON tokenizer says so, as before.
    expect(post('application/json', 'LOC 31.230416,121.473701').violations.length).toBeGreaterThan(0);
  });
});

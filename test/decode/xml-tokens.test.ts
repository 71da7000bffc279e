import { describe, expect, it } from 'vitest';
import { ContainerIds } from '../../src/decode/token-text.ts';
import { decodeEntities, MAX_TAG_CHARS, XmlTokenizer } from '../../src/decode/xml-tokens.ts';
import { type Limits, resolveLimits } from '../../src/model/limits.ts';
import type { Token } from '../../src/model/token.ts';
import type { ViolationInput } from '../../src/model/violation.ts';
import { everySplit, splitAt, utf8 } from '../helpers/splits.ts';

interface Run {
  tokens: Token[];
  violations: ViolationInput[];
}

function run(chunks: Uint8Array[] | string, limits: Partial<Limits> = {}): Run {
  const out: Run = { tokens: [], violations: [] };
  const t = new XmlTokenizer((tok) => out.tokens.push(tok), {
    limits: resolveLimits(limits),
    report: (v) => out.violations.push(v),
    ids: new ContainerIds(),
  });
  for (const c of typeof chunks === 'string' ? [utf8(chunks)] : chunks) t.write(c);
  t.end();
  return out;
}

const brief = (r: Run) => r.tokens.map((t) => [t.path, t.key, t.kind, t.value]);

const SOAP = `<?xml version="1.0" encoding="UTF-8"?>
<!-- a device report -->
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">
  <soap:Body>
    <Report device="toy-7">
      <imei>490154203237518</imei>
      <latitude>39.990464</latitude><longitude>116.481488</longitude>
      <child><name>Mia &amp; Leo</name><note><![CDATA[<b>likes</b> & dinosaurs]]></note></child>
      <pos lat="22.5431" lon='114.0579'/>
    </Report>
  </soap:Body>
</soap:Envelope>`;

describe('XmlTokenizer', () => {
  it('makes element text and attributes keyed tokens, members of one element sharing its container', () => {
    const r = run(SOAP);
    expect(r.violations).toEqual([]);
    expect(brief(r)).toEqual([
      ['$.Envelope.Body.Report.device', 'device', 'string', 'toy-7'],
      ['$.Envelope.Body.Report.imei', 'imei', 'string', '490154203237518'],
      ['$.Envelope.Body.Report.latitude', 'latitude', 'string', '39.990464'],
      ['$.Envelope.Body.Report.longitude', 'longitude', 'string', '116.481488'],
      ['$.Envelope.Body.Report.child.name', 'name', 'string', 'Mia & Leo'],
      ['$.Envelope.Body.Report.child.note', 'note', 'string', '<b>likes</b> & dinosaurs'],
      ['$.Envelope.Body.Report.pos.lat', 'lat', 'string', '22.5431'],
      ['$.Envelope.Body.Report.pos.lon', 'lon', 'string', '114.0579'],
    ]);
    const [device, imei, lat, lon, name, , posLat, posLon] = r.tokens;
    expect(new Set([device, imei, lat, lon].map((t) => t?.container)).size).toBe(1);
    expect(lat?.parent).toBe('$.Envelope.Body.Report');
    expect(name?.container).not.toBe(lat?.container);
    expect(name?.outer).toBe(lat?.container);
    expect(posLat?.container).toBe(posLon?.container);
    expect(posLat?.parent).toBe('$.Envelope.Body.Report.pos');
  });

  it('gives the same tokens at every split of the bytes', () => {
    const whole = brief(run(SOAP));
    for (const chunks of everySplit(utf8(SOAP))) expect(brief(run(chunks))).toEqual(whole);
  });

  it("names a property list's values by their keys, with numbers, booleans and arrays", () => {
    const plist = `<?xml version="1.0"?><!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "x">
<plist version="1.0"><dict>
  <key>latitude</key><real>39.990464</real>
  <key>longitude</key><real>116.481488</real>
  <key>consent</key><false/>
  <key>parents</key><array><dict><key>phone</key><string>+8613812345678</string></dict></array>
</dict></plist>`;
    expect(brief(run(plist))).toEqual([
      ['$.plist.version', 'version', 'string', '1.0'],
      ['$.plist.dict.latitude', 'latitude', 'number', '39.990464'],
      ['$.plist.dict.longitude', 'longitude', 'number', '116.481488'],
      ['$.plist.dict.consent', 'consent', 'boolean', 'false'],
      ['$.plist.dict.parents[0].phone', 'phone', 'string', '+8613812345678'],
    ]);
  });

  it('streams long text in pieces and decodes entities across chunks', () => {
    const long = 'x'.repeat(2500);
    const r = run(`<a><photo>  ${long}&amp;</photo></a>`, { MAX_TOKEN_BYTES: 1000 });
    expect(r.tokens.map((t) => [t.offset, t.more, t.value.length])).toEqual([
      [0, true, 1000],
      [1000, true, 1000],
      [2000, false, 501],
    ]);
    expect(r.tokens.at(-1)?.value.endsWith('x&')).toBe(true);
    expect(decodeEntities('&lt;&#233;&#xE9;&unknown;&amp;')).toBe('<éé&unknown;&');
  });

  it('streams a long CDATA section whatever its size, cut anywhere', () => {
    const payload = 'QUJD'.repeat(50_000); // 200,000 characters of base64, past MAX_TAG_CHARS
    const doc = `<up><photo><![CDATA[${payload}]]></photo><n>Mia</n></up>`;
    const join = (r: Run) =>
      r.tokens
        .filter((t) => t.key === 'photo')
        .map((t) => t.value)
        .join('');
    const bytes = utf8(doc);
    const close = doc.indexOf(']]>');
    // Whole; in 7,000-byte chunks; cut inside the opening `<![CDATA[` and at every offset of the closing `]]>`.
    const sized = Array.from({ length: Math.ceil(bytes.length / 7000) }, (_, i) =>
      bytes.subarray(i * 7000, (i + 1) * 7000),
    );
    const cuts = [[bytes], sized, splitAt(bytes, [15, 1000, close, close + 1, close + 2, close + 3])];
    for (const chunks of cuts) {
      const r = run(chunks, { MAX_TOKEN_BYTES: 64 * 1024 });
      expect(r.violations).toEqual([]);
      expect(join(r)).toBe(payload);
      expect(r.tokens.at(-1)?.value).toBe('Mia');
    }
  });

  it('reads no DTD entity and stops once on malformed input', () => {
    const bomb = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><x><v>&b;</v></x>';
    expect(brief(run(bomb))).toEqual([['$.x.v', 'v', 'string', '&b;']]);
    const bad = run('<a><b>1</c><d>2</d></a>');
    expect(bad.violations.map((v) => [v.decoder, v.code])).toEqual([['xml', 'mismatched-tag']]);
    expect(bad.tokens).toEqual([]);
    expect(run('<a><b>1</b>').violations.map((v) => v.code)).toEqual(['truncated']);
    expect(run(`<a ${'x'.repeat(MAX_TAG_CHARS + 10)}`).violations.map((v) => v.code)).toEqual(['tag-too-long']);
    const deep = run(`${'<a>'.repeat(70)}1${'</a>'.repeat(70)}`, { MAX_JSON_DEPTH: 64 });
    expect(deep.violations.map((v) => v.code)).toEqual(['too-deep']);
  });
});

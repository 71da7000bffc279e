import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildComplianceReport, type ComplianceReport } from '../../src/report/compliance.ts';
import { csvField, renderComplianceCsv } from '../../src/report/compliance-csv.ts';
import { renderComplianceHtml, STYLE_SHA256 } from '../../src/report/compliance-html.ts';
import { openStore } from '../../src/store/db.ts';
import type { Store } from '../../src/store/types.ts';
import { finding, flowRecord, MAC, T0, tempDir } from '../../testkit/records.ts';

let t: ReturnType<typeof tempDir>;
let store: Store;
beforeEach(() => {
  t = tempDir();
  store = openStore(join(t.dir, 'toyscope.db'));
});
afterEach(() => {
  store.close();
  t.cleanup();
});

const report = (over: Partial<Parameters<typeof buildComplianceReport>[0]> = {}): ComplianceReport =>
  buildComplianceReport({
    store,
    device: store.listDevices()[0]!,
    firstPartyKnown: true,
    custody: { toyscopeVersion: '0.0.0', generatedAt: T0, timeZone: 'UTC' },
    ...over,
  });
const verdict = (r: ComplianceReport, n: number) => r.principles[n - 1]!.verdict;

describe('compliance verdicts', () => {
  it('reads "not observed", never "pass", when most upload bytes could not be read', () => {
    const w = store.writer();
    w.flow(flowRecord({ id: 'a', tls: 'intercepted', bytesUp: 100 }));
    w.flow(flowRecord({ id: 'b', tls: 'opaque', bytesUp: 9000 })); // pinned app: unreadable
    w.finding(finding({ id: 'cert', flowId: 'a', category: 'tls', subtype: 'device-accepted-forged-cert' }));
    w.flush();
    const r = report();
    expect(r.coverage.visibleUpShare).toBeCloseTo(100 / 9100);
    for (const n of [2, 3, 6]) expect(verdict(r, n)).toBe('not-observed');
    expect(r.principles[3]!.checks.map((c) => c.rule)).toEqual(['p4-no-plaintext', 'p4-forged-cert-accepted']);
    expect(verdict(r, 4)).toBe('violation'); // it accepted a forged certificate on flow a
  });

  it('passes what the policy declares, and flags what it does not', () => {
    const w = store.writer();
    w.flow(flowRecord({ id: 'a', tls: 'device-rejected-cert' }));
    w.flow(flowRecord({ id: 'b', tls: 'decrypted' }));
    w.finding(finding({ id: 'cert', flowId: 'a', category: 'tls', subtype: 'device-rejected-cert' }));
    w.finding(finding({ id: 'v', flowId: 'b' }));
    w.finding(
      finding({
        id: 'l',
        flowId: 'b',
        category: 'location',
        subtype: 'wifi-scan',
        destination: { host: 'apilocate.amap.com', etld1: 'amap.com', operator: 'Amap', thirdParty: true },
      }),
    );
    w.flush();
    const policy = {
      version: 1 as const,
      declared: {
        categories: ['voice' as const],
        thirdParties: [{ operator: 'SpeechCo', categories: ['voice' as const] }],
      },
      rules: [],
    };
    const r = report({ policy });
    expect(verdict(r, 2)).toBe('violation'); // location, undeclared
    expect(verdict(r, 3)).toBe('violation');
    expect(verdict(r, 4)).toBe('pass'); // encrypted, and it rejected the forged certificate
    const p6 = r.principles[5]!.checks[0]!;
    expect(p6).toMatchObject({ rule: 'p6-undeclared-recipient', verdict: 'violation', count: 1 });
    expect(p6.items[0]).toMatchObject({ operator: 'Amap', host: 'apilocate.amap.com', findingIds: ['l'] });
    expect(verdict(r, 5)).toBe('not-observed'); // no consent-off experiment
  });

  it('judges principle 5 on the "consent off" window only', () => {
    const w = store.writer();
    w.flow(flowRecord({ id: 'a', tls: 'intercepted' }));
    w.finding(finding({ id: 'early', flowId: 'a', firstTs: T0 + 10 }));
    w.finding(finding({ id: 'late', flowId: 'a', firstTs: T0 + 900 }));
    w.flush();
    store.startExperiment({ name: 'consent on', startTs: T0, endTs: T0 + 100 });
    store.startExperiment({ name: '同意关闭 consent off', startTs: T0 + 500, endTs: T0 + 1000, deviceId: MAC });
    const p5 = report().principles[4]!.checks[0]!;
    expect(p5).toMatchObject({ rule: 'p5-flows-without-consent', verdict: 'violation', count: 1 });
    expect(p5.items[0]!.findingIds).toEqual(['late']);
  });
});

describe('rendering', () => {
  it('escapes captured text in HTML and allows only its own style sheet', () => {
    const w = store.writer();
    const host = '<img src=x onerror=alert(1)>.example';
    w.flow(flowRecord({ id: 'a', tls: 'none', destination: { host, etld1: host, thirdParty: true } }));
    w.finding(
      finding({ id: '"><script>alert(2)</script>', flowId: 'a', destination: { host, etld1: host, thirdParty: true } }),
    );
    w.flush();
    const html = renderComplianceHtml(report(), 'en');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;.example');
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    const { createHash } = require('node:crypto') as typeof import('node:crypto');
    expect(STYLE_SHA256).toBe(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
  });

  it('calls a destination first party only when first-party hosts were configured', () => {
    const w = store.writer();
    w.flow(flowRecord({ id: 'a', tls: 'none' }));
    w.finding(finding({ id: 'v', flowId: 'a' })); // destination thirdParty: false
    w.flush();
    const known = renderComplianceHtml(report(), 'en');
    expect(known).toContain('<td>first party</td>');
    const unknown = report({ firstPartyKnown: false });
    expect(unknown.firstPartyKnown).toBe(false);
    const html = renderComplianceHtml(unknown, 'en');
    expect(html).not.toContain('<td>first party</td>');
    expect(html).toContain('<td>unknown (no first party configured)</td>');
    expect(html).toContain('p6-parties-unknown');
    const rows = renderComplianceCsv(unknown, 'en').split('\r\n');
    const header = rows[0]!.replace('\ufeff', '').split(',');
    const item = rows.find((r) => r.includes(',v'))!.split(',');
    expect(item[header.indexOf('third_party')]).toBe('');
  });

  it('neutralises spreadsheet formulas in CSV', () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvField('-1+1')).toBe("'-1+1");
    expect(csvField('a,b')).toBe('"a,b"');
    const w = store.writer();
    w.flow(flowRecord({ id: 'a' }));
    w.flush();
    expect(renderComplianceCsv(report(), 'zh-CN').split('\r\n').length).toBeGreaterThan(8);
  });
});

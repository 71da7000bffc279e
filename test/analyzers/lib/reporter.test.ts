import { describe, expect, it } from 'vitest';
import { Reporter } from '../../../analyzers/lib/reporter.ts';
import type { AnalyzerContext, ReportInput } from '../../../src/model/analyzer.ts';

/** A quarter of the run's MAX_FINDINGS_PER_MESSAGE (40 here: a configured limit, not the default). */
const MAX_REPORTS_PER_ANALYZER = 10;

function reporter(): { out: Reporter; sent: ReportInput[] } {
  const sent: ReportInput[] = [];
  const limits = { MAX_FINDINGS_PER_MESSAGE: 4 * MAX_REPORTS_PER_ANALYZER };
  const ctx = { report: (f: ReportInput) => sent.push(f), limits } as unknown as AnalyzerContext;
  return { out: new Reporter(ctx, 'identifiers'), sent };
}

describe('Reporter', () => {
  it('reports each (subtype, excerpt) once and says when a value is fresh', () => {
    const { out, sent } = reporter();
    expect(out.fresh('imei', '1')).toBe(true);
    expect(out.report({ subtype: 'imei', confidence: 1, excerpt: '1' })).toBeUndefined();
    expect(out.fresh('imei', '1')).toBe(false);
    expect(out.fresh('mac-address', '1')).toBe(true);
    expect(out.report({ subtype: 'imei', confidence: 1, excerpt: '1' })).toBeUndefined();
    out.report({ subtype: 'mac-address', confidence: 1, excerpt: '1' });
    expect(sent.map((f) => [f.category, f.subtype, f.excerpt])).toEqual([
      ['identifiers', 'imei', '1'],
      ['identifiers', 'mac-address', '1'],
    ]);
  });

  it("says 'done' once the budget is spent, and every value is then fresh (report must be called to hear it)", () => {
    const { out, sent } = reporter();
    let last: unknown;
    for (let i = 0; i < MAX_REPORTS_PER_ANALYZER; i++)
      last = out.report({ subtype: 'x', confidence: 1, excerpt: `${i}` });
    expect(last).toBe('done');
    expect(out.full).toBe(true);
    expect(out.fresh('x', '0')).toBe(true);
    expect(out.report({ subtype: 'x', confidence: 1, excerpt: 'new' })).toBe('done');
    expect(sent).toHaveLength(MAX_REPORTS_PER_ANALYZER);
  });
});

/**
 * The detection-quality gate: the eval harness over every fixture must stay above eval/thresholds.json, so a
 * detection regression fails `npm test`.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzers } from '../analyzers/index.ts';
import { loadThresholds } from '../eval/run.ts';
import { checkThresholds, evaluate, type Tally } from '../eval/score.ts';

describe('eval', () => {
  it('holds every category above its thresholds, with no finding on negatives', async () => {
    const report = await evaluate(join(import.meta.dirname, '../fixtures'), analyzers);
    expect(report.cases.length).toBeGreaterThan(10);
    expect(checkThresholds(report, loadThresholds())).toEqual([]);
    expect(report.categories.voice?.recall).toBeGreaterThanOrEqual(0.95);
  });

  it('counts a wrong subtype as a confusion, a miss and a false positive', async () => {
    const { Tally: T, scoreCase } = await import('../eval/score.ts');
    const tally: Tally = new T();
    const found = [{ category: 'voice', subtype: 'mp3', destination: { host: 'h' }, flowId: 'f' }];
    const expected = {
      exhaustive: true,
      flows: [],
      findings: [{ count: 1, match: { category: 'voice', subtype: 'wav' } }],
    };
    const res = scoreCase('c', expected, found as never, tally);
    expect(res.problems.length).toBe(2);
    const r = tally.result();
    expect(r.confusion['voice/wav']).toEqual({ 'voice/mp3': 1 });
    expect(r.categories.voice).toMatchObject({ tp: 0, fp: 1, fn: 1, precision: 0, recall: 0 });
  });
});

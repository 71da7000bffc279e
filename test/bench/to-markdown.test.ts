import { describe, expect, it } from 'vitest';
import { parseFigures, toMarkdown } from '../../bench/to-markdown.ts';

const run = [
  '# pipeline.bench.ts',
  '{"bench":"pipeline","corpus":"json","mb_per_s":60,"reference_mb_per_s":11000,"ratio":0.0055}',
  '{"bench":"pipeline","corpus":"all","peak_rss_mib":175.2}',
  'npm warn something',
  '{"bench":"replay","corpus":"mixed","stage":"vs-tshark","reference":"tshark a|b","ratio":4.3,"goal_ratio":1}',
  '{"bench":"replay","corpus":"mixed","stage":"replay+store","peak_rss_mib":320,"goal_peak_rss_mib":300}',
  '{"bench":"store","corpus":"findings-insert","rows_per_s":120000,"goal_rows_per_s":50000}',
  '{"bench":"analyzers","corpus":"telemetry","set":"all","mb_per_s":53.3,"ratio_to_json_parse":0.33,"goal_ratio_to_json_parse":0.5}',
  '{"bench":"trunc',
].join('\n');

describe('to-markdown', () => {
  it('keeps only whole figures', () => {
    expect(parseFigures(run).map((f) => f.bench)).toEqual([
      'pipeline',
      'pipeline',
      'replay',
      'replay',
      'store',
      'analyzers',
    ]);
  });

  it('makes one table per bench with the union of its keys', () => {
    const md = toMarkdown(parseFigures(run), new Date('2025-01-02T00:00:00Z'));
    expect(md).toContain('on 2025-01-02');
    expect(md).toContain('## pipeline');
    expect(md).toContain('| corpus | mb_per_s | reference_mb_per_s | ratio | peak_rss_mib |');
    expect(md).toContain('| json | 60 | 11,000 | 0.0055 |  |');
    expect(md).toContain('| all |  |  |  | 175.2 |');
    expect(md).toContain('tshark a\\|b');
  });

  it('says which goals are met', () => {
    const md = toMarkdown(parseFigures(run));
    expect(md).toContain('- met: replay mixed vs-tshark vs tshark a|b: ratio 4.3 (goal ≥ 1)');
    expect(md).toContain('- **not met**: replay mixed replay+store: peak RSS MiB 320 (goal ≤ 300)');
    expect(md).toContain('- met: store findings-insert: rows/s 120000 (goal ≥ 50000)');
    expect(md).toContain('- **not met**: analyzers telemetry all: ratio to JSON.parse 0.33 (goal ≥ 0.5)');
  });
});

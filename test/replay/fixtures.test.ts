/**
 * One test per fixtures/<case>/: the capture replays through the real pipeline with the registered analyzers,
 * and its flows, findings and violations satisfy expected.json (partial matches; exhaustive cases allow no extra
 * finding or anomaly; `bounded` violations are required, never exhaustive).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzers } from '../../analyzers/index.ts';
import { captureOf } from '../../eval/score.ts';
import { anomaliesOf, checkExpected, type Expected, replayCaptureDrained } from '../../testkit/replay.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures');
const cases = readdirSync(FIXTURES).filter((d) => existsSync(join(FIXTURES, d, 'expected.json')));

describe('fixture replay', () => {
  it('has fixtures', () => expect(cases.length).toBeGreaterThan(5));

  for (const name of cases) {
    it(name, async () => {
      const dir = join(FIXTURES, name);
      const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
      const { out } = await replayCaptureDrained(captureOf(dir), analyzers);
      const flows = [...out.flows.values()].map((f) => ({ ...f, host: f.server.host ?? f.server.ip }));
      const problems = [
        ...checkExpected(flows, expected.flows, false, 'flow'),
        ...checkExpected(out.findings, expected.findings, expected.exhaustive, 'finding'),
        ...checkExpected(anomaliesOf(out), expected.violations ?? [], expected.exhaustive, 'anomaly'),
        ...checkExpected(out.violations, expected.bounded ?? [], false, 'bounded violation'),
      ];
      expect(problems).toEqual([]);
      expect(flows.every((f) => f.closed)).toBe(true);
    });
  }
});

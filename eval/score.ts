/**
 * Detection-quality scoring: replays every fixtures/<case> through the pipeline with the registered analyzers and
 * scores the findings against each case's expected.json (DESIGN.md fixture contract), and the anomaly violations
 * (`anomaly-*`: read one way of several) as category `anomaly` against its `violations`. Per category and subtype it
 * counts true positives, false positives and false negatives, and builds a confusion table (expected subtype vs
 * found subtype). It does not print or exit: eval/run.ts does, and test/eval.test.ts calls it directly.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Analyzer } from '../src/model/analyzer.ts';
import type { Finding } from '../src/model/finding.ts';
import { ANOMALY_CODE_PREFIX } from '../src/model/violation.ts';
import {
  type AnomalyItem,
  anomaliesOf,
  type ExpectEntry,
  type Expected,
  matches,
  replayCaptureDrained,
} from '../testkit/replay.ts';
import type { FaceThresholds } from './face.ts';

/** The label for "nothing" in the confusion table: no expected entry, or no finding. */
export const NONE = '(none)';

/** Counts for one category or one category/subtype. */
export interface Counts {
  tp: number;
  fp: number;
  fn: number;
}

/** Scores with precision and recall (1 when the denominator is 0: nothing to find and nothing found wrongly). */
export interface Score extends Counts {
  precision: number;
  recall: number;
}

/** What one case gave. */
export interface CaseResult {
  name: string;
  exhaustive: boolean;
  /** Findings the case produced (category/subtype pairs). */
  found: string[];
  /** Those of them that expected.json did not ask for (false positives). */
  unexpected: string[];
  /** Why the case does not match expected.json (wrong counts, unexpected findings). */
  problems: string[];
}

export interface EvalReport {
  cases: CaseResult[];
  /** Keyed by category. */
  categories: Record<string, Score>;
  /** Keyed by `category/subtype`. */
  subtypes: Record<string, Score>;
  /** `confusion[expected][found]` = count, labels `category/subtype` or NONE. */
  confusion: Record<string, Record<string, number>>;
}

/** Every fixtures/<case> folder that holds an expected.json and a capture, in name order. */
export function fixtureCases(fixturesDir: string): string[] {
  return readdirSync(fixturesDir)
    .filter((d) => existsSync(join(fixturesDir, d, 'expected.json')))
    .sort();
}

export function captureOf(dir: string): string {
  const name = readdirSync(dir).find((f) => /^capture\.(pcap|pcapng|har|flows)$/.test(f));
  if (!name) throw new Error(`${dir}: no capture.pcap, .pcapng, .har or .flows`);
  return join(dir, name);
}

/** Replays each case (deferred work drained) and scores it. */
export async function evaluate(
  fixturesDir: string,
  analyzers: readonly Analyzer[],
  only?: readonly string[],
): Promise<EvalReport> {
  const tally = new Tally();
  const cases: CaseResult[] = [];
  for (const name of fixtureCases(fixturesDir)) {
    if (only && only.length > 0 && !only.includes(name)) continue;
    const dir = join(fixturesDir, name);
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
    const { out } = await replayCaptureDrained(captureOf(dir), analyzers);
    const anomalies = anomaliesOf(out).map(anomalyItem);
    const anomalyEntries = (expected.violations ?? []).map(anomalyEntry);
    cases.push(
      scoreCase(
        name,
        { ...expected, findings: [...expected.findings, ...anomalyEntries] },
        [...out.findings, ...anomalies],
        tally,
      ),
    );
  }
  return { cases, ...tally.result() };
}

/** Scores one case's findings against its expected entries, adding to `tally`. */
export function scoreCase(name: string, expected: Expected, findings: Finding[], tally: Tally): CaseResult {
  const problems: string[] = [];
  const used = new Set<Finding>();
  const missing: Array<{ label: string; category: string }> = [];
  const overCount: Finding[] = [];
  for (const e of expected.findings) {
    const hits = findings.filter((f) => !used.has(f) && matches(f, e.match));
    const label = labelOfEntry(e);
    const take = hits.slice(0, e.count);
    for (const f of take) {
      used.add(f);
      tally.add(label, labelOf(f), 'tp');
    }
    for (let i = take.length; i < e.count; i++) missing.push({ label, category: categoryOf(label) });
    if (hits.length !== e.count) {
      problems.push(`${JSON.stringify(e.match)}: expected ${e.count}, got ${hits.length}`);
    }
    // Matches past the expected count are false positives even in a non-exhaustive case.
    for (const f of hits.slice(e.count)) {
      used.add(f);
      overCount.push(f);
      tally.add(NONE, labelOf(f), 'fp');
    }
  }
  const extra = expected.exhaustive ? findings.filter((f) => !used.has(f)) : [];
  const unexpected = [...overCount, ...extra].map(labelOf);
  for (const f of extra) {
    problems.push(`unexpected ${labelOf(f)} on ${f.destination.host} (${f.path ?? f.flowId})`);
    // An extra finding in the category of a missed entry is that entry found with the wrong subtype.
    const i = missing.findIndex((m) => m.category === f.category);
    if (i >= 0) {
      const [m] = missing.splice(i, 1);
      tally.confuse(m!.label, labelOf(f));
    } else tally.add(NONE, labelOf(f), 'fp');
  }
  for (const m of missing) tally.add(m.label, NONE, 'fn');
  return { name, exhaustive: expected.exhaustive, found: findings.map(labelOf), unexpected, problems };
}

/**
 * An anomaly violation scored like a finding: category `anomaly`, subtype its code without the prefix, and the
 * violation's own fields (so an entry may match on `code`, `msgId` …).
 */
function anomalyItem(v: AnomalyItem): Finding {
  const subtype = v.code.slice(ANOMALY_CODE_PREFIX.length);
  return { ...v, category: 'anomaly', subtype, destination: { host: v.host ?? '' } } as unknown as Finding;
}

/** An expected.json `violations` entry (`{"code": "anomaly-cl-te"}`) as a finding entry of category `anomaly`. */
function anomalyEntry(e: ExpectEntry): ExpectEntry {
  const code = String(e.match.code ?? '');
  const subtype = code.startsWith(ANOMALY_CODE_PREFIX) ? code.slice(ANOMALY_CODE_PREFIX.length) : undefined;
  return { count: e.count, match: { category: 'anomaly', ...(subtype ? { subtype } : {}), ...e.match } };
}

function labelOf(f: Finding): string {
  return `${f.category}/${f.subtype}`;
}
function labelOfEntry(e: ExpectEntry): string {
  const m = e.match;
  return `${String(m.category ?? '*')}/${String(m.subtype ?? '*')}`;
}
function categoryOf(label: string): string {
  return label.slice(0, label.indexOf('/'));
}

/** Accumulates counts and the confusion table over cases. */
export class Tally {
  readonly #cats = new Map<string, Counts>();
  readonly #subs = new Map<string, Counts>();
  readonly #confusion = new Map<string, Map<string, number>>();

  /** One outcome: a hit (expected = found), a false positive (expected NONE) or a miss (found NONE). */
  add(expected: string, found: string, kind: keyof Counts): void {
    const label = kind === 'fp' ? found : expected;
    this.#count(label, kind);
    this.#cell(expected, found);
  }

  /** A wrong subtype: a miss of the expected one and a false positive of the found one. */
  confuse(expected: string, found: string): void {
    this.#count(expected, 'fn');
    this.#count(found, 'fp');
    this.#cell(expected, found);
  }

  result(): Pick<EvalReport, 'categories' | 'subtypes' | 'confusion'> {
    const scores = (m: Map<string, Counts>) =>
      Object.fromEntries([...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, c]) => [k, score(c)]));
    const confusion: Record<string, Record<string, number>> = {};
    for (const [row, cols] of [...this.#confusion.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      confusion[row] = Object.fromEntries(cols);
    }
    return { categories: scores(this.#cats), subtypes: scores(this.#subs), confusion };
  }

  #count(label: string, kind: keyof Counts): void {
    for (const [map, key] of [
      [this.#cats, categoryOf(label)],
      [this.#subs, label],
    ] as const) {
      const c = map.get(key) ?? { tp: 0, fp: 0, fn: 0 };
      c[kind]++;
      map.set(key, c);
    }
  }

  #cell(expected: string, found: string): void {
    const row = this.#confusion.get(expected) ?? new Map<string, number>();
    row.set(found, (row.get(found) ?? 0) + 1);
    this.#confusion.set(expected, row);
  }
}

export function score(c: Counts): Score {
  const precision = c.tp + c.fp === 0 ? 1 : c.tp / (c.tp + c.fp);
  const recall = c.tp + c.fn === 0 ? 1 : c.tp / (c.tp + c.fn);
  return { ...c, precision, recall };
}

/** eval/thresholds.json: per category, the floors `npm run eval` (and `npm test`) hold the analyzers to. */
export interface Thresholds {
  /** Category → minimum precision and recall. Categories not listed are printed but not gated. */
  categories: Record<string, { precision: number; recall: number }>;
  /**
   * Case-name prefix of negative cases (`neg-`): no unexpected finding of a gated category may come out of them
   * (what their expected.json asks for, e.g. an opaque-upload of random bytes, is not a false alarm).
   */
  negativePrefix: string;
  /** Floors for the face detector on fixtures/face-corpus (eval/face.ts). */
  faceCorpus?: FaceThresholds;
}

/** Why the report falls under the thresholds (empty = pass). */
export function checkThresholds(report: EvalReport, t: Thresholds): string[] {
  const problems: string[] = [];
  for (const [cat, floor] of Object.entries(t.categories)) {
    const s = report.categories[cat];
    if (!s) continue;
    if (s.precision < floor.precision) problems.push(`${cat}: precision ${fmt(s.precision)} < ${floor.precision}`);
    if (s.recall < floor.recall) problems.push(`${cat}: recall ${fmt(s.recall)} < ${floor.recall}`);
  }
  for (const c of report.cases) {
    if (!c.name.startsWith(t.negativePrefix)) continue;
    const bad = c.unexpected.filter((l) => categoryOf(l) in t.categories);
    if (bad.length > 0) problems.push(`${c.name}: negative case gave ${bad.join(', ')}`);
  }
  return problems;
}

export function fmt(x: number): string {
  return x.toFixed(3);
}

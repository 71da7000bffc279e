/**
 * `npm run eval [--json] [case…]`: replays every fixture (or the named ones) with the registered analyzers and
 * prints per category and per subtype TP/FP/FN, precision and recall, the confusion table and each case that
 * does not match its expected.json. Exits 1 when a category falls under eval/thresholds.json or a negative case
 * gives a finding, 0 otherwise. Then scores the face detector on fixtures/face-corpus (eval/face.ts). `--json` prints the whole report and the threshold problems as one JSON object.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzers } from '../analyzers/index.ts';
import { checkFaceThresholds, evaluateFaces, printFaceReport } from './face.ts';
import { checkThresholds, type EvalReport, evaluate, fmt, NONE, type Score, type Thresholds } from './score.ts';

const here = import.meta.dirname;

export function loadThresholds(file = join(here, 'thresholds.json')): Thresholds {
  return JSON.parse(readFileSync(file, 'utf8')) as Thresholds;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
    .join('\n');
}

function scoreRows(title: string, scores: Record<string, Score>): string {
  const rows = [[title, 'TP', 'FP', 'FN', 'precision', 'recall']];
  for (const [k, s] of Object.entries(scores)) {
    rows.push([k, String(s.tp), String(s.fp), String(s.fn), fmt(s.precision), fmt(s.recall)]);
  }
  return table(rows);
}

/** The confusion table: one row per expected label, one column per found label. */
export function confusionTable(confusion: EvalReport['confusion']): string {
  const cols = [...new Set(Object.values(confusion).flatMap((r) => Object.keys(r)))].sort((a, b) =>
    a === NONE ? 1 : b === NONE ? -1 : a.localeCompare(b),
  );
  if (cols.length === 0) return '(no findings expected or made)';
  const rows = [['expected \\ found', ...cols]];
  for (const [row, cells] of Object.entries(confusion)) rows.push([row, ...cols.map((c) => String(cells[c] ?? '.'))]);
  return table(rows);
}

export function printReport(report: EvalReport, problems: string[]): string {
  const out = [
    scoreRows('category', report.categories),
    '',
    scoreRows('subtype', report.subtypes),
    '',
    confusionTable(report.confusion),
    '',
  ];
  const failing = report.cases.filter((c) => c.problems.length > 0);
  out.push(`${report.cases.length} cases, ${failing.length} not as expected`);
  for (const c of failing) for (const p of c.problems) out.push(`  ${c.name}: ${p}`);
  out.push(problems.length === 0 ? 'thresholds: pass' : `thresholds: FAIL\n  ${problems.join('\n  ')}`);
  return out.join('\n');
}

const isMain = process.argv[1] !== undefined && import.meta.filename === process.argv[1];
if (isMain) {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const only = args.filter((a) => !a.startsWith('--'));
  const thresholds = loadThresholds();
  const report = await evaluate(join(here, '../fixtures'), analyzers, only);
  const problems = checkThresholds(report, thresholds);
  // The face detector on fixtures/face-corpus, unless only some cases were named (name `face-corpus` to run it).
  const face = only.length === 0 || only.includes('face-corpus') ? await evaluateFaces() : undefined;
  const faceProblems = face && thresholds.faceCorpus ? checkFaceThresholds(face, thresholds.faceCorpus) : [];
  problems.push(...faceProblems);
  process.stdout.write(
    json
      ? `${JSON.stringify({ ...report, face, problems }, null, 2)}\n`
      : `${printReport(report, problems)}\n${face ? `\n${printFaceReport(face)}\n` : ''}`,
  );
  process.exitCode = problems.length === 0 ? 0 : 1;
}

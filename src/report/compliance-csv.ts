/**
 * The compliance report as CSV: one row per piece of evidence of each check (a check with none has one row), with
 * the principle, its verdict, the rule and its sentence in the chosen language. Cells that a spreadsheet would
 * run as a formula (=, +, -, @ first) are prefixed with an apostrophe; captured text is attacker-controlled.
 */
import type { ComplianceReport } from './compliance.ts';
import { fill, type Lang, PRINCIPLES, RULES, VERDICTS } from './compliance-text.ts';

const HEADER = [
  'principle',
  'principle_title',
  'principle_verdict',
  'rule',
  'check_verdict',
  'statement',
  'category',
  'subtype',
  'host',
  'operator',
  'country',
  'third_party',
  'encrypted',
  'count',
  'finding_ids',
];

/** One CSV field: quoted when needed, formula triggers neutralised. */
export function csvField(v: unknown): string {
  let s = v === undefined || v === null ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderComplianceCsv(r: ComplianceReport, lang: Lang): string {
  const rows: unknown[][] = [HEADER];
  for (const p of r.principles) {
    const head = [p.number, PRINCIPLES[p.number]![lang], VERDICTS[p.verdict][lang]];
    if (p.checks.length === 0) rows.push([...head, '', '', '', '', '', '', '', '', '', '', '', '']);
    for (const c of p.checks) {
      const statement = fill((RULES[c.rule] ?? { 'zh-CN': c.rule, en: c.rule })[lang], { count: c.count, ...c.params });
      const check = [...head, c.rule, VERDICTS[c.verdict][lang], statement];
      if (c.items.length === 0) rows.push([...check, '', '', '', '', '', '', '', c.count, '']);
      for (const i of c.items) {
        rows.push([
          ...check,
          i.category,
          i.subtype,
          i.host,
          i.operator,
          i.country,
          // Empty when no first-party host was configured: not third party is then not first party either.
          i.thirdParty || r.firstPartyKnown ? i.thirdParty : '',
          i.encrypted,
          i.count,
          i.findingIds.join(' '),
        ]);
      }
    }
  }
  return `\ufeff${rows.map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}

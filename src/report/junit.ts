/**
 * JUnit XML for the policy gate: one <testsuite> per device (or one named "policy"), one <testcase> per rule,
 * passing ones included so a clean run never reads "0 tests", and one <failure> per violation carrying the
 * redacted excerpt, category/subtype, destination, flow id and evidence id. What the run could not look at
 * (capture parts skipped, work shed under load) is a suite named "coverage" with one <skipped> test case each, so
 * a CI view shows it next to the verdict. Every string is escaped and stripped of what XML 1.0 cannot carry:
 * captured content is attacker-controlled. It does not write files.
 */
import type { Finding } from '../model/finding.ts';
import type { PolicyResult, PolicyViolation } from '../policy.ts';
import type { ShedEntry, SkippedEntry } from './coverage.ts';

/** One suite: a device (by display name) and the policy result over its findings. */
export interface JunitSuite {
  name: string;
  result: PolicyResult;
}

/** What the run could not look at (see src/report/coverage.ts). */
export interface JunitCoverage {
  skipped: SkippedEntry[];
  shed: ShedEntry[];
}

/** The XML document; `reveal` prints evidence values instead of redacted excerpts. */
export function buildJunit(suites: JunitSuite[], opts: { reveal: boolean; coverage?: JunitCoverage }): string {
  const notes = coverageNotes(opts.coverage);
  const total = suites.reduce((n, s) => n + s.result.rules.length, 0) + notes.length;
  const failed = suites.reduce((n, s) => n + s.result.rules.filter((r) => r.violations.length > 0).length, 0);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="toyscope policy" tests="${total}" failures="${failed}" errors="0" skipped="${notes.length}">`,
  ];
  for (const s of suites) {
    const fails = s.result.rules.filter((r) => r.violations.length > 0).length;
    out.push(
      `  <testsuite name="${attr(s.name)}" tests="${s.result.rules.length}" failures="${fails}" errors="0" skipped="0">`,
    );
    for (const r of s.result.rules) {
      const name = attr(`${r.id}: ${r.title}`);
      const head = `    <testcase classname="${attr(`toyscope.policy.${s.name}`)}" name="${name}" assertions="${r.checked}"`;
      if (r.violations.length === 0) {
        out.push(`${head}/>`);
        continue;
      }
      out.push(`${head}>`);
      for (const v of r.violations) out.push(failure(v, opts.reveal));
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  if (notes.length > 0) {
    out.push(`  <testsuite name="coverage" tests="${notes.length}" failures="0" errors="0" skipped="${notes.length}">`);
    for (const [name, message] of notes) {
      out.push(
        `    <testcase classname="toyscope.coverage" name="${attr(name)}"><skipped message="${attr(message)}"/></testcase>`,
      );
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}

/** [test case name, message] per capture part skipped and per kind of work shed. */
function coverageNotes(c: JunitCoverage | undefined): Array<[string, string]> {
  if (!c) return [];
  return [
    ...c.skipped.map((e): [string, string] => [
      `skipped: ${e.reason} (${e.file})`,
      `${e.count} part${e.count === 1 ? '' : 's'} of ${e.file} not understood: ${e.reason}`,
    ]),
    ...c.shed.map((e): [string, string] => [
      `shed: ${e.category} ${e.reason}`,
      `${e.count} not analyzed (${e.category}): shed under load by the live proxy (${e.reason})`,
    ]),
  ];
}

function failure(v: PolicyViolation, reveal: boolean): string {
  const f = v.finding;
  const body = [
    v.reason,
    `category: ${f.category}/${f.subtype}`,
    `destination: ${destination(f, v.thirdParty)}`,
    `encrypted: ${f.encrypted}`,
    `flow: ${f.flowId}${f.msgId !== undefined ? ` message ${f.msgId}` : ''}`,
    `evidence: ${f.evidence.evidenceId ?? '(none kept)'}`,
    `excerpt: ${reveal && f.evidence.value !== undefined ? f.evidence.value : f.evidence.excerpt}`,
    `device: ${f.deviceId}`,
    `finding: ${f.id}`,
  ].join('\n');
  return `      <failure message="${attr(v.reason)}" type="${attr(`${f.category}/${f.subtype}`)}">${text(body)}</failure>`;
}

/** The host, first or third party as the policy judged it (the same word the reason uses), and its operator. */
function destination(f: Finding, thirdParty: boolean): string {
  const d = f.destination;
  const who = [thirdParty ? 'third party' : 'first party', d.operator].filter(Boolean).join(', ');
  return `${d.host} (${who})`;
}

/**
 * Characters XML 1.0 cannot carry (C0 controls but tab/LF/CR, U+FFFE/U+FFFF, lone surrogates) made visible as
 * `\xNN` / U+FFFD; paired surrogates (emoji) are kept.
 */
export function xmlSafe(s: string): string {
  return s.replace(
    /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    (c) =>
      c.length === 1 && c.charCodeAt(0) < 0x20 ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : '\ufffd',
  );
}

/** Escaped for element content. */
export function text(s: string): string {
  return xmlSafe(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escaped for a double-quoted attribute (line breaks and tabs kept as character references). */
export function attr(s: string): string {
  return text(s)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

/**
 * `toyscope policy check`: evaluates a policy file against the findings in the database, one suite per device,
 * prints a verdict per rule (or the --json document) and optionally writes JUnit XML. Exit 0 clean, 1 violations,
 * 2 bad input. It does not replay captures; `replay --policy` (next issue) reuses `checkStoredPolicy`.
 */
import { writeFileSync } from 'node:fs';
import { deviceName } from '../../config.ts';
import { InputError, systemReason } from '../../errors.ts';
import type { Finding } from '../../model/finding.ts';
import { evaluatePolicy, loadPolicy, type Policy, type PolicyViolation } from '../../policy.ts';
import { coverageLines, type ShedEntry, shedOf, skippedOf } from '../../report/coverage.ts';
import { buildJsonDocument } from '../../report/json.ts';
import { buildJunit, type JunitSuite } from '../../report/junit.ts';
import type { Store } from '../../store/types.ts';
import { type Command, flag, type Globals, parseCommandArgs, str } from '../command.ts';
import { EXIT, oneLine, UsageError } from '../errors.ts';
import { cell, plural } from '../format.ts';
import { openExistingStore, readAllFindings } from '../store-access.ts';

const USAGE = `Usage: toyscope policy check [--policy FILE] [options]

Checks the findings stored in the database against a privacy policy (docs/policy.md): for each
device, the rules that fail are listed with every finding that breaks them and why (passing rules
too with --verbose). Use it as a CI gate after 'toyscope replay'. Excerpts are redacted unless --reveal.

Options:
  --policy FILE  the policy (YAML or JSON); default: 'policy' in toyscope.yaml
  --junit FILE   also write JUnit XML (one test suite per device, one test case per rule)
  --json         print the JSON document (docs/cli.md) instead of the summary
  --reveal       unmasked values in the output and JUnit (do not use in CI logs)
  --verbose      also list the rules that passed, per device
  -h, --help     show this help
Global options: --data-dir DIR, --config FILE, --db FILE (see 'toyscope --help').

Examples:
  toyscope policy check --policy examples/policy.yaml
  toyscope --db ci.db policy check --policy teddy-policy.yaml --junit reports/policy.xml

Exit codes: 0 no violations, 1 violations found, 2 bad arguments, policy, configuration or database.`;

export const policy: Command = {
  name: 'policy',
  usage: USAGE,

  async run(argv, g) {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === '-h' || sub === '--help') {
      if (sub === undefined) throw new UsageError("missing subcommand: 'toyscope policy check'", 'policy');
      g.io.out(`${USAGE}\n`);
      return EXIT.ok;
    }
    if (sub !== 'check') throw new UsageError(`unknown subcommand 'policy ${sub}' (expected 'check')`, 'policy');
    const p = parseCommandArgs('policy check', rest, {
      policy: { type: 'string' },
      junit: { type: 'string' },
      json: { type: 'boolean' },
      reveal: { type: 'boolean' },
      verbose: { type: 'boolean' },
    });
    if (p.help) {
      g.io.out(`${USAGE}\n`);
      return EXIT.ok;
    }
    const file = str(p, 'policy') ?? g.config().policy;
    if (!file) throw new UsageError('--policy FILE is required (or set policy: in toyscope.yaml)', 'policy check');
    const pol = loadPolicy(file);
    const store = await openExistingStore(g);
    if (!store) throw new InputError(`no database at ${g.dbFile}: replay a capture first, or pass --db FILE`);
    try {
      const reveal = flag(p, 'reveal');
      const findings = readAllFindings(store);
      const suites = checkStoredPolicy(pol, findings, g);
      const violations = suites.flatMap((s) => s.result.violations);
      const junit = str(p, 'junit');
      // What was never looked at (skipped capture parts, work shed live) is said next to the verdict.
      const coverage = { skipped: skippedOf(store.listCaptures()), shed: shedOf(findings) };
      if (junit) writeJunit(junit, buildJunit(suites, { reveal, coverage }));
      if (flag(p, 'json'))
        g.io.out(`${JSON.stringify(jsonDocument(store, violations, coverage.shed, reveal), null, 2)}\n`);
      else {
        g.io.out(summary(suites, file, reveal, flag(p, 'verbose')));
        for (const line of coverageLines(coverage.skipped, coverage.shed)) g.io.out(`${line}\n`);
      }
      return violations.length > 0 ? EXIT.violations : EXIT.ok;
    } finally {
      store.close();
    }
  },
};

/** Evaluates a policy per device (one JUnit suite each); no findings at all gives one suite named "policy". */
export function checkStoredPolicy(pol: Policy, all: Finding[], g: Globals): JunitSuite[] {
  const config = g.config();
  const byDevice = new Map<string, Finding[]>();
  for (const f of all) {
    const list = byDevice.get(f.deviceId);
    if (list) list.push(f);
    else byDevice.set(f.deviceId, [f]);
  }
  if (byDevice.size === 0) return [{ name: 'policy', result: evaluatePolicy(pol, [], { config }) }];
  return [...byDevice].map(([id, list]) => ({
    name: deviceName(config, id),
    result: evaluatePolicy(pol, list, { config }),
  }));
}

export function writeJunit(file: string, xml: string): void {
  try {
    writeFileSync(file, xml);
  } catch (err) {
    throw new InputError(`cannot write ${file}: ${systemReason(err)}`);
  }
}

function jsonDocument(store: Store, violations: PolicyViolation[], shed: ShedEntry[], reveal: boolean) {
  const ids = new Set(violations.map((v) => v.finding.flowId));
  const captures = store.listCaptures();
  return buildJsonDocument(
    {
      captures,
      devices: store.listDevices(),
      flows: store.listFlows({ limit: 100_000 }).filter((f) => ids.has(f.id)),
      findings: violations.map((v) => v.finding).filter((f, i, a) => a.findIndex((x) => x.id === f.id) === i),
      violations,
      skipped: skippedOf(captures),
      shed,
    },
    { reveal },
  );
}

/**
 * Per device, each failing rule with every violation under it (whole reasons: they are the verdict), passing
 * rules only when `verbose`, and a total line. Excerpts redacted unless `reveal`.
 */
function summary(suites: JunitSuite[], file: string, reveal: boolean, verbose: boolean): string {
  const lines: string[] = [];
  let failed = 0;
  let passed = 0;
  for (const s of suites) {
    const shown = s.result.rules.filter((r) => verbose || r.violations.length > 0);
    passed += s.result.rules.length - s.result.rules.filter((r) => r.violations.length > 0).length;
    if (shown.length === 0) continue;
    lines.push(`${cell(s.name, 40)}:`);
    for (const r of shown) {
      const bad = r.violations.length > 0;
      if (bad) failed++;
      lines.push(`  ${bad ? 'FAIL' : 'pass'}  ${cell(r.id, 40)}  ${oneLine(r.title)}  (${r.checked} checked)`);
      for (const v of r.violations) {
        const ev = v.finding.evidence;
        const excerpt = reveal && ev.value !== undefined ? ev.value : ev.excerpt;
        lines.push(`        ${oneLine(v.reason)}  [finding ${cell(v.finding.id, 40)}: ${cell(excerpt, 40)}]`);
      }
    }
  }
  const total = suites.reduce((n, s) => n + s.result.violations.length, 0);
  const hidden = verbose || passed === 0 ? '' : ` (${plural(passed, 'passing rule check')} not listed: --verbose)`;
  lines.push(
    total === 0
      ? `Policy ${file}: passed${hidden}.`
      : `Policy ${file}: ${plural(total, 'violation')} in ${plural(failed, 'failing rule')}${hidden}.`,
  );
  return `${lines.join('\n')}\n`;
}

/**
 * The policy gate: a device's declared privacy behaviour (YAML or JSON, schema in policy-schema.ts, explained in
 * docs/policy.md) checked against stored findings. Pure: it reads a policy file and evaluates findings; it does
 * not open the store, print, or write JUnit (report/junit.ts).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { type Config, isFirstParty, matchHost, parseYaml } from './config.ts';
import { ConfigError, systemReason } from './errors.ts';
import { ajv } from './lazy-packages.ts';
import { type Category, type Finding, isPersonal } from './model/finding.ts';
import { policySchema } from './policy-schema.ts';

/** Where a rule lets a category go. */
export type Allow = 'first-party' | 'third-party' | 'any' | 'none';

export interface PolicyRule {
  /** Names the rule in output and JUnit; default `rule-<n>` (1-based). */
  id?: string;
  category: Category | '*';
  /** Only findings of this subtype match. */
  subtype?: string;
  allow: Allow;
  /** The data may go only to these hosts (globs), on top of `allow`. */
  hosts?: string[];
  /** The data must travel inside TLS. */
  encrypted?: true;
  description?: string;
}

/** A third party the manufacturer declares sharing data with, and which categories. */
export interface DeclaredThirdParty {
  host?: string;
  operator?: string;
  categories: (Category | '*')[];
  purpose?: string;
}

export interface Policy {
  version: 1;
  firstParty?: string[];
  declared?: { thirdParties?: DeclaredThirdParty[]; categories?: Category[] };
  rules: PolicyRule[];
}

/** One finding that broke a rule, and why (safe to print: no captured values). */
export interface PolicyViolation {
  ruleId: string;
  finding: Finding;
  reason: string;
  /**
   * Whether the policy judged the destination a third party (its `firstParty` plus toyscope.yaml's), which is
   * what the reason says; `finding.destination.thirdParty` knew only toyscope.yaml when the finding was made.
   */
  thirdParty: boolean;
}

/** A rule (or the built-in declared-categories check, which has no `rule`) and what it saw. */
export interface RuleResult {
  id: string;
  /** The rule's description, else a one-line summary of it. */
  title: string;
  rule?: PolicyRule;
  /** Findings this rule was the first match for. */
  checked: number;
  violations: PolicyViolation[];
}

export interface PolicyResult {
  rules: RuleResult[];
  violations: PolicyViolation[];
  passed: boolean;
}

/** What evaluation needs besides the policy: the configuration, for its first-party hosts. */
export interface PolicyContext {
  config: Config;
}

export const DECLARED_CATEGORIES_ID = 'declared-categories';

let validator: ValidateFunction | undefined;
/** The schema compiled on first use (`anyOf: [{required: [host]}, …]` is why strictRequired is off). */
const validatePolicy = (): ValidateFunction =>
  (validator ??= new (ajv().Ajv)({ allErrors: false, strict: true, strictRequired: false }).compile(policySchema));

/** Reads a YAML or JSON policy file; throws ConfigError naming the file and key path. */
export function loadPolicy(file: string): Policy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read policy: ${systemReason(err)}`);
  }
  return parsePolicy(text, basename(file));
}

/** Parses and validates policy text (YAML is a superset of JSON). */
export function parsePolicy(text: string, label: string): Policy {
  const raw = parseYaml(text, label);
  const validate = validatePolicy();
  if (!validate(raw)) throw new ConfigError(`${label}: ${ajvMessage(validate.errors ?? [])}`);
  const policy = raw as unknown as Policy;
  const seen = new Set<string>();
  policy.rules.forEach((r, i) => {
    const id = ruleId(r, i);
    if (seen.has(id)) throw new ConfigError(`${label}: rules[${i}].id: duplicate rule id '${id}'`);
    seen.add(id);
  });
  return policy;
}

/** `/rules/0/allow` → `rules[0].allow`, then ajv's complaint in plain words. */
function ajvMessage(errors: ErrorObject[]): string {
  const e = errors.find((x) => x.keyword === 'anyOf') ?? errors[0];
  if (!e) return 'invalid policy';
  let path = '';
  for (const seg of e.instancePath.split('/').slice(1)) {
    const key = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    path += /^\d+$/.test(key) ? `[${key}]` : path ? `.${key}` : key;
  }
  const p = e.params as Record<string, unknown>;
  let what: string;
  switch (e.keyword) {
    case 'additionalProperties':
      return `${path ? `${path}.` : ''}${String(p.additionalProperty)}: unknown key`;
    case 'required':
      return `${path ? `${path}.` : ''}${String(p.missingProperty)}: required`;
    case 'enum':
      what = `expected one of ${(p.allowedValues as unknown[]).join(', ')}`;
      break;
    case 'const':
      what = `expected ${JSON.stringify(p.allowedValue)}`;
      break;
    case 'anyOf':
      what = 'needs a host or an operator';
      break;
    case 'pattern':
      what = path.includes('subtype')
        ? 'expected a kebab-case subtype'
        : 'expected a host like example.com or *.example.com';
      break;
    default:
      what = e.message ?? 'invalid';
  }
  return path ? `${path}: ${what}` : what;
}

/** The id a rule is known by. */
export function ruleId(rule: PolicyRule, index: number): string {
  return rule.id ?? `rule-${index + 1}`;
}

/** A one-line summary of a rule, for output when it has no description. */
export function ruleSummary(rule: PolicyRule): string {
  const what = rule.subtype ? `${rule.category}/${rule.subtype}` : rule.category;
  const to = rule.hosts ? ` to ${rule.hosts.join(', ')}` : '';
  return `${what}: allow ${rule.allow}${to}${rule.encrypted ? ', encrypted' : ''}`;
}

const matches = (rule: PolicyRule, f: Finding): boolean =>
  (rule.category === '*' || rule.category === f.category) && (rule.subtype === undefined || rule.subtype === f.subtype);

/**
 * Checks findings against a policy. Per finding, the first rule whose category (and subtype) matches decides;
 * no matching rule = allowed. With `declared.categories`, personal data of another category also violates.
 */
export function evaluatePolicy(policy: Policy, findings: Finding[], ctx: PolicyContext): PolicyResult {
  const declaredCats = policy.declared?.categories;
  const declaredResult: RuleResult | undefined = declaredCats && {
    id: DECLARED_CATEGORIES_ID,
    title: `only declared personal data is collected (${declaredCats.join(', ') || 'none'})`,
    checked: 0,
    violations: [],
  };
  const results: RuleResult[] = policy.rules.map((rule, i) => ({
    id: ruleId(rule, i),
    title: rule.description ?? ruleSummary(rule),
    rule,
    checked: 0,
    violations: [],
  }));
  const firstParty = (f: Finding): boolean =>
    (policy.firstParty ?? []).some((g) => matchHost(g, f.destination.host)) ||
    isFirstParty(ctx.config, f.deviceId, f.destination.host);

  for (const f of findings) {
    if (declaredResult && declaredCats && isPersonal(f.category)) {
      declaredResult.checked++;
      if (!declaredCats.includes(f.category)) {
        declaredResult.violations.push({
          ruleId: DECLARED_CATEGORIES_ID,
          finding: f,
          reason: `${f.category} is collected but not declared`,
          thirdParty: !firstParty(f),
        });
      }
    }
    const index = policy.rules.findIndex((r) => matches(r, f));
    const result = results[index];
    if (!result?.rule) continue;
    result.checked++;
    const first = firstParty(f);
    const reasons = breaches(result.rule, f, policy, first);
    if (reasons.length > 0) {
      result.violations.push({ ruleId: result.id, finding: f, reason: reasons.join('; '), thirdParty: !first });
    }
  }
  const rules = declaredResult ? [declaredResult, ...results] : results;
  const violations = rules.flatMap((r) => r.violations);
  return { rules, violations, passed: violations.length === 0 };
}

/** Why a finding breaks the rule that matched it (empty when it does not). */
function breaches(rule: PolicyRule, f: Finding, policy: Policy, firstParty: boolean): string[] {
  const host = f.destination.host;
  const what = `${f.category}/${f.subtype}`;
  const out: string[] = [];
  if (rule.allow === 'none') out.push(`${what} must not leave the device; sent to ${host}`);
  else if (rule.allow === 'first-party' && !firstParty)
    out.push(`${what} sent to third party ${host}; allowed to first-party hosts only`);
  else if (rule.allow === 'third-party' && !firstParty && !isDeclaredRecipient(policy, f.category, f.destination)) {
    out.push(`${what} sent to ${host}, a third party not declared for ${f.category}`);
  }
  if (rule.allow !== 'none' && rule.hosts && !rule.hosts.some((g) => matchHost(g, host))) {
    out.push(`${host} is not among the rule's hosts (${rule.hosts.join(', ')})`);
  }
  if (rule.encrypted && !f.encrypted) out.push(`${what} sent to ${host} without TLS`);
  return out;
}

/** The destination is a third party the policy declares for `category` (by host glob or operator). */
export function isDeclaredRecipient(
  policy: Policy,
  category: Category,
  destination: Pick<Finding['destination'], 'host' | 'operator'>,
): boolean {
  const op = destination.operator?.toLowerCase();
  return (policy.declared?.thirdParties ?? []).some(
    (t) =>
      (t.categories.includes('*') || t.categories.includes(category)) &&
      ((t.host !== undefined && matchHost(t.host, destination.host)) ||
        (t.operator !== undefined && op !== undefined && t.operator.toLowerCase() === op)),
  );
}

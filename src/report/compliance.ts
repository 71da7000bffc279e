/**
 * The compliance report of one device against the eight principles of the 2025 Smart Toy Personal Information
 * Protection Initiative (《智能玩具个人信息保护倡议》): which principles traffic can show (2–6), the checks that
 * decide each verdict (rule ids, explained in docs/report.md), the evidence behind them (finding ids), coverage by
 * inspection state (so "not observed" never reads as "pass") and the chain of custody. It builds a plain,
 * language-neutral object from the store's aggregates; rendering is compliance-html.ts / compliance-csv.ts.
 */
import { countryOf } from '../../analyzers/lib/services.ts';
import { matchHost } from '../config.ts';
import { type Category, isPersonal } from '../model/finding.ts';
import type { Micros, TlsState } from '../model/flow.ts';
import { isDeclaredRecipient, type Policy } from '../policy.ts';
import type { CoverageRow, FindingGroup, Window } from '../store/aggregates.ts';
import type { CaptureRecord, DeviceRecord, ExperimentRecord, Store } from '../store/types.ts';

export type Verdict = 'violation' | 'needs-review' | 'not-observed' | 'pass' | 'not-assessable';

/** Worst first: a principle's verdict is its worst check's. */
const SEVERITY: readonly Verdict[] = ['violation', 'needs-review', 'not-observed', 'pass'];

/** Share of upload bytes that must have been readable for "nothing found" to be a pass. */
export const PASS_COVERAGE = 0.95;

/** What was sent where, as evidence of a check. */
export interface ReportItem extends Omit<FindingGroup, 'firstTs' | 'lastTs'> {
  country?: string;
}

export interface Check {
  /** Stable rule id (docs/report.md): `p2-undeclared-sensitive`, `p4-plaintext` … */
  rule: string;
  verdict: Verdict;
  /** Findings behind the verdict (0 for a pass or not-observed). */
  count: number;
  items: ReportItem[];
  /** Names the check needs in its sentence: categories, an experiment, a share. */
  params?: Record<string, string | number>;
}

export interface PrincipleResult {
  /** 1..8 */
  number: number;
  verdict: Verdict;
  checks: Check[];
}

export interface CoverageSummary {
  rows: CoverageRow[];
  /**
   * Upload bytes readable by toyscope (plain, intercepted, decrypted), as a share of the upload bytes that carried
   * data (all but connections whose forged certificate the device refused), 0..1.
   */
  visibleUpShare: number;
  flows: number;
  bytesUp: number;
}

export interface Custody {
  toyscopeVersion: string;
  generatedAt: Micros;
  /** IANA zone the times are shown in. */
  timeZone: string;
  firstTs?: Micros;
  lastTs?: Micros;
  /** `sha256` is absent for a capture read from standard input and interrupted before its end. */
  captures: Pick<CaptureRecord, 'id' | 'sha256' | 'path' | 'format' | 'bytes'>[];
  tester?: string;
  configSha256?: string;
  policySha256?: string;
  experiments: ExperimentRecord[];
}

export interface ComplianceReport {
  schema: 'toyscope-compliance/1';
  device: Pick<DeviceRecord, 'id' | 'name' | 'mac' | 'ip'>;
  custody: Custody;
  /** The report covers only these experiments' windows (empty: all traffic). */
  scope: ExperimentRecord[];
  coverage: CoverageSummary;
  /** First-party hosts were configured: a destination not called third party is first party, else unknown. */
  firstPartyKnown: boolean;
  principles: PrincipleResult[];
  /** Everything personal observed, the data inventory. */
  observed: ReportItem[];
}

export interface ReportInput {
  store: Store;
  device: DeviceRecord;
  policy?: Policy;
  /** First-party hosts are configured for the device (toyscope.yaml or the policy): third parties can be told. */
  firstPartyKnown: boolean;
  /** Limit the report to these experiments (by time, at query time). */
  experiments?: ExperimentRecord[];
  custody: Omit<Custody, 'firstTs' | 'lastTs' | 'captures' | 'experiments'>;
}

const SENSITIVE: readonly Category[] = ['face', 'location', 'contacts'];
const VISIBLE: ReadonlySet<TlsState> = new Set(['none', 'intercepted', 'decrypted']);
const CONSENT_OFF = /consent[\s_-]*off|no[\s_-]*consent|未同意|不同意|拒绝|同意[\s_-]*关/i;

/** A "consent off" experiment: by its name or note (docs/report.md). */
export const isConsentOff = (e: ExperimentRecord) => CONSENT_OFF.test(e.name) || CONSENT_OFF.test(e.notes ?? '');

function worst(checks: Check[]): Verdict {
  return SEVERITY.find((v) => checks.some((c) => c.verdict === v)) ?? 'pass';
}

const item = (g: FindingGroup): ReportItem => {
  const { firstTs: _f, lastTs: _l, ...rest } = g;
  const country = countryOf(g.host, g.operator);
  return country ? { ...rest, country } : rest;
};

function check(rule: string, verdict: Verdict, groups: FindingGroup[], params?: Check['params']): Check {
  const c: Check = { rule, verdict, count: groups.reduce((n, g) => n + g.count, 0), items: groups.map(item) };
  return params ? { ...c, params } : c;
}

/** Nothing of the kind seen: a pass only when the traffic could be read. */
const quiet = (rule: string, cov: CoverageSummary): Check =>
  check(rule, cov.flows > 0 && cov.visibleUpShare >= PASS_COVERAGE ? 'pass' : 'not-observed', [], {
    visible: Math.round(cov.visibleUpShare * 100),
  });

/** A connection whose certificate the device refused carried no application data: it counts on neither side. */
export function summarizeCoverage(rows: CoverageRow[]): CoverageSummary {
  const bytesUp = rows.reduce((n, r) => n + r.bytesUp, 0);
  const carried = rows.filter((r) => r.tls !== 'device-rejected-cert').reduce((n, r) => n + r.bytesUp, 0);
  const visible = rows.filter((r) => VISIBLE.has(r.tls) && r.transport !== 'udp').reduce((n, r) => n + r.bytesUp, 0);
  return {
    rows,
    bytesUp,
    flows: rows.reduce((n, r) => n + r.flows, 0),
    visibleUpShare: carried === 0 ? (rows.length > 0 ? 1 : 0) : visible / carried,
  };
}

function necessity(groups: FindingGroup[], cov: CoverageSummary, policy?: Policy): Check[] {
  const declared = policy?.declared?.categories;
  const sensitive = groups.filter((g) => SENSITIVE.includes(g.category));
  const media = groups.filter((g) => g.category === 'voice' || g.category === 'face');
  const checks: Check[] = [];
  if (sensitive.length === 0) checks.push(quiet('p2-sensitive', cov));
  else if (!declared) checks.push(check('p2-sensitive-no-policy', 'needs-review', sensitive));
  else {
    const undeclared = sensitive.filter((g) => !declared.includes(g.category));
    const ok = sensitive.filter((g) => declared.includes(g.category));
    if (undeclared.length) checks.push(check('p2-undeclared-sensitive', 'violation', undeclared));
    if (ok.length) checks.push(check('p2-declared-sensitive', 'needs-review', ok));
  }
  checks.push(media.length ? check('p2-uploaded-media', 'needs-review', media) : quiet('p2-no-uploaded-media', cov));
  return checks;
}

function consent(groups: FindingGroup[], cov: CoverageSummary, policy?: Policy): Check[] {
  const personal = groups.filter((g) => isPersonal(g.category));
  const declared = policy?.declared?.categories;
  if (personal.length === 0) return [quiet('p3-types', cov)];
  if (!declared) return [check('p3-no-declaration', 'needs-review', personal)];
  const undeclared = personal.filter((g) => !declared.includes(g.category));
  return undeclared.length
    ? [check('p3-undeclared-type', 'violation', undeclared)]
    : [check('p3-declared-types', 'pass', personal)];
}

function protection(groups: FindingGroup[], cov: CoverageSummary): Check[] {
  const checks: Check[] = [];
  const plain = groups.filter((g) => isPersonal(g.category) && !g.encrypted);
  checks.push(plain.length ? check('p4-plaintext', 'violation', plain) : quiet('p4-no-plaintext', cov));
  const weak = groups.filter((g) => g.subtype === 'weak-tls-version' || g.subtype === 'no-forward-secrecy');
  if (weak.length) checks.push(check('p4-weak-tls', 'violation', weak));
  // The live proxy's certificate checks (docs/cert-checks.md): an intercepted flow alone says nothing (the device
  // may have toyscope's CA installed, config tls.caInstalled), its findings do.
  const count = (subtype: string) => groups.filter((g) => g.subtype === subtype).reduce((n, g) => n + g.count, 0);
  const accepted = count('device-accepted-forged-cert');
  const rejected = count('device-rejected-cert');
  if (accepted > 0) checks.push({ ...check('p4-forged-cert-accepted', 'violation', []), count: accepted });
  else if (rejected > 0) checks.push({ ...check('p4-cert-validated', 'pass', []), params: { flows: rejected } });
  else checks.push(check('p4-cert-untested', 'not-observed', []));
  return checks;
}

function choice(store: Store, device: DeviceRecord, experiments: ExperimentRecord[]): Check[] {
  const off = experiments.filter(isConsentOff);
  if (off.length === 0) return [check('p5-no-experiment', 'not-observed', [])];
  const windows: Window[] = off.map((e) => ({ startTs: e.startTs, endTs: e.endTs }));
  const names = off.map((e) => e.name).join(', ');
  const personal = store.aggregates.findingGroups(device.id, windows).filter((g) => isPersonal(g.category));
  if (personal.length) return [check('p5-flows-without-consent', 'violation', personal, { experiment: names })];
  const cov = summarizeCoverage(store.aggregates.coverage(device.id, windows));
  return [
    {
      ...quiet('p5-quiet-without-consent', cov),
      params: { experiment: names, visible: Math.round(cov.visibleUpShare * 100) },
    },
  ];
}

function thirdParties(groups: FindingGroup[], cov: CoverageSummary, input: ReportInput): Check[] {
  const { policy } = input;
  const personal = groups.filter((g) => isPersonal(g.category));
  if (personal.length === 0) return [quiet('p6-recipients', cov)];
  if (!input.firstPartyKnown) return [check('p6-parties-unknown', 'needs-review', personal)];
  const firstByPolicy = (g: FindingGroup) => (policy?.firstParty ?? []).some((glob) => matchHost(glob, g.host));
  const third = personal.filter((g) => g.thirdParty && !firstByPolicy(g));
  if (third.length === 0) return [check('p6-first-party-only', 'pass', [])];
  if (!policy) return [check('p6-no-declaration', 'needs-review', third)];
  const undeclared = third.filter((g) => !isDeclaredRecipient(policy, g.category, g));
  const declared = third.filter((g) => isDeclaredRecipient(policy, g.category, g));
  const checks: Check[] = [];
  if (undeclared.length) checks.push(check('p6-undeclared-recipient', 'violation', undeclared));
  if (declared.length) checks.push(check('p6-declared-recipient', 'pass', declared));
  return checks;
}

/** Builds the report; reads the store's aggregates (a few grouped queries) and nothing else. */
export function buildComplianceReport(input: ReportInput): ComplianceReport {
  const { store, device, policy } = input;
  const scope = input.experiments ?? [];
  const windows = scope.length ? scope.map((e) => ({ startTs: e.startTs, endTs: e.endTs })) : undefined;
  const groups = store.aggregates.findingGroups(device.id, windows);
  const coverage = summarizeCoverage(store.aggregates.coverage(device.id, windows));
  const span = store.aggregates.span(device.id, windows);
  const captures = store
    .listCaptures()
    .filter((c) => span.captureIds.includes(c.id))
    .map(({ id, sha256, path, format, bytes }) => ({
      id,
      ...(sha256 === undefined ? {} : { sha256 }),
      path,
      format,
      bytes,
    }));
  const deviceExperiments = store
    .listExperiments()
    .filter((e) => e.deviceId === undefined || e.deviceId === device.id)
    .filter((e) => !scope.length || scope.some((s) => s.id === e.id) || isConsentOff(e));
  const na = (n: number): PrincipleResult => ({ number: n, verdict: 'not-assessable', checks: [] });
  const judged = (n: number, checks: Check[]): PrincipleResult => ({ number: n, verdict: worst(checks), checks });
  const custody: Custody = { ...input.custody, captures, experiments: deviceExperiments };
  if (span.firstTs !== undefined) custody.firstTs = span.firstTs;
  if (span.lastTs !== undefined) custody.lastTs = span.lastTs;
  return {
    schema: 'toyscope-compliance/1',
    device: { id: device.id, name: device.name, mac: device.mac, ip: device.ip },
    custody,
    scope,
    coverage,
    firstPartyKnown: input.firstPartyKnown,
    principles: [
      na(1),
      judged(2, necessity(groups, coverage, policy)),
      judged(3, consent(groups, coverage, policy)),
      judged(4, protection(groups, coverage)),
      judged(5, choice(store, device, deviceExperiments)),
      judged(6, thirdParties(groups, coverage, input)),
      na(7),
      na(8),
    ],
    observed: groups.filter((g) => isPersonal(g.category)).map(item),
  };
}

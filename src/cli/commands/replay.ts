/**
 * `toyscope replay <capture…>`: analyzes pcap/pcapng captures through the same pipeline a live proxy uses,
 * stores flows and findings, prints a summary (or the --json document), and with --policy acts as a CI gate.
 * A capture already in the database (same sha256) is not analyzed or stored twice unless --force.
 */

import { basename } from 'node:path';
import { readKeyLogFile } from '../../capture/replay-file.ts';
import { deviceName } from '../../config.ts';
import { deleteDataFiles } from '../../data-dir.ts';
import type { KeyLog } from '../../decode/tls-keylog.ts';
import { InputError } from '../../errors.ts';
import { displayLabel } from '../../model/flow.ts';
import { ANOMALY_CODE_PREFIX, type Violation } from '../../model/violation.ts';
import { loadPolicy, type PolicyViolation } from '../../policy.ts';
import { coverageLines, type ShedEntry, shedOf, shedTotals, skippedOf } from '../../report/coverage.ts';
import { writeJsonDocument } from '../../report/json.ts';
import { buildJunit } from '../../report/junit.ts';
import { applyRetention } from '../../store/retention.ts';
import type { CaptureRecord, FindingKindCount, FlowSummary, Store, ViolationCount } from '../../store/types.ts';
import { anomalyLines } from '../anomalies.ts';
import { type Command, flag, type Globals, parseCommandArgs, str } from '../command.ts';
import { decoderNoteLines } from '../decoder-notes.ts';
import { EXIT, oneLine, UsageError } from '../errors.ts';
import { byCodeUnits, cell, kib, plural, recipient, size, table } from '../format.ts';
import { shellWord } from '../invocation.ts';
import { checkCaptureArgs, replayCaptures } from '../replay-run.ts';
import { readAllFindings } from '../store-access.ts';
import { checkStoredPolicy, writeJunit } from './policy.ts';

const USAGE = `Usage: toyscope replay <capture…> [options]

Replays recorded traffic (pcap or pcapng, e.g. from 'tcpdump -i wlan0 -w toy.pcap', a HAR saved
by a browser, mitmproxy or HTTP Toolkit, or a mitmproxy flow file from 'mitmdump -w toy.flows', told
apart by content) through the analyzers, stores flows
and findings in the database, and prints what each device sent where. '-' reads a pcap or pcapng
capture from standard input ('tcpdump -i wlan0 -U -w - | toyscope replay -').
Every path is checked first: missing files, directories and files that are no capture are all
named in one line and nothing is analyzed. Damaged or truncated captures are analyzed as far as they go; what could not be read is
counted under "skipped". A capture with nothing to analyze (empty, no packets, none of them
TCP or UDP) is an error and is not stored. A capture already in the database is not analyzed
twice (--force); one whose replay was interrupted is analyzed again and replaces what the
interrupted run left. TLS is read when its keys are known: from --keylog (an NSS key log, as
SSLKEYLOGFILE makes curl, browsers and 'toyscope proxy --keylog' write it) or from the capture's own
Decryption Secrets Blocks (pcapng, e.g. 'editcap --inject-secrets tls,keys.txt'); no key log is read
unless given. With 'retention: {days: N}' in toyscope.yaml, captured personal data older than N days
is purged first.

Options:
  --keylog FILE  TLS secrets (NSS key log format) to decrypt the captures' TLS flows with
  --device NAME  the device a HAR's flows belong to (a HAR has no client address); default har:<file name>
  --policy FILE  check the findings of these captures against a policy (docs/policy.md): exit 1 on violations
  --junit FILE   with --policy, also write JUnit XML (one test case per rule and device)
  --json         print the JSON document (docs/cli.md) instead of the summary
  --reveal       unmasked values in the output (do not use in CI logs)
  --strict       exit 1 if any part of a capture had to be skipped
  --force        analyze again a capture that is already in the database (replaces its results)
  --experiment NAME  record an experiment NAME spanning these captures' time (e.g. "consent off")
  -h, --help     show this help
Global options: --data-dir DIR, --config FILE, --db FILE (see 'toyscope --help').

Examples:
  toyscope replay fixtures/curl-multipart/capture.pcap
  toyscope replay teddy-*.pcapng --policy teddy-policy.yaml --junit reports/privacy.xml
  toyscope --db ci.db replay capture.pcapng --json > findings.json

  tcpdump -i wlan0 -U -w - | toyscope replay - --policy teddy-policy.yaml

Exit codes: 0 done (no policy violation), 1 policy violations (or skipped parts with --strict),
2 bad arguments, database or configuration, an unreadable capture or one with nothing to analyze
(even with --policy: a gate never passes on nothing).`;

export const replay: Command = {
  name: 'replay',
  usage: USAGE,

  async run(argv, g) {
    const p = parseCommandArgs(
      'replay',
      argv,
      {
        policy: { type: 'string' },
        junit: { type: 'string' },
        json: { type: 'boolean' },
        reveal: { type: 'boolean' },
        strict: { type: 'boolean' },
        force: { type: 'boolean' },
        keylog: { type: 'string' },
        device: { type: 'string' },
        experiment: { type: 'string' },
      },
      Number.POSITIVE_INFINITY,
    );
    if (p.help) {
      g.io.out(`${USAGE}\n`);
      return EXIT.ok;
    }
    if (p.positionals.length === 0) throw new UsageError('missing capture file (pcap or pcapng)', 'replay');
    if (str(p, 'junit') && !str(p, 'policy')) throw new UsageError('--junit needs --policy FILE', 'replay');
    checkCaptureArgs(p.positionals, g);
    const config = g.config();
    const policyFile = str(p, 'policy');
    const pol = policyFile ? loadPolicy(policyFile) : undefined;
    const keyLogFile = str(p, 'keylog');
    const keyLog = keyLogFile ? await readKeyLogFile(keyLogFile, config.limits) : undefined;
    if (keyLog && keyLogFile) g.io.err(`${keyLogSummary(keyLogFile, keyLog)}\n`);

    const store = await g.openStore(g.dbFile);
    try {
      const days = config.retention.days;
      if (days !== undefined) {
        const gone = applyRetention(store, days);
        deleteDataFiles(g.dataDir, gone);
        if (gone.evidence + gone.findings > 0) {
          g.io.err(
            `retention (${days} days): purged ${gone.evidence} evidence blobs and ${gone.findings} findings' values\n`,
          );
        }
      }
      const device = str(p, 'device');
      const run = await replayCaptures(p.positionals, store, g, { force: flag(p, 'force'), keyLog, device });
      // Nothing analyzable is bad input, never a pass: one line per such capture, exit 2.
      if (run.captures.length === 0) throw new InputError(run.nothing.join('; '));
      const experiment = str(p, 'experiment');
      if (experiment) recordExperiment(store, experiment, run.captures);
      const ids = run.captures.map((c) => c.id);
      const flows = store.summarizeFlows(ids, MAX_DESTINATIONS_SHOWN);
      // Every finding is read back only for what needs each one (--json, --policy); the summary counts kinds.
      const json = flag(p, 'json');
      const findings = json || pol ? ids.flatMap((captureId) => readAllFindings(store, { captureId })) : [];
      const kinds = ids.map((captureId) => store.countFindingKinds({ captureId }));
      const stored = run.captures;
      const anomalies = ids.flatMap((captureId) =>
        store.listViolations({ captureId, codePrefix: ANOMALY_CODE_PREFIX, limit: 1_000_000 }),
      );
      const notes = ids.flatMap((captureId) => store.countViolations({ captureId }));
      const hostOf = (flowId: string) => store.getFlow(flowId)?.destination.host;
      const suites = pol ? checkStoredPolicy(pol, findings, g) : [];
      const violations: PolicyViolation[] = suites.flatMap((s) => s.result.violations);
      const reveal = flag(p, 'reveal');
      const junit = str(p, 'junit');
      const skipped = skippedOf(stored);
      if (junit) writeJunit(junit, buildJunit(suites, { reveal, coverage: { skipped, shed: shedOf(findings) } }));
      if (json) {
        const ofCaptures = { captureIds: ids };
        const deviceIds = new Set<string>();
        for (const f of store.iterateFlows(ofCaptures)) deviceIds.add(f.deviceId);
        const devices = store.listDevices().filter((d) => deviceIds.has(d.id));
        const input = {
          captures: stored,
          devices,
          flows: store.iterateFlows(ofCaptures),
          findings,
          violations,
          skipped,
          tls: flows.tls,
        };
        writeJsonDocument(g.io.out, input, { reveal });
      } else {
        g.io.out(
          summary({
            captures: stored,
            perFile: perFile(store, ids, kinds),
            flows,
            kinds: kinds.flat(),
            violations,
            anomalies,
            notes,
            hostOf,
            policyFile,
            g,
            reveal,
            config,
          }),
        );
      }
      for (const line of run.nothing) g.io.err(`toyscope: ${line}\n`);
      if (run.nothing.length > 0) return EXIT.usage;
      if (violations.length > 0) return EXIT.violations;
      if (flag(p, 'strict') && skipped.length > 0) return EXIT.violations;
      return EXIT.ok;
    } finally {
      store.close();
    }
  },
};

/** The experiment `name` over the captures' time span: tagging by time then finds their flows and findings. */
function recordExperiment(store: Store, name: string, captures: CaptureRecord[]): void {
  const firsts = captures.map((c) => c.firstTs).filter((t): t is number => t !== undefined);
  const lasts = captures.map((c) => c.lastTs).filter((t): t is number => t !== undefined);
  if (firsts.length === 0) return; // empty captures: no window
  const notes = `replay of ${captures.map((c) => basename(c.path)).join(', ')}`.slice(0, 2000);
  store.startExperiment({ name, startTs: Math.min(...firsts), endTs: Math.max(...lasts), notes });
}

/** Flows and findings of each capture, in argument order: what each file contributed to the totals. */
function perFile(store: Store, ids: string[], kinds: FindingKindCount[][]): { flows: number; findings: number }[] {
  return ids.map((id, i) => ({ flows: store.summarizeFlows([id], 0).flows, findings: total(kinds[i] ?? []) }));
}

const total = (kinds: FindingKindCount[]): number => kinds.reduce((n, k) => n + k.count, 0);

/** What `shedOf` gives for the findings these kinds count, in the same order. */
function shedOfKinds(kinds: FindingKindCount[]): ShedEntry[] {
  const shed: ShedEntry[] = [];
  for (const k of kinds) if (k.shed !== undefined) shed.push({ category: k.category, reason: k.shed, count: k.count });
  return shedTotals(shed);
}

interface SummaryInput {
  captures: CaptureRecord[];
  /** Per capture (same order): its flows and findings, shown when several captures were replayed. */
  perFile: { flows: number; findings: number }[];
  flows: FlowSummary;
  /** The findings counted by kind, device and destination, captures in order, each newest first. */
  kinds: FindingKindCount[];
  violations: PolicyViolation[];
  /** Anomaly violations of the captures' flows (read one way of several). */
  anomalies: Violation[];
  notes: ViolationCount[];
  hostOf: (flowId: string) => string | undefined;
  policyFile: string | undefined;
  g: Globals;
  reveal: boolean;
  config: ReturnType<Globals['config']>;
}

/** Captures, flows by transport/TLS label, destinations, findings by device and category, skipped, policy. */
function summary(s: SummaryInput): string {
  const lines: string[] = [];
  s.captures.forEach((c, i) => {
    const own = s.perFile[i];
    const counts =
      s.captures.length > 1 && own ? `  ${plural(own.flows, 'flow')}, ${plural(own.findings, 'finding')}` : '';
    const sha = c.sha256 === undefined ? 'not read whole' : `sha256 ${c.sha256.slice(0, 12)}`;
    lines.push(`${cell(c.path, 60)}  ${c.format}  ${size(c.bytes)}  ${sha}${counts}`);
  });
  const labels = new Map<string, number>();
  for (const k of s.flows.byKind) {
    const label = displayLabel(k.transport, k.tls);
    labels.set(label, (labels.get(label) ?? 0) + k.flows);
  }
  const byLabel = [...labels].sort((a, b) => b[1] - a[1]);
  lines.push(
    '',
    `Flows: ${s.flows.flows}${byLabel.length ? `  (${byLabel.map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`,
  );
  const tls = s.flows.tls;
  if (tls.flows > 0) {
    const more = [
      tls.unsupported > 0 ? `, ${tls.unsupported} unsupported (SSL 3.0 – TLS 1.1 or suite)` : '',
      tls.failed > 0 ? `, ${tls.failed} failed (the keys did not open them)` : '',
    ].join('');
    lines.push(`${tls.flows} TLS flows, ${tls.decrypted} decrypted, ${tls.withoutKeys} without keys${more}`);
  }
  if (s.flows.destinations.length > 0) {
    const rows = s.flows.destinations.map((d) => [
      cell(d.host, 48),
      cell(d.operator ?? '', 32),
      String(d.flows),
      kib(d.bytesUp),
      kib(d.bytesDown),
      d.thirdParty ? 'third party' : '',
    ]);
    lines.push('', 'Destinations:', indent(table(['HOST', 'OPERATOR', 'FLOWS', 'UP KiB', 'DOWN KiB', ''], rows)));
    const more = s.flows.moreDestinations;
    if (more > 0) lines.push(`  … and ${more} more ('${s.g.hint('destinations')}' lists them all)`);
  }
  const n = total(s.kinds);
  if (n === 0) lines.push('', 'Findings: none');
  else {
    lines.push('', `Findings: ${n}`);
    const byDevice = new Map<string, FindingKindCount[]>();
    for (const k of s.kinds) {
      const list = byDevice.get(k.deviceId);
      if (list) list.push(k);
      else byDevice.set(k.deviceId, [k]);
    }
    for (const [id, list] of byDevice) {
      lines.push(`  ${cell(deviceName(s.config, id), 32)}`);
      lines.push(indent(indent(table(['WHAT', 'N', 'SENT TO'], whatWentWhere(list)))));
    }
    lines.push(`  (details: '${s.g.hint('findings')}')`);
  }
  const anomalies = anomalyLines(s.anomalies, s.hostOf);
  if (anomalies.length > 0) lines.push('', ...anomalies);
  const notes = decoderNoteLines(s.notes);
  if (notes.length > 0) lines.push('', ...notes);
  for (const line of coverageLines(skippedOf(s.captures), shedOfKinds(s.kinds))) lines.push('', line);
  if (s.policyFile) {
    const n = s.violations.length;
    lines.push('', n === 0 ? `Policy ${s.policyFile}: passed.` : `Policy ${s.policyFile}: ${plural(n, 'violation')}:`);
    // Each reason whole, as policy check prints it: in a CI log the reason is the verdict.
    for (const v of s.violations.slice(0, MAX_VIOLATIONS_SHOWN)) {
      const ev = v.finding.evidence;
      const excerpt = s.reveal && ev.value !== undefined ? ev.value : ev.excerpt;
      lines.push(`  ${oneLine(v.reason)}  [${cell(excerpt, 40)}]`);
    }
    const check = s.g.hint(`policy check --policy ${shellWord(s.policyFile)}`);
    if (n > MAX_VIOLATIONS_SHOWN) lines.push(`  … and ${n - MAX_VIOLATIONS_SHOWN} more ('${check}' lists them all)`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * One row per kind of data (category/subtype): how many findings, and who received it
 * (`voice/raw-pcm  2  Alibaba NLS · nls-gateway.aliyuncs.com (third party)`), most findings first.
 */
function whatWentWhere(list: FindingKindCount[]): string[][] {
  const kinds = new Map<string, { n: number; to: Set<string> }>();
  for (const f of list) {
    const what = `${f.category}/${f.subtype}`;
    const k = kinds.get(what) ?? { n: 0, to: new Set<string>() };
    k.n += f.count;
    k.to.add(recipient(f.destination));
    kinds.set(what, k);
  }
  return [...kinds]
    .sort((a, b) => b[1].n - a[1].n || byCodeUnits(a[0], b[0]))
    .map(([what, k]) => {
      const to = [...k.to];
      const more = to.length > MAX_RECIPIENTS_SHOWN ? `, +${to.length - MAX_RECIPIENTS_SHOWN} more` : '';
      return [cell(what, 40), String(k.n), cell(to.slice(0, MAX_RECIPIENTS_SHOWN).join(', ') + more, 120)];
    });
}

/** Recipients named per kind of data in the summary; the rest are counted. */
const MAX_RECIPIENTS_SHOWN = 3;
/** Policy violations listed in the summary; the rest are counted ('policy check' lists them all). */
const MAX_VIOLATIONS_SHOWN = 50;
/** Destinations listed in the summary (the busiest first); the rest are counted. */
const MAX_DESTINATIONS_SHOWN = 50;
const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');

/** `keylog FILE: N secrets for M TLS sessions (K lines skipped)`: what --keylog gave, counts only. */
function keyLogSummary(file: string, k: KeyLog): string {
  const { secrets, bad, overflow } = k.stats;
  const skipped = bad + overflow;
  const tail = skipped > 0 ? ` (${plural(skipped, 'line')} skipped: not NSS key log format or over the bounds)` : '';
  return `keylog ${oneLine(file)}: ${secrets} secrets for ${k.size} TLS sessions${tail}`;
}

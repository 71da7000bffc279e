/**
 * `toyscope replay <capture…>`: analyzes pcap/pcapng captures through the same pipeline a live proxy uses,
 * stores flows and findings, prints a summary (or the --json document), and with --policy acts as a CI gate.
 * A capture already in the database (same sha256) is not analyzed or stored twice unless --force.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { analysisPipeline } from '../../analysis.ts';
import { replayFile } from '../../capture/replay-file.ts';
import { deviceName } from '../../config.ts';
import { deleteDataFiles } from '../../data-dir.ts';
import { InputError } from '../../errors.ts';
import type { Finding } from '../../model/finding.ts';
import { displayLabel } from '../../model/flow.ts';
import type { FlowRecord } from '../../model/records.ts';
import { loadPolicy, type PolicyViolation } from '../../policy.ts';
import { buildJsonDocument, skippedOf } from '../../report/json.ts';
import { buildJunit } from '../../report/junit.ts';
import { applyRetention } from '../../store/retention.ts';
import type { CaptureRecord, Store } from '../../store/types.ts';
import { type Command, flag, type Globals, parseCommandArgs, str } from '../command.ts';
import { EXIT, UsageError } from '../errors.ts';
import { cell, kib, recipient, size, table } from '../format.ts';
import { ProgressBar } from '../progress.ts';
import { readAllFindings } from '../store-access.ts';
import { checkStoredPolicy, writeJunit } from './policy.ts';

const USAGE = `Usage: toyscope replay <capture…> [options]

Replays recorded traffic (pcap or pcapng, e.g. from 'tcpdump -i wlan0 -w toy.pcap') through the
analyzers, stores flows and findings in the database, and prints what each device sent where.
Damaged or truncated captures are analyzed as far as they go; what could not be read is
counted under "skipped". A capture already in the database is not analyzed twice (--force).
With 'retention: {days: N}' in toyscope.yaml, captured personal data older than N days is
purged first.

Options:
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

Exit codes: 0 done (no policy violation), 1 policy violations (or skipped parts with --strict),
2 bad arguments, unreadable capture, bad policy or configuration.`;

const PCAP_MAGICS = new Set(['a1b2c3d4', 'd4c3b2a1', 'a1b23c4d', '4d3cb2a1', '0a0d0d0a']);

export const replay: Command = {
  name: 'replay',
  summary: 'analyze pcap/pcapng captures (CI gate with --policy)',
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
    for (const file of p.positionals) checkCaptureFile(file);
    const config = g.config();
    const policyFile = str(p, 'policy');
    const pol = policyFile ? loadPolicy(policyFile) : undefined;

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
      const captures = await replayAll(p.positionals, store, g, flag(p, 'force'));
      const experiment = str(p, 'experiment');
      if (experiment) recordExperiment(store, experiment, captures);
      const ids = new Set(captures.map((c) => c.id));
      const flows = captures.flatMap((c) => store.listFlows({ captureId: c.id, limit: 1_000_000 }));
      const findings = captures.flatMap((c) => readAllFindings(store, { captureId: c.id }));
      const stored = store.listCaptures().filter((c) => ids.has(c.id));
      const suites = pol ? checkStoredPolicy(pol, findings, g) : [];
      const violations: PolicyViolation[] = suites.flatMap((s) => s.result.violations);
      const reveal = flag(p, 'reveal');
      const junit = str(p, 'junit');
      if (junit) writeJunit(junit, buildJunit(suites, { reveal }));
      const skipped = skippedOf(stored);
      if (flag(p, 'json')) {
        const deviceIds = new Set(flows.map((f) => f.deviceId));
        const devices = store.listDevices().filter((d) => deviceIds.has(d.id));
        const doc = buildJsonDocument({ captures: stored, devices, flows, findings, violations, skipped }, { reveal });
        g.io.out(`${JSON.stringify(doc, null, 2)}\n`);
      } else {
        g.io.out(summary({ captures: stored, flows, findings, violations, policyFile, g, reveal, config }));
      }
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

/** A missing, unreadable or non-capture file is bad input (exit 2) before anything is analyzed. */
function checkCaptureFile(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(err))}`);
  }
  const head = Buffer.alloc(4);
  const n = readSync(fd, head, 0, 4, 0);
  closeSync(fd);
  const magic = head.subarray(0, n).toString('hex');
  if (n === 4 && !PCAP_MAGICS.has(magic)) {
    throw new InputError(`${file} is not a pcap or pcapng capture (starts with 0x${magic})`);
  }
}

async function replayAll(files: string[], store: Store, g: Globals, force: boolean): Promise<CaptureRecord[]> {
  const config = g.config();
  const writer = store.writer();
  const pipeline = analysisPipeline(config, writer);
  const bar = new ProgressBar();
  const out: CaptureRecord[] = [];
  try {
    for (const file of files) {
      bar.reset();
      const result = await replayFile(file, {
        pipeline,
        limits: config.limits,
        violation: (v) => writer.violation(v),
        onProgress: (pr) =>
          bar.update(`${pr.phase === 'hash' ? 'hashing' : 'replaying'} ${cell(file, 32)}`, pr.bytesRead, pr.bytesTotal),
        shouldReplay: (sha) => {
          if (!store.hasCapture(sha)) return true;
          if (!force) return false;
          store.purge({ captureId: sha, everything: true });
          return true;
        },
      });
      if (result.replayed) writer.capture(result.capture);
      else
        g.io.err(
          `${file}: already in the database (sha256 ${result.capture.id.slice(0, 12)}); showing stored results (--force re-analyzes)\n`,
        );
      out.push(result.capture);
      writer.flush();
    }
  } finally {
    bar.done();
  }
  return out;
}

interface SummaryInput {
  captures: CaptureRecord[];
  flows: FlowRecord[];
  findings: Finding[];
  violations: PolicyViolation[];
  policyFile: string | undefined;
  g: Globals;
  reveal: boolean;
  config: ReturnType<Globals['config']>;
}

/** Captures, flows by transport/TLS label, destinations, findings by device and category, skipped, policy. */
function summary(s: SummaryInput): string {
  const lines: string[] = [];
  for (const c of s.captures) {
    lines.push(`${cell(c.path, 60)}  ${c.format}  ${size(c.bytes)}  sha256 ${c.id.slice(0, 12)}`);
  }
  const labels = countBy(s.flows, (f) => displayLabel(f.transport, f.tls));
  lines.push(
    '',
    `Flows: ${s.flows.length}${labels.length ? `  (${labels.map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`,
  );
  const dests = new Map<string, { flows: number; up: number; down: number; thirdParty: boolean; operator: string }>();
  for (const f of s.flows) {
    const key = f.destination.host;
    const d = dests.get(key) ?? {
      flows: 0,
      up: 0,
      down: 0,
      thirdParty: f.destination.thirdParty,
      operator: f.destination.operator ?? '',
    };
    d.flows++;
    d.up += f.bytesUp;
    d.down += f.bytesDown;
    dests.set(key, d);
  }
  if (dests.size > 0) {
    const rows = [...dests]
      .sort((a, b) => b[1].up - a[1].up)
      .map(([host, d]) => [
        cell(host, 48),
        cell(d.operator, 32),
        String(d.flows),
        kib(d.up),
        kib(d.down),
        d.thirdParty ? 'third party' : '',
      ]);
    lines.push('', 'Destinations:', indent(table(['HOST', 'OPERATOR', 'FLOWS', 'UP KiB', 'DOWN KiB', ''], rows)));
  }
  if (s.findings.length === 0) lines.push('', 'Findings: none');
  else {
    lines.push('', `Findings: ${s.findings.length}`);
    const byDevice = new Map<string, Finding[]>();
    for (const f of s.findings) byDevice.set(f.deviceId, [...(byDevice.get(f.deviceId) ?? []), f]);
    for (const [id, list] of byDevice) {
      lines.push(`  ${cell(deviceName(s.config, id), 32)}`);
      lines.push(indent(indent(table(['WHAT', 'N', 'SENT TO'], whatWentWhere(list)))));
    }
    lines.push("  (details: 'toyscope findings')");
  }
  const skipped = skippedOf(s.captures);
  if (skipped.length > 0) {
    const total = skipped.reduce((n, e) => n + e.count, 0);
    lines.push('', `Skipped: ${total}  (${skipped.map((e) => `${e.reason} ${e.count}`).join(', ')})`);
  }
  if (s.policyFile) {
    const n = s.violations.length;
    lines.push(
      '',
      n === 0 ? `Policy ${s.policyFile}: passed.` : `Policy ${s.policyFile}: ${n} violation${n === 1 ? '' : 's'}:`,
    );
    for (const v of s.violations.slice(0, 50)) {
      const ev = v.finding.evidence;
      const excerpt = s.reveal && ev.value !== undefined ? ev.value : ev.excerpt;
      lines.push(`  ${cell(v.reason, 100)}  [${cell(excerpt, 40)}]`);
    }
    if (n > 50) lines.push(`  … and ${n - 50} more ('toyscope policy check' lists them all)`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * One row per kind of data (category/subtype): how many findings, and who received it
 * (`voice/raw-pcm  2  Alibaba NLS · nls-gateway.aliyuncs.com (third party)`), most findings first.
 */
function whatWentWhere(list: Finding[]): string[][] {
  const kinds = new Map<string, { n: number; to: Set<string> }>();
  for (const f of list) {
    const what = `${f.category}/${f.subtype}`;
    const k = kinds.get(what) ?? { n: 0, to: new Set<string>() };
    k.n++;
    k.to.add(recipient(f.destination));
    kinds.set(what, k);
  }
  return [...kinds]
    .sort((a, b) => b[1].n - a[1].n || a[0].localeCompare(b[0]))
    .map(([what, k]) => {
      const to = [...k.to];
      const more = to.length > MAX_RECIPIENTS_SHOWN ? `, +${to.length - MAX_RECIPIENTS_SHOWN} more` : '';
      return [cell(what, 40), String(k.n), cell(to.slice(0, MAX_RECIPIENTS_SHOWN).join(', ') + more, 120)];
    });
}

function countBy<T>(items: T[], key: (t: T) => string): Array<[string, number]> {
  const m = new Map<string, number>();
  for (const it of items) m.set(key(it), (m.get(key(it)) ?? 0) + 1);
  return [...m].sort((a, b) => b[1] - a[1]);
}

/** Recipients named per kind of data in the summary; the rest are counted. */
const MAX_RECIPIENTS_SHOWN = 3;
const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');

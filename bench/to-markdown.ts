/**
 * Turns the JSON lines of a bench run into docs/benchmarks.md: one table per bench (columns = every key its figures
 * carry, in order of first appearance), a goals section for figures that name a goal, and the machine it ran on.
 * `npx tsx bench/run.ts | npx tsx bench/to-markdown.ts docs/benchmarks.md` (without a file: to stdout). It formats
 * figures only; it measures nothing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { Figure } from './run.ts';

/** What each bench's table is about, shown above it. */
const ABOUT: Record<string, string> = {
  capture:
    'Capture reader stages on a synthetic 210 MB pcap; reference = plain read of the file. Its peak_rss_mib is the ' +
    'whole run.ts process so far (every bench before it included), not the reader alone.',
  inflate: 'Bounded content decoding; MB/s of decoded bytes, reference = plain read of the decoded bytes.',
  multipart: 'Streaming multipart/form-data parser; reference = plain read.',
  base64: 'Streaming base64 decoder on 64 KiB string pieces; reference = plain read of the decoded bytes.',
  tokens: 'JSON and form tokenizers; references = plain read and JSON.parse of the same text.',
  store:
    'SQLite store writer: findings rows/s (goal ≥ 50,000) and evidence MB/s. Its peak_rss_mib is the whole run.ts ' +
    'process so far (every bench before it included).',
  pipeline:
    'Whole pipeline on hand-built FlowEvents with the bench analyzers (and, on the mix, with the registry too); ' +
    'reference = plain read of the bodies. Its peak_rss_mib holds the in-memory corpora.',
  replay:
    'toyscope replay end to end on a ≥ 200 MB mixed HTTP pcap and on a recorded chatty device (20,000 small ' +
    'keep-alive requests), with and without the store, against tshark; peak RSS measured in the replay child. On ' +
    'the chatty capture cpu_ratio = tshark CPU seconds ÷ the CLI process CPU seconds (start-up included). ' +
    'tshark_requests is what tshark listed.',
  startup:
    'Median of 10 runs, wall and CPU seconds, beside node -e 0 and tshark -v; dist = the bundle, tsx = the sources ' +
    '(TOYSCOPE_TSX=1). Wall time on the shared machine mostly measures the neighbours: read the CPU columns.',
  profile: 'Top 10 self-time functions of the pipeline bench (mixed corpus) under `node --cpu-prof`.',
  proxy:
    'The live proxy and its peers on loopback, each in its own process (peak RSS from /proc, fresh process per ' +
    'upload figure); toyscope-relay/-streams/-full = TLS relay only, + stream layer, + pipeline and every analyzer. ' +
    'mitmdump (buffering) gets the 64 MiB upload only.',
  certs: "A new host's certificate work in process; candidates side by side (ADR 0008).",
  tls:
    'TLS decryption (issue 17): a TlsDecryptSession alone per suite on one recorded 32 MiB session, beside a plain ' +
    "read and node:crypto's bare AES-128-GCM over 16 KiB records; then `replay --keylog` with the store (child " +
    'process) on the ≥ 200 MB TLS capture of bench/make-tls-corpus.ts against tshark decrypting the same file with ' +
    'the same key log, best of two runs each, alternating. tshark_requests is what tshark listed.',
};

function cell(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? v.toLocaleString('en-US') : String(v);
  return String(v).replaceAll('|', '\\|');
}

/** A markdown table of `rows` with every key they carry but `bench`. */
function table(rows: Figure[]): string {
  const keys: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (k !== 'bench' && !keys.includes(k)) keys.push(k);
  const lines = [`| ${keys.join(' | ')} |`, `|${keys.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${keys.map((k) => cell(r[k])).join(' | ')} |`);
  return lines.join('\n');
}

/** One line per figure that names a goal, saying whether it is met. */
function goals(figures: Figure[]): string[] {
  const out: string[] = [];
  for (const f of figures) {
    const set = f.set ?? f.pipeline;
    const what = `${f.bench} ${f.corpus ?? ''}${f.stage ? ` ${f.stage}` : ''}${set ? ` ${set}` : ''}${f.reference ? ` vs ${f.reference}` : ''}`;
    const check = (value: unknown, goal: unknown, label: string, atMost = false) => {
      if (typeof value !== 'number' || typeof goal !== 'number') return;
      const met = atMost ? value <= goal : value >= goal;
      out.push(`- ${met ? 'met' : '**not met**'}: ${what}: ${label} ${value} (goal ${atMost ? '≤' : '≥'} ${goal})`);
    };
    check(f.ratio, f.goal_ratio, 'ratio');
    check(f.mb_per_s, f.goal_mb_per_s, 'MB/s');
    check(f.ratio_to_json_parse, f.goal_ratio_to_json_parse, 'ratio to JSON.parse');
    check(f.rows_per_s, f.goal_rows_per_s, 'rows/s');
    check(f.peak_rss_mib, f.goal_peak_rss_mib, 'peak RSS MiB', true);
    check(f.cpu_ratio, f.goal_ratio, 'CPU ratio');
    check(f.median_seconds, f.goal_seconds, 'median s', true);
  }
  return out;
}

export function toMarkdown(figures: Figure[], when = new Date()): string {
  const benches = [...new Set(figures.map((f) => f.bench))];
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const parts = [
    '# Benchmarks',
    '',
    `Generated by \`bench/to-markdown.ts\` from one \`npx tsx bench/run.ts\` run on ${when.toISOString().slice(0, 10)}:`,
    `${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}. The machine is`,
    'shared with other jobs and noisy: take differences under ~20 % as noise. What each bench measures, its corpus',
    'and how to run one: `bench/README.md`. `ratio` is always the figure over its reference (higher is better).',
    '',
  ];
  const g = goals(figures);
  if (g.length > 0) parts.push('## Goals', '', ...g, '');
  for (const b of benches) {
    const rows = figures.filter((f) => f.bench === b);
    parts.push(`## ${b}`, '', ...(ABOUT[b] ? [ABOUT[b], ''] : []), table(rows), '');
  }
  return parts.join('\n');
}

/** Figures from JSON lines; lines that are not JSON objects with a `bench` key are ignored. */
export function parseFigures(text: string): Figure[] {
  const out: Figure[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const f = JSON.parse(line) as Figure;
      if (typeof f.bench === 'string') out.push(f);
    } catch {
      // a truncated line from an interrupted run: skipped
    }
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const md = toMarkdown(parseFigures(readFileSync(0, 'utf8')));
  const target = process.argv[2];
  if (target) writeFileSync(target, md);
  else process.stdout.write(md);
}

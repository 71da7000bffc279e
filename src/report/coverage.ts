/**
 * What a run could not look at, so a gate never reads "passed" over data it did not see: parts of captures
 * skipped (not understood), by file and reason, and work shed under load (only the live proxy sheds: a finding
 * whose `detail.shed` is true, e.g. an image the face pool answered `queue-full`). The summary, `--json` and JUnit
 * all show it. It reads records; it does not print.
 */
import type { Finding } from '../model/finding.ts';
import type { CaptureRecord } from '../store/types.ts';

/** A part of a capture that was not understood, counted. */
export interface SkippedEntry {
  file: string;
  reason: string;
  count: number;
}

/** Work dropped under load (live only), counted by category and the analyzer's reason. */
export interface ShedEntry {
  category: string;
  reason: string;
  count: number;
}

/** The skipped entries of stored captures (`{reason: count}` per capture). */
export function skippedOf(captures: CaptureRecord[]): SkippedEntry[] {
  return captures.flatMap((c) =>
    Object.entries(c.skipped ?? {}).map(([reason, count]) => ({ file: c.path, reason, count })),
  );
}

/** Findings that say their work was shed (`detail.shed`), counted by category and `detail.reason`. */
export function shedOf(findings: Finding[]): ShedEntry[] {
  const shed: ShedEntry[] = [];
  for (const f of findings) {
    if (f.detail?.shed === true)
      shed.push({ category: f.category, reason: String(f.detail.reason ?? 'shed'), count: 1 });
  }
  return shedTotals(shed);
}

/** Entries of the same category and reason added up, in the order each first appears. */
export function shedTotals(entries: Iterable<ShedEntry>): ShedEntry[] {
  const counts = new Map<string, ShedEntry>();
  for (const { category, reason, count } of entries) {
    const key = `${category} ${reason}`;
    const e = counts.get(key) ?? { category, reason, count: 0 };
    e.count += count;
    counts.set(key, e);
  }
  return [...counts.values()];
}

/** Terminal lines for the summary and the policy gate: `Skipped: 3 (…)`, `Shed under load: 2 (…)`; none if all seen. */
export function coverageLines(skipped: SkippedEntry[], shed: ShedEntry[]): string[] {
  const lines: string[] = [];
  if (skipped.length > 0) {
    const total = skipped.reduce((n, e) => n + e.count, 0);
    lines.push(`Skipped: ${total}  (${skipped.map((e) => `${e.reason} ${e.count}`).join(', ')})`);
  }
  if (shed.length > 0) {
    const total = shed.reduce((n, e) => n + e.count, 0);
    const list = shed.map((e) => `${e.category} ${e.reason} ${e.count}`).join(', ');
    lines.push(`Not analyzed, shed under load by the live proxy: ${total}  (${list})`);
  }
  return lines;
}

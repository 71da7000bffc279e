/**
 * The replay summary's note on flows read one way of several: the flows with anomaly violations (isAnomaly:
 * HTTP framing on which the server, a proxy or an IDS may read the bytes differently, src/streams/http1-framing.ts),
 * counted by anomaly, the first few listed with their host. Terminal text only; the violations themselves are in
 * the store.
 */
import { ANOMALY_CODE_PREFIX, type Violation } from '../model/violation.ts';
import { byCodeUnits, cell, plural, table } from './format.ts';

/** Flows listed by name; the rest are counted. */
const MAX_FLOWS_SHOWN = 10;

/** Lines for the summary (none when no flow had an anomaly). `violations` may hold any; only anomalies count. */
export function anomalyLines(
  violations: readonly Violation[],
  hostOf: (flowId: string) => string | undefined,
): string[] {
  const byFlow = new Map<string, Set<string>>();
  const counts = new Map<string, number>();
  for (const v of [...violations].sort((a, b) => a.ts - b.ts)) {
    if (v.flowId === undefined || !v.code.startsWith(ANOMALY_CODE_PREFIX)) continue;
    const name = v.code.slice(ANOMALY_CODE_PREFIX.length);
    const seen = byFlow.get(v.flowId) ?? new Set<string>();
    byFlow.set(v.flowId, seen);
    if (seen.has(name)) continue;
    seen.add(name);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  if (byFlow.size === 0) return [];
  const kinds = [...counts].sort((a, b) => b[1] - a[1] || byCodeUnits(a[0], b[0]));
  const n = byFlow.size;
  const lines = [
    `Read one way of several: ${plural(n, 'flow')}  (${kinds.map(([k, c]) => `${k} ${c}`).join(', ')})`,
    '  toyscope read each of these HTTP messages one way; the server may have read it another (docs/ARCHITECTURE.md § HTTP/1 framing anomalies)',
  ];
  const rows = [...byFlow]
    .slice(0, MAX_FLOWS_SHOWN)
    .map(([flowId, names]) => [cell(flowId, 24), cell(hostOf(flowId) ?? '', 48), [...names].join(', ')]);
  lines.push(
    ...table(['FLOW', 'HOST', 'ANOMALIES'], rows)
      .split('\n')
      .map((l) => `  ${l}`),
  );
  if (n > MAX_FLOWS_SHOWN) lines.push(`  … and ${n - MAX_FLOWS_SHOWN} more flows`);
  return lines;
}

/**
 * The replay summary's note on what the decoders flagged (malformed input, a bound that stopped a bomb: an inflate
 * ratio, a nesting depth, a part count), counted by decoder and code so a tester sees that something was stopped
 * without reading every flow. HTTP framing anomalies have their own note (anomalies.ts). Terminal text only.
 */
import { isAnomaly } from '../model/violation.ts';
import type { ViolationCount } from '../store/types.ts';
import { plural } from './format.ts';

/** Kinds named on the line; the rest are counted. */
const MAX_KINDS_SHOWN = 6;

/** Lines for the summary (none when nothing was flagged). */
export function decoderNoteLines(counts: readonly ViolationCount[]): string[] {
  const kinds = new Map<string, { count: number; flows: number }>();
  for (const c of counts) {
    if (isAnomaly(c)) continue;
    const k = `${c.decoder} ${c.code}`;
    const seen = kinds.get(k) ?? { count: 0, flows: 0 };
    kinds.set(k, { count: seen.count + c.count, flows: seen.flows + c.flows });
  }
  if (kinds.size === 0) return [];
  const sorted = [...kinds].sort((a, b) => b[1].count - a[1].count);
  const total = sorted.reduce((n, [, v]) => n + v.count, 0);
  const shown = sorted.slice(0, MAX_KINDS_SHOWN).map(([k, v]) => `${k} ${v.count}`);
  if (sorted.length > MAX_KINDS_SHOWN) shown.push(`${sorted.length - MAX_KINDS_SHOWN} more kinds`);
  return [
    `Decoder notes: ${plural(total, 'note')}  (${shown.join(', ')})`,
    "  malformed input, or a bound that stopped reading (`limits` in toyscope.yaml); each flow's: 'toyscope flows show FLOW'",
  ];
}

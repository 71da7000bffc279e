/**
 * Masking of personal data for output that may land in CI logs (CLI, --json, JUnit): a tester sees enough to
 * recognise the value (`13••••••678`, `mi••••@ex••••.com`) but not the value itself. `--reveal` prints `value`;
 * `maskFinding` drops it from a finding record (dashboard, --json).
 */

import type { Finding } from '../model/finding.ts';

const MASK = '•';

/** The finding without its unmasked value (the excerpt is stored masked): what every output shows by default. */
export function maskFinding(f: Finding): Finding {
  if (f.evidence.value === undefined) return f;
  const { value: _value, ...evidence } = f.evidence;
  return { ...f, evidence };
}

/** Keeps a few characters at each end (about a quarter, at most 3 each side) and masks the rest. */
export function redact(value: string): string {
  const chars = [...value];
  if (chars.length <= 4) return MASK.repeat(chars.length);
  const keep = Math.min(3, Math.floor(chars.length / 4));
  return (
    chars.slice(0, keep).join('') + MASK.repeat(chars.length - 2 * keep) + chars.slice(chars.length - keep).join('')
  );
}

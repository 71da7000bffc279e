/**
 * Masking of personal data for output that may land in CI logs (CLI, --json, JUnit): a tester sees enough to
 * recognise the value (`13••••••678`, `mi••••@ex••••.com`) but not the value itself, and only the personal
 * values are masked: the readable parts of an excerpt (kind, key, size, reason) stay as they are. `--reveal`
 * prints the unmasked `value` and `evidence.detail`; `maskFinding` drops both from a finding record (dashboard,
 * --json).
 */
import type { Excerpt } from '../model/analyzer.ts';
import type { Finding, FindingDetail } from '../model/finding.ts';

const MASK = '•';
/** A UTF-16 surrogate: the text has characters of two units (or a lone half), counted as one each below. */
const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * The finding without its unmasked value and personal detail (the excerpt and `detail` are stored masked): what
 * every output shows by default.
 */
export function maskFinding(f: Finding): Finding {
  if (f.evidence.value === undefined && f.evidence.detail === undefined) return f;
  const { value: _value, detail: _detail, ...evidence } = f.evidence;
  return { ...f, evidence };
}

/** Keeps a few characters at each end (about a quarter, at most 3 each side) and masks the rest. */
export function redact(value: string): string {
  if (!SURROGATE.test(value)) {
    // Every character one UTF-16 unit (the usual case: digits, coordinates, MACs, names): cut the string itself.
    const n = value.length;
    if (n <= 4) return MASK.repeat(n);
    const keep = Math.min(3, Math.floor(n / 4));
    return value.slice(0, keep) + MASK.repeat(n - 2 * keep) + value.slice(n - keep);
  }
  const chars = [...value];
  if (chars.length <= 4) return MASK.repeat(chars.length);
  const keep = Math.min(3, Math.floor(chars.length / 4));
  return (
    chars.slice(0, keep).join('') + MASK.repeat(chars.length - 2 * keep) + chars.slice(chars.length - keep).join('')
  );
}

/** The excerpt with its personal values masked (a plain string is one personal value). */
export function maskExcerpt(e: Excerpt): string {
  return typeof e === 'string' ? redact(e) : e.map((p) => (typeof p === 'string' ? p : redact(p.personal))).join('');
}

/** Personal detail values masked, keys kept (numbers become masked text). */
export function maskDetail(d: FindingDetail): FindingDetail {
  const out: FindingDetail = {};
  for (const [k, v] of Object.entries(d)) out[k] = redact(String(v));
  return out;
}

/**
 * Terminal output helpers: times, and plain-text tables whose cells are made printable first (host names and
 * excerpts are attacker-controlled and could carry terminal escapes). No colours, no I/O.
 */
import type { Destination } from '../model/finding.ts';
import { oneLine } from './errors.ts';

/** Printable on one line and at most `max` characters (an ellipsis marks the cut). */
export function cell(value: string, max = 60): string {
  const chars = [...oneLine(value)];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * Who received the data: `iFlytek · ws-api.xfyun.cn`, or the host alone when no operator is known, then
 * ` (3p)` (`short`) or ` (third party)` for a third party. Not made printable: pass it through `cell`.
 */
export function recipient(d: Destination, short = false): string {
  const who = d.operator ? `${d.operator} · ${d.host}` : d.host;
  return d.thirdParty ? `${who} (${short ? '3p' : 'third party'})` : who;
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - [...c].length)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** `1 flow`, `3 flows`: a count with its noun (regular plurals only). */
export const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** KiB with one decimal, for columns headed "KiB". */
export const kib = (n: number): string => (n / 1024).toFixed(1);

/** A byte count for people: `512 B`, `8.2 KiB`, `3.1 MiB`, `1.2 GiB`. */
export function size(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${kib(n)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(1)} GiB`;
}

/**
 * Ascending by UTF-16 code units: the same order on every machine and locale, and no ICU collator to build (its first
 * use costs ≈ 5 ms of CPU, a noticeable share of a small replay). For kinds and codes, which are ASCII.
 */
export const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

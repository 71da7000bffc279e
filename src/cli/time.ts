/**
 * Times on the command line: what `--since`, `--until`, `--before` and `--older-than` accept, and how tables
 * show times. The terminal speaks the local time zone (named in table headers); the stored values and `--json`
 * are microseconds since the epoch, which carry no zone.
 */
import type { Micros } from '../model/flow.ts';
import { UsageError } from './errors.ts';

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30m`, `12h`, `30d`, `2w` → milliseconds. */
export function parseAge(option: string, s: string, command: string): number {
  const m = /^(\d{1,6})([mhdw])$/.exec(s);
  if (!m) throw new UsageError(`${option}: expected an age like 30m, 12h, 30d or 2w, got '${s}'`, command);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/**
 * A point in time: `2026-11-23` (local midnight), `2026-11-23 10:55` or `2026-11-23T10:55:30` (local time),
 * with `Z` or `+08:00` for another zone, or an age (`2h`: two hours ago).
 */
export function parseTime(option: string, s: string, command: string, nowMs = Date.now()): Micros {
  if (/^\d{1,6}[mhdw]$/.test(s)) return (nowMs - parseAge(option, s, command)) * 1000;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(s);
  const [y, mo, d, h, mi, sec] = (m ?? []).slice(1, 7).map((v) => Number(v ?? 0)) as number[];
  const valid = m && mo! >= 1 && mo! <= 12 && d! >= 1 && d! <= daysIn(y!, mo!) && h! < 24 && mi! < 60 && sec! < 60;
  const ms = !valid
    ? Number.NaN
    : m[7]
      ? Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4] ?? '00'}:${m[5] ?? '00'}:${m[6] ?? '00'}${m[7]}`)
      : new Date(y!, mo! - 1, d, h, mi, sec).getTime();
  if (Number.isNaN(ms)) {
    throw new UsageError(`${option}: expected a time like 2026-11-23, '2026-11-23 10:55' or 2h, got '${s}'`, command);
  }
  return ms * 1000;
}

const daysIn = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** `2026-11-23 10:55:30` in the local time zone. */
export function formatTime(ts: Micros): string {
  const d = new Date(Math.floor(ts / 1000));
  if (Number.isNaN(d.getTime())) return String(ts);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** The local zone for table headers: `UTC`, `UTC+08:00`, `UTC-05:00`. */
export function zoneLabel(at = new Date()): string {
  const off = -at.getTimezoneOffset();
  if (off === 0) return 'UTC';
  const a = Math.abs(off);
  return `UTC${off > 0 ? '+' : '-'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** `TIME (UTC+08:00)`: the header of a time column. */
export const timeHeader = (): string => `TIME (${zoneLabel()})`;

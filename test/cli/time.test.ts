import { afterEach, describe, expect, it } from 'vitest';
import { formatTime, parseTime, zoneLabel } from '../../src/cli/time.ts';

describe('CLI times', () => {
  const zone = process.env.TZ;
  afterEach(() => {
    process.env.TZ = zone;
  });

  it('reads and prints the local zone, and names it in headers', () => {
    process.env.TZ = 'Asia/Shanghai';
    const ts = Date.parse('2026-11-23T02:55:30Z') * 1000;
    expect(formatTime(ts)).toBe('2026-11-23 10:55:30');
    expect(zoneLabel(new Date(ts / 1000))).toBe('UTC+08:00');
    expect(parseTime('--since', '2026-11-23 10:55:30', 'flows')).toBe(ts);
    expect(parseTime('--since', '2026-11-23', 'flows')).toBe(Date.parse('2026-11-22T16:00:00Z') * 1000);
    expect(parseTime('--since', '2026-11-23T02:55:30Z', 'flows')).toBe(ts);
    expect(parseTime('--since', '2026-11-23T10:55:30+08:00', 'flows')).toBe(ts);
    process.env.TZ = 'America/New_York';
    expect(zoneLabel(new Date(ts / 1000))).toBe('UTC-05:00');
    process.env.TZ = 'UTC';
    expect(zoneLabel()).toBe('UTC');
  });

  it('takes ages as "that long ago" and rejects anything else in one line', () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    expect(parseTime('--since', '2h', 'flows', now)).toBe((now - 7_200_000) * 1000);
    expect(parseTime('--since', '30m', 'flows', now)).toBe((now - 1_800_000) * 1000);
    expect(() => parseTime('--until', 'tomorrow', 'flows')).toThrow(
      "--until: expected a time like 2026-11-23, '2026-11-23 10:55' or 2h, got 'tomorrow'",
    );
    expect(() => parseTime('--until', '2026-13-45', 'flows')).toThrow('--until: expected a time');
  });
});

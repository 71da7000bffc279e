/**
 * `toyscope purge`: deletes captured personal data (evidence blobs, unmasked values) from the database, by age,
 * device or capture, optionally the findings and flows too. Asks on a terminal unless --yes; refuses without
 * --yes when nobody can answer. The deletion itself is Store.purge (one transaction).
 */
import { deviceName } from '../../config.ts';
import { deleteDataFiles } from '../../data-dir.ts';
import type { PurgeOptions, PurgeResult } from '../../store/types.ts';
import { type Command, flag, parseCommandArgs, str } from '../command.ts';
import { EXIT, UsageError } from '../errors.ts';
import { resolveCaptureId, resolveDeviceId, withExistingStore } from '../store-access.ts';
import { formatTime, parseAge, parseTime, zoneLabel } from '../time.ts';

export const purge: Command = {
  name: 'purge',
  usage: `Usage: toyscope purge [options]

Deletes captured personal data from the database: evidence blobs (voice clips, photos), the
unmasked values behind findings and the dashboard's reveal log entries about them; and from the
data directory, saved captures the purge covers (by capture, by age or all; never by device: a
capture holds every device's traffic) and, on a purge by age or of everything, the TLS key log.
The database is then vacuumed and its WAL emptied, so nothing purged lingers in the files.
Findings, flows and destinations stay, so reports still show what was sent and where, unless
--everything. Without a filter it purges all devices, all time.
On a terminal it asks before deleting; elsewhere it needs --yes.

Options:
  --before TIME       only data captured before TIME: 2024-05-01, '2024-05-01 12:00' (local time;
                      Z or +08:00 for another zone)
  --older-than AGE    only data older than AGE: 12h, 30d, 2w (default: retention.days in toyscope.yaml)
  --device D          only this device (name from toyscope.yaml, MAC or IP)
  --capture SHA       only data from this capture (its sha256, or a unique prefix)
  --everything        also delete the findings, flows and messages themselves
  --yes               do not ask for confirmation (needed when not on a terminal)
  -h, --help          show this help
Global options: --data-dir DIR, --config FILE, --db FILE (see 'toyscope --help').

Examples:
  toyscope purge --older-than 30d
  toyscope purge --device teddy --everything --yes
  toyscope purge --capture 3fa9c2 --yes

Exit codes: 0 purged (or nothing to purge, or declined), 2 bad arguments, configuration or database.`,

  async run(argv, g) {
    const p = parseCommandArgs('purge', argv, {
      before: { type: 'string' },
      'older-than': { type: 'string' },
      device: { type: 'string' },
      capture: { type: 'string' },
      everything: { type: 'boolean' },
      yes: { type: 'boolean' },
    });
    if (p.help) {
      g.io.out(`${this.usage}\n`);
      return EXIT.ok;
    }
    const before = str(p, 'before');
    const olderThan = str(p, 'older-than');
    if (before && olderThan) throw new UsageError('use --before or --older-than, not both', 'purge');
    const config = g.config();
    const now = Date.now();
    const opts: PurgeOptions = {};
    if (before) opts.beforeTs = parseTime('--before', before, 'purge', now);
    else if (olderThan) opts.beforeTs = (now - parseAge('--older-than', olderThan, 'purge')) * 1000;
    else if (config.retention.days) opts.beforeTs = (now - config.retention.days * 86_400_000) * 1000;
    if (flag(p, 'everything')) opts.everything = true;
    return withExistingStore(
      g,
      (db) => `Nothing to purge: no database at ${db}.\n`,
      async (store) => {
        const device = str(p, 'device');
        if (device) opts.deviceId = resolveDeviceId(g, store, device);
        const capture = str(p, 'capture');
        if (capture) opts.captureId = resolveCaptureId(g, store, capture, 'purge');
        const what = describe(opts, (id) => deviceName(config, id));
        if (!flag(p, 'yes')) {
          if (!g.io.interactive) {
            throw new UsageError(`refusing to purge ${what} without --yes (not a terminal, nobody to ask)`, 'purge');
          }
          const answer = await g.io.ask(`Purge ${what}? This cannot be undone. [y/N] `);
          if (!/^y(es)?$/i.test(answer.trim())) {
            g.io.out('Nothing purged.\n');
            return EXIT.ok;
          }
        }
        const r = store.purge(opts);
        const files = deleteDataFiles(g.dataDir, r);
        g.io.out(`${purgedLine(r, opts.everything === true, files.length)}
`);
        return EXIT.ok;
      },
    );
  },
};

function describe(o: PurgeOptions, name: (id: string) => string): string {
  const parts = [o.everything ? 'all findings, flows and personal data' : 'captured personal data'];
  parts.push(o.deviceId ? `of device ${name(o.deviceId)}` : 'of all devices');
  if (o.captureId) parts.push(`from capture ${o.captureId.slice(0, 12)}`);
  parts.push(o.beforeTs !== undefined ? `captured before ${formatTime(o.beforeTs)} ${zoneLabel()}` : 'of all time');
  return parts.join(' ');
}

/** What a purge removed and what it left, in the words of what happened. */
export function purgedLine(r: PurgeResult, everything: boolean, files = 0): string {
  const n = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;
  const also =
    r.reveals + files > 0
      ? ` Also deleted ${n(r.reveals, 'reveal log entry', 'reveal log entries')} and ${n(files, 'file')} (saved captures, key log).`
      : '';
  if (everything) {
    return `Deleted ${n(r.findings, 'finding')}, ${n(r.flows, 'flow')} with their messages, and ${n(r.evidence, 'evidence blob')}.${also}`;
  }
  return (
    `Removed ${n(r.evidence, 'evidence blob')} and the captured values of ${n(r.findings, 'finding')}; ` +
    `the findings, flows and messages remain, masked (--everything deletes them too).${also}`
  );
}

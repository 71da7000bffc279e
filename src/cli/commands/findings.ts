/**
 * `toyscope findings`: lists stored findings as a table (or the --json document), excerpts redacted unless
 * --reveal. Reads only; an absent or empty database gets a line saying how to collect findings.
 */
import { deviceName } from '../../config.ts';
import { CATEGORIES, type Category, type Finding } from '../../model/finding.ts';
import { skippedOf } from '../../report/coverage.ts';
import { tlsSummary, writeJsonDocument } from '../../report/json.ts';
import type { FindingQuery } from '../../store/types.ts';
import { type Command, flag, type Globals, parseCommandArgs, parseLimit, str } from '../command.ts';
import { UsageError } from '../errors.ts';
import { cell, recipient, table } from '../format.ts';
import { readAllFindings, scopeOf, withExistingStore } from '../store-access.ts';
import { formatTime, timeHeader } from '../time.ts';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 100_000;

const howToGetFindings = (g: Globals) =>
  `No findings yet. Replay a capture with '${g.hint('replay capture.pcapng')}', then run '${g.hint('findings')}' again.`;

export const findings: Command = {
  name: 'findings',
  usage: `Usage: toyscope findings [options]

Lists the findings stored in the database: when (local time), which device, what kind of personal
data (category/subtype), where it went (third parties marked "3p") and a redacted excerpt.

Options:
  --category C   only this category: ${CATEGORIES.join(', ')}
  --device D     only this device (name from toyscope.yaml, MAC or IP)
  --host H       only data sent to this host (or to any host under this domain)
  --capture C    only findings from this capture (sha256 or a prefix; 'toyscope captures' lists them)
  --since T      only findings seen at or after T: 2026-11-23, '2026-11-23 10:55' (local time; add Z or
                 +08:00 for another zone) or an age such as 2h or 7d
  --until T      only findings first seen before T (same forms)
  --limit N      show at most N findings, newest first (default ${DEFAULT_LIMIT} in the table; --json
                 lists every match unless --limit is given)
  --json         print the JSON document (docs/cli.md) instead of a table: every finding
  --reveal       print the captured values unmasked (do not use in CI logs)
  -h, --help     show this help
Global options: --data-dir DIR, --config FILE, --db FILE (see 'toyscope --help').

Examples:
  toyscope findings
  toyscope findings --device teddy --category voice
  toyscope findings --host api.toycloud.example --json > findings.json
  toyscope findings --since 2h --category location

Exit codes: 0 listed (even if none), 2 bad arguments or configuration.`,

  async run(argv, g) {
    const p = parseCommandArgs('findings', argv, {
      category: { type: 'string' },
      device: { type: 'string' },
      host: { type: 'string' },
      capture: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      reveal: { type: 'boolean' },
    });
    if (p.help) {
      g.io.out(`${this.usage}\n`);
      return 0;
    }
    const category = str(p, 'category');
    if (category !== undefined && !CATEGORIES.includes(category as Category)) {
      throw new UsageError(`unknown category '${category}' (expected one of ${CATEGORIES.join(', ')})`, 'findings');
    }
    const json = flag(p, 'json');
    // A table is for reading (the newest, and how many more); --json is for a program: all of them unless limited.
    const limit = parseLimit(str(p, 'limit'), json ? undefined : DEFAULT_LIMIT, 'findings', MAX_LIMIT);
    g.config(); // a bad toyscope.yaml is reported before anything is read
    return withExistingStore(
      g,
      (db) => `${howToGetFindings(g)}\n(no database at ${db})\n`,
      async (store) => {
        const q: FindingQuery = { ...scopeOf(p, g, store, 'findings') };
        if (category) q.category = category as Category;
        if (json) {
          const list = limit === undefined ? readAllFindings(store, q) : store.listFindings({ ...q, limit });
          // The document describes what the findings came from: only their flows, devices and captures.
          const flows = [...new Set(list.map((f) => f.flowId))].flatMap((id) => store.getFlow(id) ?? []);
          const captureIds = new Set(flows.map((f) => f.captureId));
          const deviceIds = new Set(list.map((f) => f.deviceId));
          const captures = store.listCaptures().filter((c) => captureIds.has(c.id));
          const input = {
            captures,
            devices: store.listDevices().filter((d) => deviceIds.has(d.id)),
            flows,
            findings: list,
            violations: [],
            skipped: skippedOf(captures),
            tls: tlsSummary(flows),
          };
          writeJsonDocument(g.io.out, input, { reveal: flag(p, 'reveal') }); // written piece by piece
          return 0;
        }
        q.limit = limit;
        const list = store.listFindings(q);
        if (list.length === 0) {
          const total = store.countFindings();
          g.io.out(total === 0 ? `${howToGetFindings(g)}\n` : `No findings match (${total} stored in all).\n`);
          return 0;
        }
        g.io.out(`${renderTable(list, g, flag(p, 'reveal'))}\n`);
        const total = store.countFindings({ ...q, limit: undefined });
        if (total > list.length) g.io.out(`(${list.length} of ${total} shown; use --limit to see more)\n`);
        return 0;
      },
    );
  },
};

/** The findings table: time, device, category/subtype, destination (3p marked), excerpt. */
export function renderTable(list: Finding[], g: Globals, reveal: boolean): string {
  const config = g.config();
  const rows = list.map((f) => [
    formatTime(f.firstTs),
    cell(deviceName(config, f.deviceId), 24),
    cell(`${f.category}/${f.subtype}`, 32),
    cell(recipient(f.destination, true), 64),
    cell(reveal ? (f.evidence.value ?? `${f.evidence.excerpt} (value purged)`) : f.evidence.excerpt),
  ]);
  return table([timeHeader(), 'DEVICE', 'WHAT', 'SENT TO', 'EXCERPT'], rows);
}

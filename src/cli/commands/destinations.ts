/**
 * `toyscope destinations`: the question testers are asked most, answered from the store: where each device sent
 * data (host, operator, first or third party, flows, bytes) and what personal data went there, per category.
 * Reads only; an absent database gets a line saying how to collect some.
 */
import { deviceName } from '../../config.ts';
import type { Category } from '../../model/finding.ts';
import type { DestinationRecord } from '../../store/types.ts';
import { type Command, flag, type Globals, parseCommandArgs, str } from '../command.ts';
import { cell, recipient, table } from '../format.ts';
import { openExistingStore, resolveDeviceId } from '../store-access.ts';

const NO_DATA = "No destinations yet. Replay a capture with 'toyscope replay capture.pcapng' first.";

/** One destination of one device with the personal data found going there (category → findings). */
interface Row extends DestinationRecord {
  findings: Partial<Record<Category, number>>;
}

export const destinations: Command = {
  name: 'destinations',
  summary: 'list where each device sent data, and which personal data went there',
  usage: `Usage: toyscope destinations [options]

Lists every destination each device talked to: the host and its operator (from the catalogue of
services, or the request's shape), whether it is a third party (first-party hosts come from
toyscope.yaml), flows, KiB sent and received, and the personal data found going there by category.
Destinations that received personal data come first.

Options:
  --device D      only this device (name from toyscope.yaml, MAC or IP)
  --third-party   only third parties
  --with-data     only destinations that received personal data
  --json          print {"destinations": [...]} (docs/cli.md) instead of a table
  -h, --help      show this help
Global options: --data-dir DIR, --config FILE, --db FILE (see 'toyscope --help').

Examples:
  toyscope destinations
  toyscope destinations --device teddy --third-party --with-data

Exit codes: 0 listed (even if none), 2 bad arguments or configuration.`,

  async run(argv, g) {
    const p = parseCommandArgs('destinations', argv, {
      device: { type: 'string' },
      'third-party': { type: 'boolean' },
      'with-data': { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (p.help) {
      g.io.out(`${this.usage}\n`);
      return 0;
    }
    g.config(); // a bad toyscope.yaml is reported before anything is read
    const store = await openExistingStore(g);
    if (!store) {
      g.io.out(`${NO_DATA}\n(no database at ${g.dbFile})\n`);
      return 0;
    }
    try {
      const device = str(p, 'device');
      const deviceId = device === undefined ? undefined : resolveDeviceId(g, store, device);
      const counts = store.countFindingsByDestination(deviceId);
      let rows: Row[] = store.listDestinations(deviceId).map((d) => {
        const findings: Row['findings'] = {};
        for (const c of counts) {
          if (c.deviceId === d.deviceId && c.host === d.host) findings[c.category] = c.count;
        }
        return { ...d, findings };
      });
      if (flag(p, 'third-party')) rows = rows.filter((r) => r.thirdParty);
      if (flag(p, 'with-data')) rows = rows.filter((r) => Object.keys(r.findings).length > 0);
      rows.sort((a, b) => total(b) - total(a) || b.bytesUp - a.bytesUp);
      if (flag(p, 'json')) {
        g.io.out(`${JSON.stringify({ destinations: rows.map((r) => jsonRow(r, g)) }, null, 2)}\n`);
        return 0;
      }
      g.io.out(rows.length === 0 ? `${NO_DATA}\n` : `${renderTable(rows, g)}\n`);
      return 0;
    } finally {
      store.close();
    }
  },
};

const total = (r: Row): number => Object.values(r.findings).reduce((n, c) => n + (c ?? 0), 0);

function jsonRow(r: Row, g: Globals) {
  return { ...r, device: deviceName(g.config(), r.deviceId) };
}

function renderTable(rows: Row[], g: Globals): string {
  const config = g.config();
  const kib = (n: number) => (n / 1024).toFixed(1);
  const lines = rows.map((r) => [
    cell(deviceName(config, r.deviceId), 24),
    cell(recipient(r, true), 64),
    String(r.flows),
    kib(r.bytesUp),
    kib(r.bytesDown),
    cell(
      Object.entries(r.findings)
        .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
        .map(([category, n]) => `${category} ${n}`)
        .join(', ') || '-',
      80,
    ),
  ]);
  return table(['DEVICE', 'SENT TO', 'FLOWS', 'UP KiB', 'DOWN KiB', 'FINDINGS'], lines);
}

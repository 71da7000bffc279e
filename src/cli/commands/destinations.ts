/**
 * `toyscope destinations`: the question testers are asked most, answered from the store: where each device sent
 * data (host, operator, first or third party, flows, bytes) and what personal data went there, per category;
 * with `--certs`, the certificate-check table of the live proxy's certificate checks per device and host. Reads only; an absent database gets a line saying how to collect some.
 */
import { deviceName } from '../../config.ts';
import type { Category } from '../../model/finding.ts';
import type { FlowRecord } from '../../model/records.ts';
import { certTable } from '../../report/cert-table.ts';
import type { DestinationRecord } from '../../store/types.ts';
import { renderCertTable } from '../cert-checks-view.ts';
import { type Command, flag, type Globals, parseCommandArgs, str } from '../command.ts';
import { cell, kib, recipient, table } from '../format.ts';
import { resolveDeviceId, withExistingStore } from '../store-access.ts';

const noData = (g: Globals) => `No destinations yet. Replay a capture with '${g.hint('replay capture.pcapng')}' first.`;

/** One destination of one device with the personal data found going there (category → findings). */
interface Row extends DestinationRecord {
  findings: Partial<Record<Category, number>>;
}

export const destinations: Command = {
  name: 'destinations',
  usage: `Usage: toyscope destinations [options]

Lists every destination each device talked to: the host and its operator (from the catalogue of
services, or the request's shape), whether it is a third party (first-party hosts come from
toyscope.yaml), flows, KiB sent and received, and the personal data found going there by category.
Destinations that received personal data come first.

Options:
  --device D      only this device (name from toyscope.yaml, MAC or IP)
  --third-party   only third parties
  --with-data     only destinations that received personal data
  --certs         instead, what each device did with the certificates the live proxy offered per
                  host (toyscope proxy [--probe-tls]): refused how, accepted, passed through
  --json          print {"destinations": [...]} (docs/cli.md) instead of a table
  -h, --help      show this help
Global options: --data-dir DIR, --config FILE, --db FILE (see 'toyscope --help').

Examples:
  toyscope destinations
  toyscope destinations --device teddy --third-party --with-data
  toyscope destinations --certs

Exit codes: 0 listed (even if none), 2 bad arguments or configuration.`,

  async run(argv, g) {
    const p = parseCommandArgs('destinations', argv, {
      device: { type: 'string' },
      'third-party': { type: 'boolean' },
      'with-data': { type: 'boolean' },
      certs: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (p.help) {
      g.io.out(`${this.usage}\n`);
      return 0;
    }
    g.config(); // a bad toyscope.yaml is reported before anything is read
    return withExistingStore(
      g,
      (db) => `${noData(g)}\n(no database at ${db})\n`,
      async (store) => {
        const device = str(p, 'device');
        const deviceId = device === undefined ? undefined : resolveDeviceId(g, store, device);
        if (flag(p, 'certs')) return certChecks(g, store.listCertChecks(deviceId ? { deviceId } : {}), flag(p, 'json'));
        const byDestination = new Map<string, Row['findings']>();
        for (const c of store.countFindingsByDestination(deviceId)) {
          const key = `${c.deviceId} ${c.host}`;
          byDestination.set(key, { ...byDestination.get(key), [c.category]: c.count });
        }
        const all: Row[] = store
          .listDestinations(deviceId)
          .map((d) => ({ ...d, findings: byDestination.get(`${d.deviceId} ${d.host}`) ?? {} }));
        let rows = all;
        if (flag(p, 'third-party')) rows = rows.filter((r) => r.thirdParty);
        if (flag(p, 'with-data')) rows = rows.filter((r) => Object.keys(r.findings).length > 0);
        rows.sort((a, b) => total(b) - total(a) || b.bytesUp - a.bytesUp);
        if (flag(p, 'json')) {
          g.io.out(`${JSON.stringify({ destinations: rows.map((r) => jsonRow(r, g)) }, null, 2)}\n`);
          return 0;
        }
        if (rows.length > 0) g.io.out(`${renderTable(rows, g)}\n`);
        else g.io.out(all.length === 0 ? `${noData(g)}\n` : `No destinations match (${all.length} stored).\n`);
        return 0;
      },
    );
  },
};

/** `--certs`: the certificate-check table, or `{"certChecks": [...]}`. */
function certChecks(g: Globals, flows: FlowRecord[], json: boolean): number {
  const rows = certTable(flows);
  const config = g.config();
  if (json) {
    const out = rows.map((r) => ({ ...r, device: deviceName(config, r.deviceId) }));
    g.io.out(`${JSON.stringify({ certChecks: out }, null, 2)}\n`);
  } else if (rows.length > 0) g.io.out(`${renderCertTable(rows, (d) => deviceName(config, d))}\n`);
  else g.io.out(`No certificate checks yet: they come from '${g.hint('proxy')}' (see --probe-tls).\n`);
  return 0;
}

const total = (r: Row): number => Object.values(r.findings).reduce((n, c) => n + (c ?? 0), 0);

function jsonRow(r: Row, g: Globals) {
  return { ...r, device: deviceName(g.config(), r.deviceId) };
}

function renderTable(rows: Row[], g: Globals): string {
  const config = g.config();
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

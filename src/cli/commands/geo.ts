/**
 * `toyscope geo [list] | import FILE… | purge`: the lab's offline position tables (ADR 0022), which place the Wi-Fi
 * access points and cell towers of scan findings on the dashboard's map. Import reads OpenCellID, WiGLE and plain
 * `bssid,lat,lon` files streaming (src/geo/position-files.ts) into the store (src/store/positions.ts); list and
 * purge work on the files imported. No network: a lab downloads the files itself.
 */
import { statSync } from 'node:fs';
import { readPositionFile } from '../../geo/position-files.ts';
import type { PositionSource } from '../../store/positions.ts';
import { type Command, flag, type Globals, parseCommandArgs, str } from '../command.ts';
import { EXIT, UsageError } from '../errors.ts';
import { cell, table } from '../format.ts';
import { ProgressBar } from '../progress.ts';
import { withExistingStore } from '../store-access.ts';
import { formatTime, zoneLabel } from '../time.ts';

const USAGE = `Usage: toyscope geo [list] [--json]
       toyscope geo import FILE... [--mcc LIST]
       toyscope geo purge [--source ID] [--yes]

The lab's offline position tables: where Wi-Fi access points (by BSSID) and cell towers (by
MCC, MNC, LAC/TAC and cell id) are. The dashboard places a finding's Wi-Fi scan or cell towers on
its map with them; nothing is looked up online. A cell tower that no table holds still names its
country by its MCC.

import reads, streaming (a .gz as well), each FILE in the format its first line shows:
  OpenCellID cell export   radio,mcc,net,area,cell,unit,lon,lat,range,samples,... (with that
                           header, or without as in the per-country files); range is the accuracy
  WiGLE CSV export         WigleWifi-1.x,... then MAC,SSID,...,RSSI,CurrentLatitude,
                           CurrentLongitude,AltitudeMeters,AccuracyMeters,Type; Wi-Fi rows only,
                           the sightings of one access point averaged, stronger ones counting more
  plain CSV                bssid,lat,lon[,accuracy_m] (header optional; any MAC notation)
A later import of the same access point or cell replaces it. Rows that are not positions are
skipped and counted; a file that fits no format is an error.

Actions:
  list (default)   the files imported: id, rows, skipped, when, whether the import ended
  import FILE...   import position files
  purge            delete the position tables (or one file's rows with --source)

Options:
  --mcc LIST    import: only cells of these mobile country codes (460,454: China, Hong Kong);
                the whole OpenCellID export is tens of millions of rows
  --source ID   purge: only the rows that file brought (ids from 'toyscope geo')
  --yes         purge: do not ask (needed when not on a terminal)
  --json        list as JSON
  -h, --help    show this help
Global options: --data-dir DIR, --config FILE, --db FILE (see 'toyscope --help').

Examples:
  toyscope geo import cell_towers.csv.gz --mcc 460
  toyscope geo import WigleWifi_20240501.csv lab-aps.csv
  toyscope geo
  toyscope geo purge --source 2 --yes

Exit codes: 0 done, 2 bad arguments, unreadable file or one that fits no format.`;

export const geo: Command = {
  name: 'geo',
  usage: USAGE,

  async run(argv, g) {
    const p = parseCommandArgs(
      'geo',
      argv,
      { mcc: { type: 'string' }, source: { type: 'string' }, yes: { type: 'boolean' }, json: { type: 'boolean' } },
      Number.POSITIVE_INFINITY,
    );
    if (p.help) {
      g.io.out(`${USAGE}\n`);
      return EXIT.ok;
    }
    const [action = 'list', ...args] = p.positionals;
    if (action === 'import') return importFiles(g, args, str(p, 'mcc'));
    if (args.length > 0) throw new UsageError(`unexpected argument '${args[0]}'`, 'geo');
    if (action === 'list') return list(g, flag(p, 'json'));
    if (action === 'purge') return purgeTables(g, str(p, 'source'), flag(p, 'yes'));
    throw new UsageError(`unknown action '${action}' (list, import or purge)`, 'geo');
  },
};

function mccSet(text: string | undefined): Set<number> | undefined {
  if (text === undefined) return undefined;
  const codes = text.split(',').map((s) => s.trim());
  const bad = codes.find((c) => !/^\d{3}$/.test(c));
  if (bad !== undefined)
    throw new UsageError(`--mcc: expected 3-digit mobile country codes (460,454), got '${bad}'`, 'geo');
  return new Set(codes.map(Number));
}

async function importFiles(g: Globals, files: string[], mccText: string | undefined): Promise<number> {
  if (files.length === 0) throw new UsageError("'geo import' needs at least one FILE", 'geo');
  const mcc = mccSet(mccText);
  const store = await g.openStore(g.dbFile);
  const bar = new ProgressBar();
  try {
    for (const file of files) {
      const total = fileSize(file);
      const imp = store.positions.startImport(file);
      let complete = false;
      try {
        bar.reset();
        const summary = await readPositionFile(
          file,
          (r) => {
            if ('wifi' in r) imp.wifi(r.wifi);
            else if ('cell' in r) imp.cell(r.cell);
            else imp.skip();
          },
          { mcc, progress: (done) => bar.update(`geo import ${cell(file, 30)}`, done, total) },
        );
        complete = true;
        const src = imp.end(summary.format);
        bar.done();
        const reasons = [...summary.skipped].map(([why, n]) => `${n} ${cell(why, 60)}`).join('; ');
        g.io.out(
          `${cell(file, 80)}: ${summary.format}, ${src.wifi} access point rows, ${src.cells} cell rows` +
            `${src.skipped ? `, ${src.skipped} skipped (${reasons})` : ''} (source ${src.id}).\n`,
        );
      } finally {
        bar.done();
        // A file that failed keeps nothing: its committed batches go with its source row.
        if (!complete) store.positions.purge(imp.sourceId);
      }
    }
    return EXIT.ok;
  } finally {
    store.close();
  }
}

function fileSize(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch {
    return undefined; // readPositionFile says why in one line
  }
}

async function list(g: Globals, json: boolean): Promise<number> {
  return withExistingStore(
    g,
    (db) => (json ? `${JSON.stringify({ sources: [] })}\n` : `No position tables: no database at ${db}.\n`),
    (store) => {
      const sources = store.positions.sources();
      if (json) g.io.out(`${JSON.stringify({ sources }, null, 2)}\n`);
      else if (sources.length === 0)
        g.io.out(`No position tables yet. Import one with '${g.hint('geo import FILE')}'.\n`);
      else g.io.out(`${render(sources)}\n`);
      return EXIT.ok;
    },
  );
}

function render(sources: PositionSource[]): string {
  const rows = sources.map((s) => [
    String(s.id),
    formatTime(s.importedTs),
    cell(s.path, 60),
    s.format || '?',
    String(s.wifi),
    String(s.cells),
    String(s.skipped),
    s.complete ? 'complete' : 'interrupted',
  ]);
  return table(['SOURCE', `IMPORTED (${zoneLabel()})`, 'FILE', 'FORMAT', 'WI-FI', 'CELLS', 'SKIPPED', 'IMPORT'], rows);
}

async function purgeTables(g: Globals, sourceText: string | undefined, yes: boolean): Promise<number> {
  if (sourceText !== undefined && !/^\d{1,9}$/.test(sourceText)) {
    throw new UsageError(`--source: expected a source id from 'toyscope geo', got '${sourceText}'`, 'geo');
  }
  const source = sourceText === undefined ? undefined : Number(sourceText);
  return withExistingStore(
    g,
    (db) => `Nothing to purge: no database at ${db}.\n`,
    async (store) => {
      if (source !== undefined && !store.positions.sources().some((s) => s.id === source)) {
        throw new UsageError(`no position source ${source} ('toyscope geo' lists them)`, 'geo');
      }
      const what = source === undefined ? 'every position table' : `the rows of position source ${source}`;
      if (!yes) {
        if (!g.io.interactive) throw new UsageError(`refusing to purge ${what} without --yes (not a terminal)`, 'geo');
        const answer = await g.io.ask(`Purge ${what}? [y/N] `);
        if (!/^y(es)?$/i.test(answer.trim())) {
          g.io.out('Nothing purged.\n');
          return EXIT.ok;
        }
      }
      const n = store.positions.purge(source);
      g.io.out(`Deleted ${n} position row${n === 1 ? '' : 's'} (${what}).\n`);
      return EXIT.ok;
    },
  );
}

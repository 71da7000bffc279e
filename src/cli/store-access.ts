/**
 * How commands reach the store: open the database only if it exists (reading commands never create one), read
 * every finding in bounded pages, and turn a `--device` argument (configured name, MAC or IP) into a device id.
 */
import { existsSync } from 'node:fs';
import { findDevice } from '../config.ts';
import { InputError } from '../errors.ts';
import type { Finding } from '../model/finding.ts';
import type { FindingQuery, Store } from '../store/types.ts';
import type { Globals } from './command.ts';

/** Findings read per query page. */
export const FINDINGS_PAGE = 1000;
/** Findings a command reads at most (a bound on memory; a larger store is read in part and says so). */
export const MAX_FINDINGS_READ = 1_000_000;

/** The store if the database file exists, else undefined; a file that is not a usable database is an InputError. */
export async function openExistingStore(g: Globals): Promise<Store | undefined> {
  if (!existsSync(g.dbFile)) return undefined;
  try {
    return await g.openStore(g.dbFile);
  } catch (err) {
    throw new InputError(`cannot open database ${g.dbFile}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Runs `read` on the existing store and closes it after; without a database, prints `absent(dbFile)` and exits 0
 * (a reading command never creates one).
 */
export async function withExistingStore(
  g: Globals,
  absent: (dbFile: string) => string,
  read: (store: Store) => number | Promise<number>,
): Promise<number> {
  const store = await openExistingStore(g);
  if (!store) {
    g.io.out(absent(g.dbFile));
    return 0;
  }
  try {
    return await read(store);
  } finally {
    store.close();
  }
}

/** Every finding matching `q`, page by page, up to MAX_FINDINGS_READ. */
export function readAllFindings(store: Store, q: FindingQuery = {}): Finding[] {
  const out: Finding[] = [];
  while (out.length < MAX_FINDINGS_READ) {
    const page = store.listFindings({ ...q, limit: FINDINGS_PAGE, offset: out.length });
    out.push(...page);
    if (page.length < FINDINGS_PAGE) break;
  }
  return out;
}

/** The device id for `--device`: a configured or stored device name, else the argument itself (MAC or IP). */
export function resolveDeviceId(g: Globals, store: Store, arg: string): string {
  const stored = store.listDevices();
  const d = findDevice(g.config(), arg);
  if (d) {
    const known = [d.mac, d.ip].find((id) => id !== undefined && stored.some((s) => s.id === id));
    return known ?? d.mac ?? d.ip ?? arg;
  }
  const byName = stored.find((s) => s.name === arg);
  if (byName) return byName.id;
  return /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i.test(arg) ? arg.toLowerCase().replace(/-/g, ':') : arg;
}

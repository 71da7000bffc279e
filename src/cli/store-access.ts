/**
 * How commands reach the store: open the database only if it exists (reading commands never create one), read
 * every finding in bounded pages, turn a `--device` argument (configured name, MAC or IP) into a device id, and the
 * scope options (`--device`, `--host`, `--capture`, `--since`, `--until`) into a store query.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { deviceName, findDevice } from '../config.ts';
import { InputError } from '../errors.ts';
import type { Finding } from '../model/finding.ts';
import type { FlowRecord } from '../model/records.ts';
import type { FindingQuery, FlowQuery, Store } from '../store/types.ts';
import { type Globals, type Parsed, str } from './command.ts';
import { UsageError } from './errors.ts';
import { parseTime } from './time.ts';

/** Findings a command reads at most (a bound on memory; a larger store is read in part and says so). */
export const MAX_FINDINGS_READ = 1_000_000;

/** The store if the database file exists, else undefined; a file that is not a usable database is an InputError. */
export async function openExistingStore(g: Globals): Promise<Store | undefined> {
  if (!existsSync(g.dbFile)) return undefined;
  return g.openStore(g.dbFile);
}

/**
 * Why a database could not be opened or created, as one line for an InputError (exit 2): a directory, a missing
 * directory, a file that is not a SQLite database, or what SQLite said.
 */
export function storeOpenError(file: string, err: unknown): InputError {
  const e = err as NodeJS.ErrnoException;
  let why = e instanceof Error ? e.message : String(err);
  if (isDirectory(file)) why = 'it is a directory';
  else if (e.code === 'ENOENT') why = `no such directory ${dirname(file)}`;
  else if (e.code === 'EACCES' || e.code === 'EPERM') why = 'permission denied';
  else if (e.code === 'SQLITE_NOTADB') why = 'not a toyscope database (not SQLite)';
  return new InputError(`cannot open database ${file}: ${why}`);
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
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

/** Flows a command reads at most (records only, no messages). */
export const MAX_FLOWS_READ = 1_000_000;

/**
 * Every flow matching `q`, oldest first, up to MAX_FLOWS_READ: one query (pages by OFFSET would sort the matches
 * again for every page).
 */
export function readAllFlows(store: Store, q: FlowQuery = {}): FlowRecord[] {
  return store.listFlows({ ...q, limit: MAX_FLOWS_READ, offset: 0 }).reverse();
}

/**
 * Every finding matching `q`, newest first, up to MAX_FINDINGS_READ: one query (pages by OFFSET sorted every match
 * again per page, quadratic in the findings of a capture).
 */
export function readAllFindings(store: Store, q: FindingQuery = {}): Finding[] {
  return store.listFindings({ ...q, limit: MAX_FINDINGS_READ, offset: 0 });
}

/**
 * The device id for `--device`: a configured or stored device name, a MAC or an IP of a device the store knows.
 * A device the store does not know is an InputError naming it and the known ones (exit 2), never an empty list.
 */
export function resolveDeviceId(g: Globals, store: Store, arg: string): string {
  const stored = store.listDevices();
  const config = g.config();
  const d = findDevice(config, arg);
  const candidates = d
    ? [d.mac, d.ip].filter((id): id is string => id !== undefined)
    : [arg, arg.toLowerCase().replace(/-/g, ':')];
  const byName = stored.find((s) => s.name === arg);
  const hit = byName ?? stored.find((s) => candidates.includes(s.id));
  if (hit) return hit.id;
  const known = stored.map((s) => {
    const name = deviceName(config, s.id);
    return name === s.id ? s.id : `${name} (${s.id})`;
  });
  const list = known.length === 0 ? 'the database has no devices yet' : `known devices: ${known.join(', ')}`;
  throw new InputError(`no device '${arg}' in the database; ${list}`);
}

/** The capture id for `--capture`: a sha256 or a unique prefix of at least 4 hex digits. */
export function resolveCaptureId(g: Globals, store: Store, arg: string, command: string): string {
  const prefix = arg.toLowerCase();
  if (!/^[0-9a-f]{4,64}$/.test(prefix)) {
    throw new UsageError(`--capture: expected a sha256 (or at least 4 hex digits of one), got '${arg}'`, command);
  }
  const hits = store.listCaptures().filter((c) => c.id.startsWith(prefix));
  if (hits.length === 1) return hits[0]!.id;
  if (hits.length === 0) throw new InputError(`no capture ${arg} in the database ('${g.hint('captures')}' lists them)`);
  throw new UsageError(`--capture ${arg} matches ${hits.length} captures; give more digits`, command);
}

/** The scope options reading commands share: `--device`, `--host`, `--capture`, `--since` and `--until`. */
export type Scope = Pick<FindingQuery & FlowQuery, 'deviceId' | 'host' | 'captureId' | 'sinceTs' | 'untilTs'>;

/** The scope the options of `p` name, resolved against the store (an unknown device or capture is an error). */
export function scopeOf(p: Parsed, g: Globals, store: Store, command: string): Scope {
  const q: Scope = {};
  const device = str(p, 'device');
  if (device) q.deviceId = resolveDeviceId(g, store, device);
  const host = str(p, 'host');
  if (host) q.host = host.toLowerCase();
  const capture = str(p, 'capture');
  if (capture) q.captureId = resolveCaptureId(g, store, capture, command);
  const since = str(p, 'since');
  if (since) q.sinceTs = parseTime('--since', since, command);
  const until = str(p, 'until');
  if (until) q.untilTs = parseTime('--until', until, command);
  return q;
}

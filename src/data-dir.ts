/**
 * The data directory (`--data-dir`, default ./toyscope-data): where the database, the CA, the dashboard token
 * and the TLS key log live. It resolves the paths and creates the folder (mode 0700) when a command needs it;
 * it never changes the mode of a folder that already exists and never deletes anything.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from './errors.ts';

export const DEFAULT_DATA_DIR = 'toyscope-data';

/** The paths inside a data directory (Contracts: Data directory). */
export interface DataDirPaths {
  dir: string;
  db: string;
  config: string;
  ca: string;
  dashboardToken: string;
  keylog: string;
}

/** The paths of a data directory, without touching the disk. */
export function dataDirPaths(dir: string = DEFAULT_DATA_DIR): DataDirPaths {
  const abs = resolve(dir);
  return {
    dir: abs,
    db: join(abs, 'toyscope.db'),
    config: join(abs, 'toyscope.yaml'),
    ca: join(abs, 'ca'),
    dashboardToken: join(abs, 'dashboard-token'),
    keylog: join(abs, 'keylog.txt'),
  };
}

/** Creates the folder with mode 0700 if missing; throws InputError if the path exists and is not a folder. */
export function ensureDataDir(dir: string): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new InputError(`data directory ${dir} exists and is not a folder`);
    return;
  }
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new InputError(`cannot create data directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/**
 * The data directory (`--data-dir`, default ./toyscope-data): where the database, the CA, the dashboard token
 * and the TLS key log live. It resolves the paths and creates the folder (mode 0700) when a command needs it;
 * it never changes the mode of a folder that already exists, and deletes only what a purge names inside it
 * (`deleteDataFiles`).
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  realpathSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InputError, systemReason } from './errors.ts';

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
    throw new InputError(`cannot create data directory ${dir}: ${systemReason(err)}`);
  }
}

/** `file` lies inside `dir` once symbolic links are resolved (a link out of the data directory does not count). */
export function isInside(dir: string, file: string): boolean {
  try {
    const rel = relative(realpathSync(dir), realpathSync(file));
    return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
  } catch {
    return false; // missing
  }
}

/** Overwrites a regular file with zeros, then unlinks it (the bytes do not linger in the file's old blocks). */
function shred(file: string): void {
  const fd = openSync(file, 'r+');
  try {
    const size = fstatSync(fd).size;
    const zeros = Buffer.alloc(Math.min(size, 1 << 20));
    for (let at = 0; at < size; at += zeros.length) writeSync(fd, zeros, 0, Math.min(zeros.length, size - at), at);
  } finally {
    closeSync(fd);
  }
  unlinkSync(file);
}

/**
 * Deletes what a purge covers: the saved captures among `capturePaths` that lie inside the data directory (a
 * capture the user replayed from elsewhere is theirs, never touched) and, with `keylog`, the TLS key log.
 * Returns the files deleted.
 */
export function deleteDataFiles(dir: string, covered: { capturePaths: string[]; keylog: boolean }): string[] {
  const paths = dataDirPaths(dir);
  const files = covered.capturePaths.filter((f) => isInside(paths.dir, f) && statSync(f).isFile());
  if (covered.keylog && existsSync(paths.keylog)) files.push(paths.keylog);
  for (const f of files) shred(f);
  return files;
}

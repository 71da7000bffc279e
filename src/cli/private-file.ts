/**
 * Files a command writes personal data into (evidence clips and photos, HAR exports, reports): created mode 0600,
 * never overwritten without --force, and every failure a one-line InputError.
 */
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { InputError, systemReason } from '../errors.ts';

const exists = (file: string) => new InputError(`${file} exists; use --force to overwrite it`);

/** Refuses an existing `file` without `force`, before a command does the work whose result goes there. */
export function refuseExisting(file: string, force: boolean): void {
  if (!force && existsSync(file)) throw exists(file);
}

/** Opens `file` for writing, mode 0600 when created; an existing file only with `force`. Returns the descriptor. */
export function openPrivateFile(file: string, force: boolean): number {
  try {
    return openSync(file, force ? 'w' : 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw exists(file);
    throw new InputError(`cannot write ${file}: ${systemReason(err)}`);
  }
}

/** Writes `bytes` to `file` as openPrivateFile opens it (new, mode 0600; an existing file only with `force`). */
export function writePrivateFile(file: string, bytes: Uint8Array, force: boolean): void {
  const fd = openPrivateFile(file, force);
  try {
    writeSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
}

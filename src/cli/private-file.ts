/**
 * Files a command writes personal data into (evidence clips and photos, HAR exports): created mode 0600, never
 * overwritten without --force, and every failure a one-line InputError. Opening only; the caller writes and closes.
 */
import { openSync } from 'node:fs';
import { InputError } from '../errors.ts';

/** Opens `file` for writing, mode 0600 when created; an existing file only with `force`. Returns the descriptor. */
export function openPrivateFile(file: string, force: boolean): number {
  try {
    return openSync(file, force ? 'w' : 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new InputError(`${file} exists; use --force to overwrite it`);
    throw new InputError(`cannot write ${file}: ${(err as Error).message}`);
  }
}

/**
 * Errors every surface shares (CLI, proxy, dashboard): input a user can fix, as opposed to a bug. Each surface
 * decides how to show them (the CLI: one line and exit 2, see src/cli/errors.ts). No formatting here.
 */

/** A configuration or policy file that cannot be read or does not validate; the message names file and key path. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Input that cannot be used: a missing database, an unreadable file, a refused confirmation. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

/** Words for the system error codes a user meets (`no such file`, `address already in use`), else the code. */
const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available on this machine',
};

/** Why a file or socket operation failed, in words: `no such file`, `permission denied`, or the code. */
export function systemReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return (e?.code && REASONS[e.code]) ?? e?.code ?? (err instanceof Error ? err.message : String(err));
}

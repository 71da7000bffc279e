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

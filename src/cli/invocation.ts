/**
 * How the user can run toyscope again, for the hints the CLI prints ("replay a capture with 'toyscope replay
 * …'"): `toyscope` when it is on their PATH (npm link, a global install), else `npx toyscope` from the checkout.
 * npx puts the project's node_modules/.bin on PATH for its own child only, so those entries do not count.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** `toyscope` or `npx toyscope`. */
export function invocation(env: Record<string, string | undefined>): string {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '' || /node_modules[/\\]\.bin$/.test(dir)) continue;
    try {
      accessSync(join(dir, 'toyscope'), constants.X_OK);
      return 'toyscope';
    } catch {
      // not here
    }
  }
  return 'npx toyscope';
}

/** A value as one shell word in a hint: as it is when plain, else in double quotes (`"lab data"`). */
export function shellWord(v: string): string {
  return /^[\w@%+=:,./~-]+$/.test(v) ? v : `"${v.replace(/["\\$`]/g, '\\$&')}"`;
}

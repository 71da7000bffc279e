/**
 * Debian tools a test drives (dig, curl, opusdec …): whether one is installed, and an `it` that needs some.
 * `.ci/run` installs every tool a test needs, so under CI=true such a test always runs (and fails without it);
 * elsewhere it is skipped, saying which tool is missing.
 */
import { spawnSync } from 'node:child_process';
import { it } from 'vitest';

/** Whether `tool` is a command on PATH. */
export function hasTool(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v '${tool.replace(/'/g, '')}'`], { stdio: 'ignore' }).status === 0;
}

/** `it` for a test that runs `tools`: skipped when one is missing, except under CI=true. */
export function itWithTools(...tools: string[]): typeof it.skip {
  return it.skipIf(process.env.CI !== 'true' && tools.some((t) => !hasTool(t)));
}

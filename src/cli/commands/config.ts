/**
 * `toyscope config check`: loads and validates toyscope.yaml (and the policy it names), then prints the resolved
 * configuration with every default filled in. Exit 0 valid, 2 invalid. It never writes the file.
 */
import { join } from 'node:path';
import { configLimits } from '../../config.ts';
import { yaml } from '../../lazy-packages.ts';
import { loadPolicy } from '../../policy.ts';
import { type Command, parseCommandArgs, subcommand } from '../command.ts';
import { EXIT } from '../errors.ts';

const USAGE = `Usage: toyscope config check

Validates the configuration (toyscope.yaml) and the policy file it names, then prints the
resolved configuration: every default filled in, paths made absolute, the effective limits.
An unknown key or a wrong value is an error naming the key, e.g.
  toyscope: toyscope.yaml: devices[1].mac: expected a MAC address like aa:bb:cc:dd:ee:ff

The file is --config FILE, else DATA_DIR/toyscope.yaml if it exists (DATA_DIR = --data-dir,
default ./toyscope-data); with neither, the defaults are shown. examples/toyscope.yaml has
every section.

Examples:
  toyscope config check
  toyscope --config lab/toyscope.yaml config check

Exit codes: 0 valid, 2 invalid or unreadable.`;

export const config: Command = {
  name: 'config',
  usage: USAGE,

  async run(argv, g) {
    const cmd = subcommand('config', argv, ['check'], USAGE, g.io);
    if (!cmd) return EXIT.ok;
    const { rest } = cmd;
    if (parseCommandArgs('config check', rest, {}).help) {
      g.io.out(`${USAGE}\n`);
      return EXIT.ok;
    }
    const c = g.config();
    if (c.policy) loadPolicy(c.policy);
    const { file, ...resolved } = c;
    const header = file
      ? `# ${file}: valid`
      : `# no configuration file (looked for ${join(g.dataDir, 'toyscope.yaml')}); defaults:`;
    g.io.out(`${header}\n${yaml().stringify({ ...resolved, limits: configLimits(c) })}`);
    return EXIT.ok;
  },
};

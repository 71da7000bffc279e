/**
 * The CLI without the process: takes argv, I/O and a store opener, resolves the global options, dispatches to a
 * command and turns typed errors into one line and an exit code. main.ts binds it to the real process; tests
 * call `runCli` directly. No command logic here.
 */
import { existsSync } from 'node:fs';
import { type Config, loadConfig } from '../config.ts';
import { dataDirPaths, ensureDataDir } from '../data-dir.ts';
import type { Store } from '../store/types.ts';
import { VERSION } from '../version.ts';
import type { CliIo, Globals } from './command.ts';
import { COMMANDS } from './commands/index.ts';
import { describeError, EXIT, UsageError } from './errors.ts';
import { invocation, shellWord } from './invocation.ts';
import { storeOpenError } from './store-access.ts';

/** Options every command accepts, before or after the command name. */
const GLOBAL_OPTIONS = ['--data-dir', '--config', '--db'] as const;
type GlobalFlags = Partial<Record<(typeof GLOBAL_OPTIONS)[number], string>>;

export interface CliDeps {
  /** Opens the store at a path (creating it); main.ts passes src/store/db.ts `openStore`. */
  openStore(file: string): Promise<Store>;
}

export { VERSION };

/** Runs one command line; never throws. Returns the exit code. */
export async function runCli(argv: string[], io: CliIo, deps: CliDeps): Promise<number> {
  try {
    return await dispatch(argv, io, deps);
  } catch (err) {
    const { lines, code } = describeError(err, Boolean(io.env.TOYSCOPE_DEBUG), invocation(io.env));
    io.err(`${lines.join('\n')}\n`);
    return code;
  }
}

async function dispatch(argv: string[], io: CliIo, deps: CliDeps): Promise<number> {
  const { flags, rest } = extractGlobals(argv);
  const [first, ...args] = rest;
  // Bare `toyscope` is a newcomer's first try: the help, not an error.
  if (first === undefined || first === '--help' || first === '-h' || (first === 'help' && args.length === 0)) {
    io.out(`${topUsage()}\n`);
    return EXIT.ok;
  }
  if (first === '--version' || first === '-V') {
    io.out(`toyscope ${VERSION}\n`);
    return EXIT.ok;
  }
  if (first.startsWith('-')) throw new UsageError(`unknown option '${first}'`);
  if (first === 'help') return dispatch([args[0]!, '--help'], io, deps);
  const cmd = COMMANDS.find((c) => c.name === first);
  if (!cmd) throw new UsageError(`unknown command '${first}'${suggest(first)}`);
  return (await cmd.load()).run(args, makeGlobals(flags, io, deps));
}

/** Pulls `--data-dir DIR`, `--config FILE`, `--db FILE` (or `--x=v`) out of argv wherever they are, up to `--`. */
function extractGlobals(argv: string[]): { flags: GlobalFlags; rest: string[] } {
  const flags: GlobalFlags = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const [name, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const opt = GLOBAL_OPTIONS.find((o) => o === name);
    if (!opt) {
      rest.push(a);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || value === '' || (inline === undefined && value.startsWith('--'))) {
      throw new UsageError(`option '${opt}' needs a value`);
    }
    flags[opt] = value;
  }
  return { flags, rest };
}

function makeGlobals(flags: GlobalFlags, io: CliIo, deps: CliDeps): Globals {
  const paths = dataDirPaths(flags['--data-dir']);
  const configFile = flags['--config'] ?? (existsSync(paths.config) ? paths.config : undefined);
  const dbFile = flags['--db'] ?? paths.db;
  let config: Config | undefined;
  let tool: string | undefined;
  // Hints repeat the global options given, so what they say to run reads the same data.
  const given = GLOBAL_OPTIONS.filter((o) => flags[o] !== undefined)
    .map((o) => ` ${o} ${shellWord(flags[o]!)}`)
    .join('');
  return {
    dataDir: paths.dir,
    dbFile,
    configFile,
    io,
    config: () => {
      config ??= loadConfig(configFile);
      return config;
    },
    openStore: async (file) => {
      if (file === paths.db) ensureDataDir(paths.dir);
      try {
        return await deps.openStore(file);
      } catch (err) {
        throw storeOpenError(file, err); // a directory, a missing directory, not a database: bad input, exit 2
      }
    },
    hint: (args) => {
      tool ??= invocation(io.env);
      return `${tool}${given} ${args}`;
    },
  };
}

function suggest(name: string): string {
  const hit = COMMANDS.find((c) => c.name.startsWith(name.slice(0, 3)));
  return hit ? ` (did you mean '${hit.name}'?)` : '';
}

/** `toyscope --help`. */
export function topUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const list = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n');
  return `toyscope ${VERSION}: find what personal data smart toys and home devices send to the cloud.

Usage: toyscope [global options] <command> [options]

Commands:
${list}

Global options (before or after the command):
  --data-dir DIR   where toyscope keeps its database, CA and settings (default ./toyscope-data,
                   created with mode 0700)
  --config FILE    configuration file (default DATA_DIR/toyscope.yaml if it exists)
  --db FILE        database file (default DATA_DIR/toyscope.db)
  -h, --help       show this help; 'toyscope <command> --help' for one command
  -V, --version    print the version

Examples:
  toyscope replay toy.pcapng --policy policy.yaml --junit privacy.xml
  toyscope findings --device teddy
  toyscope flows --with-findings
  toyscope evidence export 3fa9c2d4e5f6:12/e0 -o clip.wav
  toyscope policy check --policy examples/policy.yaml --junit policy.xml
  toyscope purge --older-than 30d

Exit codes: 0 success, 1 policy violations, 2 bad arguments, configuration or input,
3 internal error (run with TOYSCOPE_DEBUG=1 for the stack).
Running it: 'npx toyscope …' from the checkout; to type 'toyscope …' anywhere, put it on your PATH
once with 'npm link' (or 'npm install --global .') in the checkout.
Docs: docs/cli.md (commands, JSON output), docs/policy.md (policy files).`;
}

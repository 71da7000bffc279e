/**
 * What every CLI command is and gets: the `Command` shape main.ts dispatches to, the globals resolved from
 * `--data-dir/--config/--db`, the I/O it writes to (injectable for tests), and one argument parser over
 * node:util parseArgs that turns its errors into short UsageErrors. No command logic here.
 */
import { parseArgs } from 'node:util';
import type { Config } from '../config.ts';
import type { Store } from '../store/types.ts';
import { UsageError } from './errors.ts';

/** Where a command reads and writes; the real process or a test double. */
export interface CliIo {
  out(text: string): void;
  /** Binary output (an evidence blob) on stdout. */
  outBytes(bytes: Uint8Array): void;
  err(text: string): void;
  /** stdout is a terminal: no binary data there. */
  stdoutIsTerminal: boolean;
  /** stdin and stdout are a terminal (confirmation prompts allowed). */
  interactive: boolean;
  /** Reads one answer line from the user (only called when `interactive`). */
  ask(question: string): Promise<string>;
  env: Record<string, string | undefined>;
  /** Standard input for `replay -` (default: the process's). */
  stdin?: () => AsyncIterable<Uint8Array>;
}

/** Resolved global options, shared by every command. */
export interface Globals {
  dataDir: string;
  dbFile: string;
  /** `--config`, else DATA_DIR/toyscope.yaml when it exists, else undefined (defaults). */
  configFile: string | undefined;
  io: CliIo;
  /** The configuration, loaded and validated once on first call (throws ConfigError). */
  config(): Config;
  /** Opens (creating if needed) the store at `file`. */
  openStore(file: string): Promise<Store>;
  /**
   * `toyscope args` as the user can type it: `toyscope …` on their PATH, else `npx toyscope …`, with the
   * `--data-dir`, `--config` and `--db` this run was given (`npx toyscope --data-dir lab findings`).
   */
  hint(args: string): string;
}

export interface Command {
  name: string;
  /** The whole `toyscope <name> --help` text. */
  usage: string;
  /** Returns the exit code; throws UsageError/ConfigError/InputError for the top-level handler. */
  run(argv: string[], globals: Globals): Promise<number>;
}

/** parseArgs options; `multiple` collects a repeated string option (`--resolve A --resolve B`). */
export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  help: boolean;
}

/** parseArgs with `-h/--help` added and its errors rewritten as one-line UsageErrors naming `command`. */
export function parseCommandArgs(command: string, argv: string[], options: OptionSpec, maxPositionals = 0): Parsed {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    throw new UsageError(parseArgsMessage(err), command);
  }
  const values = parsed.values as Parsed['values'];
  if (values.help) return { values, positionals: parsed.positionals, help: true };
  const extra = parsed.positionals[maxPositionals];
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`, command);
  return { values, positionals: parsed.positionals, help: false };
}

/** node's parseArgs messages are long and suggest `--`; say the same thing in a few words. */
function parseArgsMessage(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const name = /'(-[^' ]+)/.exec(e.message ?? '')?.[1] ?? '';
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option '${name}'`;
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return /argument missing/.test(e.message ?? '')
      ? `option '${name}' needs a value`
      : `option '${name}' takes no value`;
  }
  return (e.message ?? String(err)).split('\n')[0]!;
}

/** A string option's value, or undefined. */
export function str(p: Parsed, key: string): string | undefined {
  const v = p.values[key];
  return typeof v === 'string' ? v : undefined;
}

/** A repeated string option's values, in order (none: an empty list). */
export function strs(p: Parsed, key: string): string[] {
  const v = p.values[key];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

/** A boolean option's value. */
export function flag(p: Parsed, key: string): boolean {
  return p.values[key] === true;
}

/** `--limit N`: a whole number from 1 to `max`, else `fallback` when absent. */
export function parseLimit(v: string | undefined, fallback: number, command: string, max?: number): number;
export function parseLimit(
  v: string | undefined,
  fallback: number | undefined,
  command: string,
  max?: number,
): number | undefined;
export function parseLimit(
  v: string | undefined,
  fallback: number | undefined,
  command: string,
  max = 100_000,
): number | undefined {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > max) {
    throw new UsageError(`--limit: expected a whole number from 1 to ${max}, got '${v}'`, command);
  }
  return n;
}

/**
 * `toyscope <command> <sub> …`: the sub-command and its arguments, or undefined after printing `usage` for
 * `-h`/`--help`; a missing or unknown sub-command is a UsageError naming the ones there are.
 */
export function subcommand(
  command: string,
  argv: string[],
  subs: readonly string[],
  usage: string,
  io: CliIo,
): { sub: string; rest: string[] } | undefined {
  const [sub, ...rest] = argv;
  if (sub === '-h' || sub === '--help') {
    io.out(`${usage}\n`);
    return undefined;
  }
  if (sub !== undefined && subs.includes(sub)) return { sub, rest };
  const names = subs.map((s) => `'${s}'`).join(' or ');
  throw new UsageError(
    sub === undefined
      ? `missing subcommand: 'toyscope ${command} ${subs.join('|')}'`
      : `unknown subcommand '${command} ${sub}' (expected ${names})`,
    command,
  );
}

/** Runs the CLI in this process (src/cli/cli.ts `runCli`) with captured output: fast, for option and error tests. */
import { runCli } from '../../src/cli/cli.ts';
import type { CliIo } from '../../src/cli/command.ts';
import type { Store } from '../../src/store/types.ts';
import { FakeStore } from './fake-store.ts';

export interface CliRun {
  code: number;
  out: string;
  err: string;
  /** Questions the command asked (confirmation prompts). */
  asked: string[];
}

export interface CliRunOptions {
  /** The store every openStore returns; default an empty FakeStore. */
  store?: Store;
  interactive?: boolean;
  /** What the user answers to every question. */
  answer?: string;
}

export async function runCliInProcess(argv: string[], opts: CliRunOptions = {}): Promise<CliRun> {
  const r: CliRun = { code: -1, out: '', err: '', asked: [] };
  const store = opts.store ?? new FakeStore();
  const io: CliIo = {
    out: (t) => {
      r.out += t;
    },
    outBytes: () => {},
    err: (t) => {
      r.err += t;
    },
    stdoutIsTerminal: false,
    interactive: opts.interactive ?? false,
    ask: async (q) => {
      r.asked.push(q);
      return opts.answer ?? '';
    },
    env: {},
  };
  r.code = await runCli(argv, io, { openStore: async () => store });
  return r;
}

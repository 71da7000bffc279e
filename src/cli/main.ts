/**
 * The `toyscope` process: binds runCli (cli.ts) to argv, stdout/stderr/stdin, the terminal and the real store,
 * and sets the exit code. A reader that goes away (`toyscope findings | head -1`) ends the output quietly: no
 * EPIPE stack, the command finishes with its own exit code. Everything testable lives in cli.ts and commands/.
 */
import { createInterface } from 'node:readline/promises';
import { runCli } from './cli.ts';
import type { CliIo } from './command.ts';

/** Standard output was closed by its reader: later output is dropped. */
let stdoutClosed = false;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  stdoutClosed = true;
});
const out = (data: string | Uint8Array): void => {
  if (!stdoutClosed) process.stdout.write(data);
};

const io: CliIo = {
  out,
  outBytes: out,
  err: (text) => process.stderr.write(text),
  stdoutIsTerminal: Boolean(process.stdout.isTTY),
  interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
  async ask(question) {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  },
  env: process.env,
  stdin: () => process.stdin,
};

process.exitCode = await runCli(process.argv.slice(2), io, {
  // Loaded on demand: `--help` and usage errors never load SQLite.
  openStore: async (file) => (await import('../store/db.ts')).openStore(file),
});

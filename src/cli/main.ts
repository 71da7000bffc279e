/**
 * The `toyscope` process: binds runCli (cli.ts) to argv, stdout/stderr, the terminal and the real store, and
 * sets the exit code. Everything testable lives in cli.ts and commands/.
 */
import { createInterface } from 'node:readline/promises';
import { runCli } from './cli.ts';
import type { CliIo } from './command.ts';

const io: CliIo = {
  out: (text) => process.stdout.write(text),
  outBytes: (bytes) => process.stdout.write(bytes),
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
};

process.exitCode = await runCli(process.argv.slice(2), io, {
  // Loaded on demand: `--help` and usage errors never load SQLite.
  openStore: async (file) => (await import('../store/db.ts')).openStore(file),
});

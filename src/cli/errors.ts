/**
 * The typed errors the CLI turns into one line and exit code 2 (never a stack trace), and the exit codes.
 * Anything else reaching the top level is a bug: one line, exit 3, the stack only with TOYSCOPE_DEBUG=1.
 * Not a logger and not a place for output formatting beyond one line.
 */
import { ConfigError, InputError } from '../errors.ts';

/** Exit codes shared by every command (docs/cli.md § Exit codes). */
export const EXIT = Object.freeze({ ok: 0, violations: 1, usage: 2, internal: 3 });

/** A wrong command line: unknown command or flag, missing argument, bad value. Printed with a `--help` hint. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The command whose help to suggest (`findings`, `policy check`), or undefined for the top level. */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}

/**
 * Control characters, line breaks and the invisible characters that reorder or hide text on a terminal (bidi
 * controls such as U+202E, zero-width characters, line separators, BOM) made visible as `\xNN` / `\u{NNNN}`, so
 * one message stays one line and captured text cannot disguise itself or drive the terminal.
 */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g, (c) => {
    if (c === '\n') return ' ';
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/**
 * What the top-level handler prints for an error, and the exit code; `tool` is how the user runs toyscope
 * (src/cli/invocation.ts), for the `--help` hint.
 */
export function describeError(err: unknown, debug: boolean, tool = 'toyscope'): { lines: string[]; code: number } {
  if (err instanceof UsageError) {
    const help = err.command ? `${tool} ${err.command} --help` : `${tool} --help`;
    return { lines: [`toyscope: ${oneLine(err.message)}`, `Try '${help}'.`], code: EXIT.usage };
  }
  if (err instanceof ConfigError || err instanceof InputError) {
    return { lines: [`toyscope: ${oneLine(err.message)}`], code: EXIT.usage };
  }
  const message = err instanceof Error ? err.message : String(err);
  if (debug && err instanceof Error && err.stack) {
    return { lines: [`toyscope: internal error: ${oneLine(message)}`, err.stack], code: EXIT.internal };
  }
  return {
    lines: [`toyscope: internal error: ${oneLine(message)} (run with TOYSCOPE_DEBUG=1 for the stack)`],
    code: EXIT.internal,
  };
}

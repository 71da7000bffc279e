/** Runs `bin/toyscope.js` as a child process, as a lab tester or CI does, and returns its exit code and output. */
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/toyscope.js');

/** The recorded fixture cases (fixtures/<case>/capture.pcap …). */
export const FIXTURES = join(import.meta.dirname, '../../fixtures');

export interface ToyscopeRun {
  code: number;
  out: string;
  err: string;
}

/** How to start the child beyond its arguments. */
export interface RunOptions {
  /** Options for node itself, before the script (`--import` a preload). */
  nodeArgs?: string[];
  /** Killed past this; default 60 s. */
  timeoutMs?: number;
  /** Written to the child's standard input, which is then closed (closed at once without it). */
  input?: Uint8Array;
}

/** `toyscope …args`; a non-zero exit is a result, not a throw (at most 60 s). */
export function toyscope(...args: string[]): Promise<ToyscopeRun> {
  return toyscopeWith({}, ...args);
}

/** `toyscope …args` with node options or a longer timeout. */
export async function toyscopeWith(opts: RunOptions, ...args: string[]): Promise<ToyscopeRun> {
  const argv = [...(opts.nodeArgs ?? []), BIN, ...args];
  const running = execFileAsync(process.execPath, argv, { timeout: opts.timeoutMs ?? 60_000 });
  running.child.stdin?.on('error', () => {}); // a child that exits without reading all of it
  running.child.stdin?.end(opts.input);
  try {
    const { stdout, stderr } = await running;
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

/** A `toyscope proxy` child listening on a port it chose (`--listen 127.0.0.1:0` among `args`). */
export interface LiveProxy {
  child: ChildProcessWithoutNullStreams;
  port: string;
  /** Standard output and error so far. */
  out(): string;
  err(): string;
  /** The exit code, once it exits. */
  exited: Promise<number | null>;
}

/** Starts `toyscope …args` (a `proxy` run) and waits for its banner to name the port (at most 90 s). */
export async function startLiveProxy(...args: string[]): Promise<LiveProxy> {
  const child = spawn(process.execPath, [BIN, ...args]);
  let out = '';
  let err = '';
  child.stdout.on('data', (b) => {
    out += b;
  });
  child.stderr.on('data', (b) => {
    err += b;
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const listening = /listening on 127\.0\.0\.1:(\d+)/;
  for (const end = Date.now() + 90_000; !listening.test(err); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() > end || child.exitCode !== null) {
      child.kill();
      throw new Error(`no banner: ${err}`);
    }
  }
  return { child, port: listening.exec(err)![1]!, out: () => out, err: () => err, exited };
}

#!/usr/bin/env node
// Entry point for `toyscope` / `npx toyscope`. Runs dist/ (bin/build.mjs, run by npm's `prepare`) when it is there
// and no source it was built from is newer; otherwise the TypeScript sources through tsx, so a checkout being edited
// always runs what is on disk. TOYSCOPE_TSX=1 forces the sources.
import { readFileSync, statSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// Under a fast allocation rate (a replay of 400,000 connections makes gigabytes of short-lived records) V8 lets the
// heap grow to several times what is live before it collects. Growing it by at most 20% per collection keeps the
// peak near what the limits allow (docs/adr/0015-heap-growth.md). Set first: it is read at every collection.
setFlagsFromString('--heap-growing-percent=20');

const root = new URL('../', import.meta.url);

/**
 * A replay of large captures runs in a second process, started with the V8 flags and malloc settings of
 * ./replay-process.js (read when a process starts only); this one waits and passes on its exit and the signals it
 * gets. It costs one more node start-up (≈ 0.1 s) and never changes a result, so only a replay whose named files
 * reach LARGE_REPLAY_BYTES takes it: the small captures CI replays by the hundred start at once, and their memory is
 * far below the goal anyway (TOYSCOPE_LARGE_REPLAY_BYTES sets another bound: 0 for every replay). TOYSCOPE_RESPAWNED
 * marks the second process; a channel to the first ends it when the first is killed.
 */
const LARGE_REPLAY_BYTES = Number(process.env.TOYSCOPE_LARGE_REPLAY_BYTES || 64 * 1024 * 1024);

/** Bytes of the regular files among the arguments (the captures a replay names; a directory or an option is none). */
function namedFileBytes(args) {
  let bytes = 0;
  for (const a of args) {
    try {
      const s = statSync(a);
      if (s.isFile()) bytes += s.size;
    } catch {
      // not a file: an option, a value, a missing path (the replay reports it)
    }
  }
  return bytes;
}

if (
  process.argv.includes('replay') &&
  process.env.TOYSCOPE_RESPAWNED !== '1' &&
  namedFileBytes(process.argv.slice(2)) >= LARGE_REPLAY_BYTES
) {
  const { spawn } = await import('node:child_process');
  const { REPLAY_ENV, REPLAY_NODE_FLAGS } = await import('./replay-process.js');
  const child = spawn(process.execPath, [...REPLAY_NODE_FLAGS, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...REPLAY_ENV, TOYSCOPE_RESPAWNED: '1' },
  });
  const forward = (signal) => child.kill(signal);
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, forward);
  const [code, signal] = await new Promise((resolve) => child.on('exit', (...r) => resolve(r)));
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.off(s, forward);
  if (signal) process.kill(process.pid, signal);
  process.exit(code ?? 1);
}
if (process.env.TOYSCOPE_RESPAWNED === '1' && process.channel) {
  // The first process's channel: it closes when that process ends, even by SIGKILL (which it cannot pass on); the
  // replay then ends as it would have, killed (its capture stays marked incomplete).
  process.channel.unref();
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}

/** True when dist/ was built from the sources as they are now (every input older than the build). */
function distIsFresh() {
  try {
    const { builtAt, inputs } = JSON.parse(readFileSync(new URL('dist/inputs.json', root), 'utf8'));
    return inputs.every((f) => statSync(new URL(f, root)).mtimeMs < builtAt);
  } catch {
    return false; // no dist/, an unreadable list, or an input gone: run the sources
  }
}

if (process.env.TOYSCOPE_TSX !== '1' && distIsFresh()) {
  await import('../dist/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}

#!/usr/bin/env node
// Entry point for `toyscope` / `npx toyscope`. Runs dist/ (bin/build.mjs, run by npm's `prepare`) when it is there
// and no source it was built from is newer; otherwise the TypeScript sources through tsx, so a checkout being edited
// always runs what is on disk. TOYSCOPE_TSX=1 forces the sources.
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// Under a fast allocation rate (a replay of 400,000 connections makes gigabytes of short-lived records) V8 lets the
// heap grow to several times what is live before it collects. Growing it by at most 20% per collection keeps the
// peak near what the limits allow (docs/adr/0015-heap-growth.md). Set first: it is read at every collection.
setFlagsFromString('--heap-growing-percent=20');

const root = new URL('../', import.meta.url);

/**
 * A replay runs in a second process started for its memory (docs/adr/0035-replay-process-memory.md): V8's young
 * generation at 4 MiB a semi-space (V8 lets the main thread's grow to 16, 32 MiB of mostly garbage beside ≈ 15 MiB
 * live), glibc's malloc with two arenas instead of one per thread, and a fixed mmap threshold, so a large buffer
 * freed goes back to the system. All three are read when a process starts only; this one waits and passes on the
 * exit. TOYSCOPE_RESPAWNED marks the second process.
 */
const RESPAWN = {
  flags: ['--max-semi-space-size=4'],
  env: { TOYSCOPE_RESPAWNED: '1', MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' },
};
if (process.argv.includes('replay') && process.env.TOYSCOPE_RESPAWNED !== '1') {
  const child = spawn(process.execPath, [...RESPAWN.flags, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, ...RESPAWN.env },
  });
  const forward = (signal) => child.kill(signal);
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, forward);
  const [code, signal] = await new Promise((resolve) => child.on('exit', (...r) => resolve(r)));
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.off(s, forward);
  if (signal) process.kill(process.pid, signal);
  process.exit(code ?? 1);
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

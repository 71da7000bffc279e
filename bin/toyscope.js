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

#!/usr/bin/env node
// Entry point for `npx toyscope`: runs the TypeScript CLI through tsx, so a checkout works after `npm install`.
import { setFlagsFromString } from 'node:v8';

// Under a fast allocation rate (a replay of 400,000 connections makes gigabytes of short-lived records) V8 lets the
// heap grow to several times what is live before it collects. Growing it by at most 20% per collection keeps the
// peak near what the limits allow (docs/adr/0015-heap-growth.md). Set first: it is read at every collection.
setFlagsFromString('--heap-growing-percent=20');

const { register } = await import('tsx/esm/api');
register();
await import('../src/cli/main.ts');

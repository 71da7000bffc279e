#!/usr/bin/env node
// Builds dist/ (npm's `prepare` runs it at install): the CLI and the face worker bundled by esbuild into plain
// ES modules, our sources inlined, packages left to node_modules, each command and other lazy import its own chunk,
// the destinations catalogue (analyzers/data/services.yaml) as dist/services.json, libphonenumber-js's parser
// as one file (dist/phone-numbers.cjs), and the face detector's own weights (src/face/models) as dist/models, where
// the bundled detector looks beside itself.
// It writes dist/inputs.json, the sources the bundle was made from: bin/toyscope.js runs dist/ only while none of
// them is newer than the bundle, and tsx on the sources otherwise. Not a type check: `npm run check` is that.
import { cpSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '..');
const outdir = join(root, 'dist');
rmSync(outdir, { recursive: true, force: true });
const started = Date.now();
const { metafile } = await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/cli/main.ts', 'face-worker': 'src/face/worker.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  metafile: true,
  logLevel: 'warning',
});
// The destinations catalogue as JSON: the bundle reads it instead of parsing YAML at every start.
const catalogue = 'analyzers/data/services.yaml';
writeFileSync(join(outdir, 'services.json'), JSON.stringify(parse(readFileSync(join(root, catalogue), 'utf8'))));
const models = 'src/face/models';
cpSync(join(root, models), join(outdir, 'models'), { recursive: true });
const modelFiles = readdirSync(join(root, models)).map((f) => `${models}/${f}`);
// libphonenumber-js's parser and its metadata as one CommonJS file, only what parsePhoneNumberFromString reaches: its
// package loads ≈ 90 modules (≈ 35 ms of CPU at the first phone number) where this file costs ≈ 10 ms.
// src/lazy-packages.ts requires it from dist/. The package's own package.json is an input: reinstalled, it is newer.
await build({
  absWorkingDir: root,
  stdin: { contents: "export { parsePhoneNumberFromString } from 'libphonenumber-js/max';", resolveDir: root },
  outfile: join(outdir, 'phone-numbers.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
});
const phonePackage = 'node_modules/libphonenumber-js/package.json';
const inputs = [
  ...Object.keys(metafile.inputs).map((f) => relative(root, join(root, f))),
  catalogue,
  phonePackage,
  ...modelFiles,
];
for (const f of inputs) {
  if (statSync(join(root, f)).mtimeMs > started) throw new Error(`${f} changed during the build: run it again`);
}
writeFileSync(join(outdir, 'inputs.json'), `${JSON.stringify({ builtAt: started, inputs }, null, 1)}\n`);

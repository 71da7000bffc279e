// Builds the dashboard's front end into dist/ (run by npm's `prepare`, so `npm install` / `npm ci` leave it
// ready): src/main.js bundled and minified with esbuild into app.js (Preact, htm inside; nothing is fetched at run
// time) and the chunks its dynamic imports load on first use (wavesurfer.js for the player, d3-geo and
// topojson-client for the map), and world-atlas's country outlines copied beside it for the map.
// plugins/static.ts serves dist/ next to the hand-written files in this folder. `--sizes` prints the files and their sizes.
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: join(here, 'src', 'main.js') },
  bundle: true,
  splitting: true,
  chunkNames: 'chunk-[hash]',
  minify: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  outdir: out,
  legalComments: 'eof',
  logLevel: 'warning',
});
const require = createRequire(import.meta.url);
copyFileSync(require.resolve('world-atlas/countries-110m.json'), join(out, 'countries-110m.json'));
if (process.argv.includes('--sizes')) {
  for (const f of readdirSync(out).sort()) console.log(`${f}\t${statSync(join(out, f)).size}`);
}

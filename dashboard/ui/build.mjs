// Builds the dashboard's front end into dist/ (run by npm's `prepare`, so `npm install` / `npm ci` leave it
// ready): src/main.js bundled and minified with esbuild into app.js (Preact, htm and uPlot for the overview's timeline
// inside; nothing is fetched at run time) and the chunks its dynamic imports load on first use (wavesurfer.js for the
// player, d3-geo and topojson-client for the map), world-atlas's country outlines copied beside it for the map and
// uPlot's style sheet for the timeline.
// plugins/static.ts serves dist/ next to the hand-written files in this folder. `--sizes` prints the files and their sizes.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const { metafile } = await build({
  entryPoints: { app: join(here, 'src', 'main.js') },
  metafile: true,
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
// The chunk app.js imports at once (Preact, shared with the lazy chunks) is named in the page, so the browser fetches
// it beside app.js rather than after parsing it: dist/index.html takes the place of ui/index.html.
const app = Object.entries(metafile.outputs).find(([, o]) => o.entryPoint)[1];
const preload = app.imports
  .filter((i) => i.kind === 'import-statement')
  .map((i) => `<link rel="modulepreload" href="/static/${i.path.split('/').pop()}">\n`)
  .join('');
const page = readFileSync(join(here, 'index.html'), 'utf8');
writeFileSync(join(out, 'index.html'), page.replace('</head>', `${preload}</head>`));
const require = createRequire(import.meta.url);
copyFileSync(require.resolve('world-atlas/countries-110m.json'), join(out, 'countries-110m.json'));
copyFileSync(require.resolve('uplot/dist/uPlot.min.css'), join(out, 'uplot.css'));
if (process.argv.includes('--sizes')) {
  for (const f of readdirSync(out).sort()) console.log(`${f}	${statSync(join(out, f)).size}`);
}

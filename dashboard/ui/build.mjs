// Builds the dashboard's front end into dist/ (run by npm's `prepare`, so `npm install` / `npm ci` leave it
// ready): src/main.js bundled and minified with esbuild (Preact, htm, wavesurfer.js, d3-geo, topojson-client, uPlot
// inside; nothing is fetched at run time), world-atlas's country outlines copied beside it for the map and uPlot's
// style sheet for the timeline.
// plugins/static.ts serves dist/ next to the hand-written files in this folder. `--metafile` prints sizes.
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(here, 'src', 'main.js')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  outfile: join(out, 'app.js'),
  legalComments: 'eof',
  logLevel: 'warning',
});
const require = createRequire(import.meta.url);
copyFileSync(require.resolve('world-atlas/countries-110m.json'), join(out, 'countries-110m.json'));
copyFileSync(require.resolve('uplot/dist/uPlot.min.css'), join(out, 'uplot.css'));
if (process.argv.includes('--sizes')) {
  for (const f of ['app.js', 'countries-110m.json', 'uplot.css']) console.log(`${f}\t${statSync(join(out, f)).size}`);
}

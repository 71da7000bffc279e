/**
 * `npm run bench [name…]`: runs every bench/<name>.bench.ts (or the named ones) and prints one JSON line per
 * figure on stdout. Each bench module default-exports `(emit) => Promise<void>`; a figure names its bench, its
 * corpus and what it measures, and sits next to its reference (a plain read of the same bytes, tshark, …).
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Figure = { bench: string } & Record<string, string | number | boolean>;
export type Emit = (figure: Figure) => void;
export type Bench = (emit: Emit) => Promise<void>;

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace('.bench.ts', '')))
  .sort();
if (files.length === 0) {
  process.stderr.write(`no bench matches ${wanted.join(', ')}\n`);
  process.exit(2);
}
for (const file of files) {
  process.stderr.write(`# ${file}\n`);
  const mod = (await import(join(here, file))) as { default: Bench };
  await mod.default((figure) => process.stdout.write(`${JSON.stringify(figure)}\n`));
}

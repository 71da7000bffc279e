// Writes src/store/fresh-schema.ts: the schema the migration chain makes (src/store/migrations.ts), as the
// statements SQLite keeps in sqlite_master after running it on an empty database, in the order it made them, plus
// the rows a migration inserted. A new database runs that script in one transaction instead of the chain.
// Run it after adding a migration: `npx tsx bin/fresh-schema.ts` (test/store/fresh-schema.test.ts fails until then).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, SCHEMA_VERSION } from '../src/store/migrations.ts';

const db = new Database(':memory:');
// The chain itself, step by step (migrate() would take the script this writes, when it is current).
for (const step of MIGRATIONS) step(db);
// SQLite makes some tables itself: sqlite_sequence with the first AUTOINCREMENT table, and a virtual table's shadow
// tables (FTS5's _data, _idx …) with their first rows when the virtual table is created. Neither is in the script.
const own = new Set(
  db.prepare("SELECT name FROM pragma_table_list WHERE type IN ('shadow', 'virtual')").pluck().all() as string[],
);
const shadow = new Set(
  db.prepare("SELECT name FROM pragma_table_list WHERE type = 'shadow'").pluck().all() as string[],
);
const statements = (
  db
    .prepare("SELECT name, sql FROM sqlite_master WHERE sql NOT NULL AND name <> 'sqlite_sequence' ORDER BY rowid")
    .all() as Array<{ name: string; sql: string }>
)
  .filter((r) => !shadow.has(r.name))
  .map((r) => r.sql);
const tables = db
  .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")
  .pluck()
  .all() as string[];
for (const t of tables) {
  if (t === 'sqlite_sequence' || own.has(t)) continue;
  for (const row of db.prepare(`SELECT * FROM "${t}"`).raw().all() as unknown[][]) {
    const values = row.map((v) => (typeof v === 'number' ? String(v) : `'${String(v).replaceAll("'", "''")}'`));
    statements.push(`INSERT INTO ${t} VALUES (${values.join(', ')})`);
  }
}
db.close();

const file = join(import.meta.dirname, '../src/store/fresh-schema.ts');
writeFileSync(
  file,
  `/**
 * The schema of a new database, made by bin/fresh-schema.ts from the migration chain (do not edit: add a migration and
 * run \`npx tsx bin/fresh-schema.ts\`). Creating a new file from this one script, in one transaction, costs a fraction
 * of running every migration; test/store/fresh-schema.test.ts checks both give the same sqlite_master.
 */

/** The schema version the script makes. */
export const FRESH_SCHEMA_VERSION = ${SCHEMA_VERSION};

/** The statements, in order. */
export const FRESH_SCHEMA: readonly string[] = ${JSON.stringify(statements, null, 2)};
`,
);
execFileSync(join(import.meta.dirname, '../node_modules/.bin/biome'), ['format', '--write', file], {
  stdio: 'inherit',
});
process.stdout.write(`${file}: ${statements.length} statements, version ${SCHEMA_VERSION}\n`);

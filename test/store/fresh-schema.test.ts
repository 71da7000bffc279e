import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FRESH_SCHEMA_VERSION } from '../../src/store/fresh-schema.ts';
import { migrate, SCHEMA_VERSION, schemaVersion } from '../../src/store/migrations.ts';
import { tempDir } from '../../testkit/records.ts';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

/** Everything a schema is: sqlite_master's rows as SQLite keeps them, the version, and the rows migrations insert. */
function schema(db: Database.Database): unknown {
  return {
    master: db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name').all(),
    version: schemaVersion(db),
    storeRev: db.prepare('SELECT * FROM store_rev').all(),
  };
}

describe('a new database from one script', () => {
  it('is at the current version: regenerate it with `npx tsx bin/fresh-schema.ts` after adding a migration', () => {
    expect(FRESH_SCHEMA_VERSION).toBe(SCHEMA_VERSION);
  });

  it('has exactly the schema the migration chain makes (sqlite_master, version, rows)', () => {
    const chain = new Database(join(tmp.dir, 'chain.db'));
    migrate(chain, 1); // from 1 on, an existing file: every migration runs
    migrate(chain);
    const script = new Database(join(tmp.dir, 'script.db'));
    migrate(script);
    expect(schema(script)).toEqual(schema(chain));
    chain.close();
    script.close();
  });
});

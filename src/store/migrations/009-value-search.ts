/**
 * Schema version 9: search by value (dashboard search page, src/store/search.ts). Distinct search keys (a value
 * in NFKC, lower case, letters and digits only) live once in `search_values`, with an FTS5 trigram index over them
 * (`search_trigrams`, external content, kept by triggers) for substring queries; each finding points to its key
 * (`findings.value_key`, indexed with first_ts for the newest first). Existing findings get their keys here, from
 * the value stored whole (rows whose value was purged get none). A purge clears `value_key` with the value and
 * removes keys no finding points to (retention.ts).
 */
import type { Migration } from '../migrations.ts';
import { findingSearchKey } from '../search.ts';

export const valueSearch: Migration = (db) => {
  db.exec(`
    CREATE TABLE search_values (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);
    CREATE VIRTUAL TABLE search_trigrams USING fts5(key, content='search_values', content_rowid='id',
      tokenize='trigram');
    CREATE TRIGGER search_values_insert AFTER INSERT ON search_values BEGIN
      INSERT INTO search_trigrams (rowid, key) VALUES (NEW.id, NEW.key);
    END;
    CREATE TRIGGER search_values_delete AFTER DELETE ON search_values BEGIN
      INSERT INTO search_trigrams (search_trigrams, rowid, key) VALUES ('delete', OLD.id, OLD.key);
    END;
    ALTER TABLE findings ADD COLUMN value_key INTEGER;
  `);
  const rows = db
    .prepare('SELECT rowid, excerpt, value FROM findings WHERE value IS NOT NULL')
    .iterate() as IterableIterator<{ rowid: number; excerpt: string; value: string }>;
  const addKey = db.prepare('INSERT OR IGNORE INTO search_values (key) VALUES (?)');
  const setKey = db.prepare(
    'UPDATE findings SET value_key = (SELECT id FROM search_values WHERE key = ?) WHERE rowid = ?',
  );
  const keys: Array<[string, number]> = [];
  for (const r of rows) {
    const key = findingSearchKey({ evidence: { excerpt: r.excerpt, value: r.value } });
    if (key) keys.push([key, r.rowid]);
  }
  for (const [key, rowid] of keys) {
    addKey.run(key);
    setKey.run(key, rowid);
  }
  db.exec('CREATE INDEX findings_value_key ON findings (value_key, first_ts) WHERE value_key IS NOT NULL;');
};

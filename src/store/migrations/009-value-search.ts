/**
 * Schema version 9: search by value (dashboard search page, src/store/search.ts). Distinct search keys (a value
 * in NFKC, lower case, letters and digits only) live once in `search_values`, with an FTS5 trigram index over them
 * (`search_trigrams`, external content, kept by triggers) for substring queries; each finding points to its key
 * (`findings.value_key`, indexed with first_ts for the newest first). Where a key went is kept as summary rows,
 * `value_destinations` (key × destination host × device × category → findings, first and last seen), by triggers in
 * the writer's transaction like `finding_counts`, so "where did this MAC go" is exact without reading the findings
 * that carried it (a first seen stays as it was when older findings are purged). Existing findings get their keys
 * here, from the value stored whole (rows whose value was purged get none). A purge clears `value_key` with the value
 * and removes keys no finding points to (retention.ts).
 */
import type { Migration } from '../migrations.ts';
import { findingSearchKey } from '../search.ts';

const DEST_KEY = '(value_key, destination_host, device_id, category)';

/** SQL adding the findings row `NEW` to its key's destination row (nothing for a row without a key). */
const addDestination = `
  INSERT INTO value_destinations
    SELECT NEW.value_key, NEW.destination_host, NEW.device_id, NEW.category, NEW.destination_etld1,
      NEW.destination_operator, NEW.destination_third_party, 1, NEW.first_ts, NEW.last_ts
    WHERE NEW.value_key IS NOT NULL
  ON CONFLICT ${DEST_KEY} DO UPDATE SET n = n + 1, first_ts = min(first_ts, excluded.first_ts),
    last_ts = max(last_ts, excluded.last_ts), etld1 = coalesce(excluded.etld1, etld1),
    operator = coalesce(excluded.operator, operator), third_party = excluded.third_party;`;

/** SQL taking the findings row `OLD` away from its key's destination row. */
const removeDestination = `
  UPDATE value_destinations SET n = n - 1 WHERE ${DEST_KEY} =
    (OLD.value_key, OLD.destination_host, OLD.device_id, OLD.category);
  DELETE FROM value_destinations WHERE n <= 0 AND ${DEST_KEY} =
    (OLD.value_key, OLD.destination_host, OLD.device_id, OLD.category);`;

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
  db.exec(`
    CREATE INDEX findings_value_key ON findings (value_key, first_ts) WHERE value_key IS NOT NULL;
    CREATE TABLE value_destinations (
      value_key INTEGER NOT NULL, destination_host TEXT NOT NULL, device_id TEXT NOT NULL, category TEXT NOT NULL,
      etld1 TEXT, operator TEXT, third_party INTEGER NOT NULL, n INTEGER NOT NULL, first_ts INTEGER NOT NULL,
      last_ts INTEGER NOT NULL, PRIMARY KEY ${DEST_KEY}
    ) WITHOUT ROWID;
    INSERT INTO value_destinations
      SELECT value_key, destination_host, device_id, category, max(destination_etld1), max(destination_operator),
        max(destination_third_party), count(*), min(first_ts), max(last_ts)
      FROM findings WHERE value_key IS NOT NULL GROUP BY 1, 2, 3, 4;
    CREATE TRIGGER findings_value_insert AFTER INSERT ON findings BEGIN ${addDestination} END;
    CREATE TRIGGER findings_value_delete AFTER DELETE ON findings WHEN OLD.value_key IS NOT NULL
    BEGIN ${removeDestination} END;
    CREATE TRIGGER findings_value_move AFTER UPDATE OF value_key, destination_host, device_id, category ON findings
      WHEN (OLD.value_key, OLD.destination_host, OLD.device_id, OLD.category)
        IS NOT (NEW.value_key, NEW.destination_host, NEW.device_id, NEW.category)
    BEGIN ${removeDestination} ${addDestination} END;
    -- A finding updated in place (a stream going on) moves its key's last seen.
    CREATE TRIGGER findings_value_seen AFTER UPDATE OF last_ts ON findings
      WHEN NEW.value_key IS NOT NULL AND NEW.last_ts > OLD.last_ts
    BEGIN
      UPDATE value_destinations SET last_ts = max(last_ts, NEW.last_ts) WHERE ${DEST_KEY} =
        (NEW.value_key, NEW.destination_host, NEW.device_id, NEW.category);
    END;
  `);
};

/**
 * Schema version 7, what the dashboard and the compliance report read: experiments gain a device; a change
 * revision (`store_rev`, bumped once per writer commit) stamped on every flow and finding row so a reader in this
 * or another process can ask "what changed since rev N" (live updates); findings carry their flow's capture; one
 * (filter column, first_ts) index per list filter for keyset pages; summary rows (`finding_counts`,
 * `flow_counts`) kept by triggers in the writer's transaction so totals never need COUNT(*) over the big tables;
 * the dashboard's reveal log.
 */
import type { Migration } from '../migrations.ts';

/** A trigger body adding `sign` × the row `R` (NEW or OLD) to finding_counts. */
const findingCount = (r: 'NEW' | 'OLD', sign: 1 | -1): string => `
  INSERT INTO finding_counts VALUES (${r}.device_id, ${r}.category, ${r}.destination_host,
    coalesce(${r}.destination_etld1, ${r}.destination_host), ${r}.destination_third_party, ${r}.encrypted,
    coalesce(${r}.capture_id, ''), ${sign})
  ON CONFLICT (device_id, category, destination_host, third_party, encrypted, capture_id)
    DO UPDATE SET n = n + (${sign}), etld1 = excluded.etld1;
  ${
    sign < 0
      ? `DELETE FROM finding_counts WHERE n <= 0 AND device_id = OLD.device_id AND category = OLD.category
    AND destination_host = OLD.destination_host;`
      : ''
  }`;

/** The same for flow_counts, with bytes. */
const flowCount = (r: 'NEW' | 'OLD', sign: 1 | -1): string => `
  INSERT INTO flow_counts VALUES (${r}.device_id, ${r}.tls, ${r}.transport, ${r}.destination_host,
    coalesce(${r}.destination_etld1, ${r}.destination_host), ${r}.destination_third_party,
    coalesce(${r}.capture_id, ''), ${sign}, ${sign} * ${r}.bytes_up, ${sign} * ${r}.bytes_down)
  ON CONFLICT (device_id, tls, transport, destination_host, third_party, capture_id)
    DO UPDATE SET n = n + (${sign}), bytes_up = bytes_up + excluded.bytes_up,
      bytes_down = bytes_down + excluded.bytes_down, etld1 = excluded.etld1;
  ${
    sign < 0
      ? `DELETE FROM flow_counts WHERE n <= 0 AND device_id = OLD.device_id AND tls = OLD.tls
    AND destination_host = OLD.destination_host;`
      : ''
  }`;

const FINDING_KEYS = 'category, destination_host, destination_third_party, encrypted, device_id, capture_id';
const FLOW_KEYS =
  'tls, transport, destination_host, destination_third_party, device_id, capture_id, bytes_up, bytes_down';

export const dashboard: Migration = (db) => {
  db.exec(`
    ALTER TABLE experiments ADD COLUMN device_id TEXT;
    CREATE INDEX experiments_name ON experiments (name, start_ts);

    CREATE TABLE store_rev (id INTEGER PRIMARY KEY CHECK (id = 1), rev INTEGER NOT NULL);
    INSERT INTO store_rev VALUES (1, 1);
    ALTER TABLE flows ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE findings ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE findings ADD COLUMN capture_id TEXT;
    UPDATE findings SET capture_id = (SELECT capture_id FROM flows WHERE flows.id = findings.flow_id);
    CREATE INDEX findings_rev ON findings (rev);
    CREATE INDEX flows_rev ON flows (rev);

    DROP INDEX findings_device;
    DROP INDEX findings_etld1;
    DROP INDEX flows_capture;
    CREATE INDEX findings_device ON findings (device_id, first_ts);
    CREATE INDEX findings_device_category ON findings (device_id, category, first_ts);
    CREATE INDEX findings_etld1 ON findings (destination_etld1, first_ts);
    CREATE INDEX findings_host ON findings (destination_host, first_ts);
    CREATE INDEX findings_third_party ON findings (destination_third_party, first_ts);
    CREATE INDEX findings_encrypted ON findings (encrypted, first_ts);
    CREATE INDEX findings_capture ON findings (capture_id, first_ts);
    CREATE INDEX flows_capture ON flows (capture_id, first_ts);
    CREATE INDEX flows_etld1 ON flows (destination_etld1, first_ts);
    CREATE INDEX flows_host ON flows (destination_host, first_ts);
    CREATE INDEX flows_third_party ON flows (destination_third_party, first_ts);
    CREATE INDEX flows_tls ON flows (tls, first_ts);
    CREATE INDEX flows_transport ON flows (transport, first_ts);

    CREATE TABLE finding_counts (
      device_id TEXT NOT NULL, category TEXT NOT NULL, destination_host TEXT NOT NULL, etld1 TEXT NOT NULL,
      third_party INTEGER NOT NULL, encrypted INTEGER NOT NULL, capture_id TEXT NOT NULL, n INTEGER NOT NULL,
      PRIMARY KEY (device_id, category, destination_host, third_party, encrypted, capture_id)
    ) WITHOUT ROWID;
    INSERT INTO finding_counts
      SELECT device_id, category, destination_host, max(coalesce(destination_etld1, destination_host)),
             destination_third_party, encrypted, coalesce(capture_id, ''), count(*)
      FROM findings GROUP BY 1, 2, 3, 5, 6, 7;
    CREATE TRIGGER findings_count_insert AFTER INSERT ON findings BEGIN ${findingCount('NEW', 1)} END;
    CREATE TRIGGER findings_count_delete AFTER DELETE ON findings BEGIN ${findingCount('OLD', -1)} END;
    CREATE TRIGGER findings_count_update AFTER UPDATE OF ${FINDING_KEYS} ON findings
      WHEN (OLD.category, OLD.destination_host, OLD.destination_third_party, OLD.encrypted, OLD.device_id,
            coalesce(OLD.capture_id, ''))
        IS NOT (NEW.category, NEW.destination_host, NEW.destination_third_party, NEW.encrypted, NEW.device_id,
            coalesce(NEW.capture_id, ''))
    BEGIN ${findingCount('NEW', 1)} ${findingCount('OLD', -1)} END;

    CREATE TABLE flow_counts (
      device_id TEXT NOT NULL, tls TEXT NOT NULL, transport TEXT NOT NULL, destination_host TEXT NOT NULL,
      etld1 TEXT NOT NULL, third_party INTEGER NOT NULL, capture_id TEXT NOT NULL, n INTEGER NOT NULL,
      bytes_up INTEGER NOT NULL, bytes_down INTEGER NOT NULL,
      PRIMARY KEY (device_id, tls, transport, destination_host, third_party, capture_id)
    ) WITHOUT ROWID;
    INSERT INTO flow_counts
      SELECT device_id, tls, transport, destination_host, max(coalesce(destination_etld1, destination_host)),
             destination_third_party, coalesce(capture_id, ''), count(*), sum(bytes_up), sum(bytes_down)
      FROM flows GROUP BY 1, 2, 3, 4, 6, 7;
    CREATE TRIGGER flows_count_insert AFTER INSERT ON flows BEGIN ${flowCount('NEW', 1)} END;
    CREATE TRIGGER flows_count_delete AFTER DELETE ON flows BEGIN ${flowCount('OLD', -1)} END;
    CREATE TRIGGER flows_count_update AFTER UPDATE OF ${FLOW_KEYS} ON flows BEGIN
      ${flowCount('NEW', 1)} ${flowCount('OLD', -1)}
    END;

    CREATE TABLE reveal_log (
      id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, finding_id TEXT NOT NULL, session TEXT NOT NULL,
      remote TEXT NOT NULL, user_agent TEXT
    );
    CREATE INDEX reveal_log_ts ON reveal_log (ts);
  `);
};

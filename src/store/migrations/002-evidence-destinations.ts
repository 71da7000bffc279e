/**
 * Schema version 2: the full record. Flows carry their destination and lost bytes; findings keep the unredacted
 * value, evidence reference, detail and final flag; evidence blobs in bounded chunks; destinations per device
 * (kept by triggers on flows); experiments; the indexes the dashboard asks for.
 * Rows from version 1 are kept: a v1 finding is final, its eTLD+1 is its host (v1 stored no eTLD+1).
 */
import type { Migration } from '../migrations.ts';

export const evidenceDestinations: Migration = (db) => {
  db.exec(`
    ALTER TABLE flows ADD COLUMN bytes_missing INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE flows ADD COLUMN destination_host TEXT;
    ALTER TABLE flows ADD COLUMN destination_etld1 TEXT;
    ALTER TABLE flows ADD COLUMN destination_operator TEXT;
    ALTER TABLE flows ADD COLUMN destination_third_party INTEGER NOT NULL DEFAULT 0;
    UPDATE flows SET destination_host = coalesce(server_host, server_ip),
                     destination_etld1 = coalesce(server_host, server_ip);

    ALTER TABLE messages ADD COLUMN mime TEXT;
    ALTER TABLE messages ADD COLUMN gap_bytes INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN topic TEXT;

    ALTER TABLE findings RENAME COLUMN third_party TO destination_third_party;
    ALTER TABLE findings ADD COLUMN destination_etld1 TEXT;
    ALTER TABLE findings ADD COLUMN destination_operator TEXT;
    ALTER TABLE findings ADD COLUMN value TEXT;
    ALTER TABLE findings ADD COLUMN evidence_id TEXT;
    ALTER TABLE findings ADD COLUMN truncated INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE findings ADD COLUMN detail TEXT;
    ALTER TABLE findings ADD COLUMN final INTEGER NOT NULL DEFAULT 1;
    UPDATE findings SET destination_etld1 = destination_host;

    CREATE TABLE evidence (
      id TEXT PRIMARY KEY, mime TEXT NOT NULL, flow_id TEXT NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
      msg_id INTEGER, total_bytes INTEGER NOT NULL DEFAULT 0, truncated INTEGER NOT NULL DEFAULT 0,
      complete INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE evidence_chunks (
      evidence_id TEXT NOT NULL REFERENCES evidence(id) ON DELETE CASCADE, seq INTEGER NOT NULL,
      data BLOB NOT NULL, PRIMARY KEY (evidence_id, seq)
    ) WITHOUT ROWID;

    CREATE TABLE destinations (
      device_id TEXT NOT NULL, host TEXT NOT NULL, etld1 TEXT NOT NULL, operator TEXT,
      third_party INTEGER NOT NULL, flows INTEGER NOT NULL, bytes_up INTEGER NOT NULL, bytes_down INTEGER NOT NULL,
      first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL, PRIMARY KEY (device_id, host)
    );
    INSERT INTO destinations
      SELECT device_id, destination_host, max(destination_etld1), max(destination_operator),
             max(destination_third_party), count(*), sum(bytes_up), sum(bytes_down), min(first_ts), max(last_ts)
      FROM flows GROUP BY device_id, destination_host;
    -- A flow counts once toward its destination: add the new values first, then take the old ones away, so a
    -- re-emitted flow (open, update, close) nets to its latest bytes and a flow whose host became known moves.
    CREATE TRIGGER flows_destination_insert AFTER INSERT ON flows BEGIN
      INSERT INTO destinations VALUES (NEW.device_id, NEW.destination_host, NEW.destination_etld1,
        NEW.destination_operator, NEW.destination_third_party, 1, NEW.bytes_up, NEW.bytes_down, NEW.first_ts,
        NEW.last_ts)
      ON CONFLICT (device_id, host) DO UPDATE SET etld1 = excluded.etld1,
        operator = coalesce(excluded.operator, operator), third_party = excluded.third_party, flows = flows + 1,
        bytes_up = bytes_up + excluded.bytes_up, bytes_down = bytes_down + excluded.bytes_down,
        first_ts = min(first_ts, excluded.first_ts), last_ts = max(last_ts, excluded.last_ts);
    END;
    CREATE TRIGGER flows_destination_update AFTER UPDATE ON flows BEGIN
      INSERT INTO destinations VALUES (NEW.device_id, NEW.destination_host, NEW.destination_etld1,
        NEW.destination_operator, NEW.destination_third_party, 1, NEW.bytes_up, NEW.bytes_down, NEW.first_ts,
        NEW.last_ts)
      ON CONFLICT (device_id, host) DO UPDATE SET etld1 = excluded.etld1,
        operator = coalesce(excluded.operator, operator), third_party = excluded.third_party, flows = flows + 1,
        bytes_up = bytes_up + excluded.bytes_up, bytes_down = bytes_down + excluded.bytes_down,
        first_ts = min(first_ts, excluded.first_ts), last_ts = max(last_ts, excluded.last_ts);
      UPDATE destinations SET flows = flows - 1, bytes_up = bytes_up - OLD.bytes_up,
        bytes_down = bytes_down - OLD.bytes_down
      WHERE device_id = OLD.device_id AND host = OLD.destination_host;
      DELETE FROM destinations WHERE device_id = OLD.device_id AND host = OLD.destination_host AND flows <= 0;
    END;
    CREATE TRIGGER flows_destination_delete AFTER DELETE ON flows BEGIN
      UPDATE destinations SET flows = flows - 1, bytes_up = bytes_up - OLD.bytes_up,
        bytes_down = bytes_down - OLD.bytes_down
      WHERE device_id = OLD.device_id AND host = OLD.destination_host;
      DELETE FROM destinations WHERE device_id = OLD.device_id AND host = OLD.destination_host AND flows <= 0;
    END;

    CREATE TABLE experiments (
      id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, start_ts INTEGER NOT NULL, end_ts INTEGER,
      notes TEXT
    );

    CREATE INDEX findings_flow ON findings (flow_id);
    CREATE INDEX findings_category ON findings (category, first_ts);
    CREATE INDEX findings_etld1 ON findings (destination_etld1);
    CREATE INDEX findings_first ON findings (first_ts);
    CREATE INDEX flows_capture ON flows (capture_id);
    CREATE INDEX flows_first ON flows (first_ts);
    CREATE INDEX evidence_flow ON evidence (flow_id);
    CREATE INDEX violations_flow ON violations (flow_id);
  `);
};

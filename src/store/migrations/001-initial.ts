/**
 * Schema version 1, the first released shape: captures, devices, flows, messages, findings (redacted excerpt
 * only) and violations. Kept as it was so that an old database file upgrades through the same steps; never edit
 * it, add a migration instead.
 */
import type { Migration } from '../migrations.ts';

export const initial: Migration = (db) => {
  db.exec(`
    CREATE TABLE captures (
      id TEXT PRIMARY KEY, path TEXT NOT NULL, format TEXT NOT NULL, bytes INTEGER NOT NULL,
      imported_at INTEGER NOT NULL, first_ts INTEGER, last_ts INTEGER, skipped TEXT
    );
    CREATE TABLE devices (
      id TEXT PRIMARY KEY, name TEXT, mac TEXT, ip TEXT, first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL
    );
    CREATE TABLE flows (
      id TEXT PRIMARY KEY, capture_id TEXT, device_id TEXT NOT NULL,
      client_ip TEXT NOT NULL, client_port INTEGER NOT NULL, client_mac TEXT,
      server_ip TEXT NOT NULL, server_port INTEGER NOT NULL, server_host TEXT,
      transport TEXT NOT NULL, tls TEXT NOT NULL, source TEXT NOT NULL,
      first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL,
      bytes_up INTEGER NOT NULL DEFAULT 0, bytes_down INTEGER NOT NULL DEFAULT 0,
      closed INTEGER NOT NULL DEFAULT 0, error_code TEXT, error_message TEXT
    );
    CREATE TABLE messages (
      flow_id TEXT NOT NULL REFERENCES flows(id) ON DELETE CASCADE, msg_id INTEGER NOT NULL,
      direction TEXT NOT NULL, protocol TEXT NOT NULL, method TEXT, url TEXT, status INTEGER, content_type TEXT,
      body_bytes INTEGER NOT NULL, first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL,
      PRIMARY KEY (flow_id, msg_id)
    );
    CREATE TABLE findings (
      id TEXT PRIMARY KEY, flow_id TEXT NOT NULL REFERENCES flows(id) ON DELETE CASCADE, msg_id INTEGER,
      device_id TEXT NOT NULL, category TEXT NOT NULL, subtype TEXT NOT NULL, confidence REAL NOT NULL,
      first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL, direction TEXT NOT NULL,
      destination_host TEXT NOT NULL, third_party INTEGER NOT NULL, encrypted INTEGER NOT NULL,
      excerpt TEXT NOT NULL, path TEXT
    );
    CREATE TABLE violations (
      ts INTEGER NOT NULL, flow_id TEXT, msg_id INTEGER, decoder TEXT NOT NULL, code TEXT NOT NULL,
      message TEXT, offset INTEGER
    );
    CREATE INDEX findings_device ON findings (device_id, category);
    CREATE INDEX flows_device ON flows (device_id, first_ts);
  `);
};

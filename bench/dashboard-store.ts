/**
 * A large store for the dashboard bench, made inside SQLite (recursive CTEs, no row crosses into JS): devices ×
 * flows × messages × findings spread over categories, hosts, parties, TLS states, captures and time, written
 * through the real schema so the summary-row triggers and every index are paid for as the writer pays them.
 */
import Database from 'better-sqlite3';
import { CATEGORIES } from '../src/model/finding.ts';
import { openStore } from '../src/store/db.ts';

export interface BigStoreShape {
  devices: number;
  flows: number;
  messagesPerFlow: number;
  findings: number;
}

/** Microseconds: 2024-05-01T00:00:00Z. */
export const BIG_T0 = 1_714_521_600_000_000;
const TLS = ['intercepted', 'decrypted', 'none', 'opaque', 'passthrough', 'device-rejected-cert'];

/** `dev-003` style ids. */
export const deviceOf = (i: number) => `dev-${String(i).padStart(3, '0')}`;

/** Creates `file` with the schema, then fills it; returns seconds spent. */
export function makeBigStore(file: string, s: BigStoreShape): number {
  openStore(file).close(); // schema and pragmas through the real opener
  const t0 = performance.now();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const cats = `json('${JSON.stringify(CATEGORIES)}')`;
  const tls = `json('${JSON.stringify(TLS)}')`;
  db.transaction(() => {
    db.exec(`INSERT INTO captures (id, path, format, bytes, imported_at, first_ts, last_ts)
      SELECT 'cap-' || value, 'bench-' || value || '.pcapng', 'pcapng', 1000000, ${BIG_T0}, ${BIG_T0}, ${BIG_T0}
      FROM json_each(json('[0,1,2,3,4,5,6,7,8,9]'))`);
    db.exec(`WITH RECURSIVE d(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM d WHERE i < ${s.devices - 1})
      INSERT INTO devices (id, ip, first_ts, last_ts)
      SELECT printf('dev-%03d', i), '127.0.1.' || i, ${BIG_T0}, ${BIG_T0} + 86400000000 FROM d`);
    db.exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${s.flows - 1})
      INSERT INTO flows (id, capture_id, device_id, client_ip, client_port, server_ip, server_port, server_host,
        transport, tls, source, first_ts, last_ts, bytes_up, bytes_down, destination_host, destination_etld1,
        destination_third_party, rev)
      SELECT 'fl-' || i, 'cap-' || (i % 10), printf('dev-%03d', i % ${s.devices}), '127.0.1.1', 40000 + i % 20000,
        '127.0.0.1', 443, 'api' || (i % 200) || '.host' || (i % 40) || '.example',
        CASE WHEN i % 17 = 0 THEN 'mqtt' ELSE 'http' END, ${tls} ->> (i % 6), 'capture',
        ${BIG_T0} + i * 800000, ${BIG_T0} + i * 800000 + 5000000, 1000 + i % 5000, 200, 
        'api' || (i % 200) || '.host' || (i % 40) || '.example', 'host' || (i % 40) || '.example', (i % 5 = 0),
        1 + i / 1000
      FROM n`);
    db.exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${s.flows * s.messagesPerFlow - 1})
      INSERT INTO messages (flow_id, msg_id, direction, protocol, method, url, status, content_type, body_bytes,
        first_ts, last_ts)
      SELECT 'fl-' || (i / ${s.messagesPerFlow}), i % ${s.messagesPerFlow},
        CASE WHEN i % 2 THEN 'download' ELSE 'upload' END, 'http', 'POST', '/v1/upload?seq=' || i, 200,
        'application/json', 512, ${BIG_T0} + i * 160000, ${BIG_T0} + i * 160000 + 1000
      FROM n`);
    db.exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${s.findings - 1})
      INSERT INTO findings (id, flow_id, msg_id, device_id, category, subtype, confidence, first_ts, last_ts,
        direction, destination_host, destination_etld1, destination_third_party, encrypted, excerpt, value, path,
        final, rev, capture_id)
      SELECT 'fl-' || (i % ${s.flows}) || '/f' || (i / ${s.flows}), 'fl-' || (i % ${s.flows}), 0,
        printf('dev-%03d', (i % ${s.flows}) % ${s.devices}), ${cats} ->> (i % 8), 'sub-' || (i % 3), 0.9,
        ${BIG_T0} + i * 64000, ${BIG_T0} + i * 64000 + 1000, 'upload',
        'api' || ((i % ${s.flows}) % 200) || '.host' || ((i % ${s.flows}) % 40) || '.example',
        'host' || ((i % ${s.flows}) % 40) || '.example', ((i % ${s.flows}) % 5 = 0), (i % 3 > 0),
        '13••••5678', '13812345678', '$.phone', 1, 1 + i / 1000, 'cap-' || ((i % ${s.flows}) % 10)
      FROM n`);
    db.exec(`UPDATE store_rev SET rev = ${Math.ceil(s.findings / 1000) + 1}`);
    db.exec(`INSERT INTO experiments (name, start_ts, end_ts, device_id)
      VALUES ('consent off', ${BIG_T0 + 10_000_000_000}, ${BIG_T0 + 12_000_000_000}, 'dev-000')`);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('ANALYZE');
  db.close();
  return (performance.now() - t0) / 1000;
}

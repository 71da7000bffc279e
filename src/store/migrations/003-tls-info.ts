/**
 * Schema version 3: flows keep the TLS handshake metadata seen on the wire (SNI, ALPN, JA3/JA4, versions,
 * cipher, certificate names, alerts) as one JSON column, `tls_info`, null when none was seen.
 */
import type { Migration } from '../migrations.ts';

export const tlsInfo: Migration = (db) => {
  db.exec('ALTER TABLE flows ADD COLUMN tls_info TEXT;');
};

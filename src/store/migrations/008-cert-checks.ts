/**
 * Schema version 8: the certificate-check table (issue 16) reads the flows whose `tls_info` holds the live proxy's
 * certificate check, and passed-through flows, by time: one partial index on exactly those rows, so the table
 * never scans every flow of a long session.
 */
import type { Migration } from '../migrations.ts';

/** The rows the index holds; `Store.listCertChecks` uses this very expression, so SQLite picks the index. */
export const CERT_CHECK_ROWS = "(json_extract(tls_info, '$.certCheck') IS NOT NULL OR tls = 'passthrough')";

export const certChecks: Migration = (db) => {
  db.exec(`CREATE INDEX flows_cert_checks ON flows(first_ts) WHERE ${CERT_CHECK_ROWS};`);
};

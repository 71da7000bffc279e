/**
 * `Store.listCertChecks`: the flows carrying the live proxy's certificate check or passed through, by time and
 * device, read through the partial index of migration 008 (EXPLAIN QUERY PLAN), and the table built from them.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certTable } from '../../src/report/cert-table.ts';
import { openStore } from '../../src/store/db.ts';
import { CERT_CHECK_ROWS } from '../../src/store/migrations/008-cert-checks.ts';
import type { Store } from '../../src/store/types.ts';
import { flowRecord, MAC, T0, tempDir } from '../../testkit/records.ts';

let tmp: ReturnType<typeof tempDir>;
let store: Store;
const server = { ip: '127.0.0.1', port: 443, host: 'api.example.com' };

beforeAll(async () => {
  tmp = tempDir();
  store = openStore(join(tmp.dir, 'c.db'), { batchMs: 5 });
  const w = store.writer();
  const check = {
    forgery: 'toyscope-ca',
    issuer: 'toyscope',
    outcome: 'rejected',
    cause: 'alert',
    alert: 'unknown_ca',
  } as const;
  w.flow(flowRecord({ id: 'r1', tls: 'device-rejected-cert', server, firstTs: T0, tlsInfo: { certCheck: check } }));
  w.flow(
    flowRecord({ id: 'r2', tls: 'device-rejected-cert', server, firstTs: T0 + 10, tlsInfo: { certCheck: check } }),
  );
  w.flow(flowRecord({ id: 'p', tls: 'passthrough', server, firstTs: T0 + 20 }));
  w.flow(flowRecord({ id: 'plain', tls: 'none', server, firstTs: T0 + 30 }));
  w.close();
});
afterAll(() => {
  store.close();
  tmp.cleanup();
});

describe('listCertChecks', () => {
  it('returns the checked and passed-through flows, oldest first, by time and device', () => {
    expect(store.listCertChecks().map((f) => f.id)).toEqual(['r1', 'r2', 'p']);
    expect(store.listCertChecks({ sinceTs: T0 + 5 }).map((f) => f.id)).toEqual(['r2', 'p']);
    expect(store.listCertChecks({ deviceId: 'other' })).toEqual([]);
    const [row] = certTable(store.listCertChecks({ deviceId: MAC }));
    expect(row).toMatchObject({ host: 'api.example.com', passthrough: 1, verdict: 'incomplete' });
    expect(row!.forgeries['toyscope-ca']).toMatchObject({ offers: 2, alert: 'unknown_ca' });
  });

  it('reads through the partial index', () => {
    const db = new Database(join(tmp.dir, 'c.db'), { readonly: true });
    try {
      const sql = `EXPLAIN QUERY PLAN SELECT * FROM flows WHERE ${CERT_CHECK_ROWS} AND first_ts >= ? ORDER BY first_ts`;
      const plan = (db.prepare(sql).all(0) as { detail: string }[]).map((r) => r.detail).join('\n');
      expect(plan).toContain('flows_cert_checks');
      expect(plan).not.toContain('TEMP B-TREE');
    } finally {
      db.close();
    }
  });
});

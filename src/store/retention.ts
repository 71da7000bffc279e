/**
 * Retention of captured personal data: `purge` removes evidence blobs and the unredacted `value` of matching
 * findings (with `everything`, the findings, flows, messages and violations themselves) in one transaction, then
 * checkpoints the WAL so purged pages do not linger in it (db.ts turns `secure_delete` on, so freed pages are
 * zeroed). `applyRetention` purges what is older than a number of days. Choosing when to call them is the CLI's.
 */
import type { Database } from 'better-sqlite3';
import type { Micros } from '../model/flow.ts';
import type { PurgeOptions, PurgeResult, Store } from './types.ts';

const MICROS_PER_DAY = 86_400_000_000;

type Where = { sql: string; params: unknown[] };

/** Conditions on a findings or flows row matching `opts` (older than, device, capture); none match every row. */
function matching(opts: PurgeOptions, flowIdCol: 'flow_id' | 'id'): Where {
  const c = ['1'];
  const params: unknown[] = [];
  const add = (sql: string, p: unknown) => {
    c.push(sql);
    params.push(p);
  };
  if (opts.beforeTs !== undefined) add('last_ts < ?', opts.beforeTs);
  if (opts.deviceId !== undefined) add('device_id = ?', opts.deviceId);
  if (opts.captureId !== undefined) add(`${flowIdCol} IN (SELECT id FROM flows WHERE capture_id = ?)`, opts.captureId);
  return { sql: c.join(' AND '), params };
}

/** Deletes captured personal data matching `opts` in one transaction; see {@link PurgeOptions}. */
export function purge(db: Database, opts: PurgeOptions): PurgeResult {
  const f = matching(opts, 'flow_id');
  const fl = matching(opts, 'id');
  const run = (sql: string, params: unknown[]) => db.prepare(sql).run(params).changes;
  const result = db
    .transaction((): PurgeResult => {
      const evidence = run(
        `DELETE FROM evidence WHERE flow_id IN (SELECT id FROM flows WHERE ${fl.sql})
           OR id IN (SELECT evidence_id FROM findings WHERE ${f.sql})`,
        [...fl.params, ...f.params],
      );
      if (!opts.everything) {
        const findings = run(
          `UPDATE findings SET value = NULL, evidence_id = NULL, detail_value = NULL
           WHERE ${f.sql} AND (value IS NOT NULL OR evidence_id IS NOT NULL OR detail_value IS NOT NULL)`,
          f.params,
        );
        return { evidence, findings, flows: 0 };
      }
      const findings = run(
        `DELETE FROM findings WHERE (${f.sql}) OR flow_id IN (SELECT id FROM flows WHERE ${fl.sql})`,
        [...f.params, ...fl.params],
      );
      run(`DELETE FROM violations WHERE flow_id IN (SELECT id FROM flows WHERE ${fl.sql})`, fl.params);
      const flows = run(`DELETE FROM flows WHERE ${fl.sql}`, fl.params); // messages go with them (cascade)
      run('DELETE FROM devices WHERE id NOT IN (SELECT device_id FROM flows)', []);
      if (opts.captureId !== undefined) run('DELETE FROM captures WHERE id = ?', [opts.captureId]);
      return { evidence, findings, flows };
    })
    .immediate();
  db.pragma('wal_checkpoint(TRUNCATE)');
  return result;
}

/** Purges captured personal data older than `days` days before `now` (default: the wall clock). */
export function applyRetention(store: Store, days: number, now: Micros = Date.now() * 1000): PurgeResult {
  return store.purge({ beforeTs: now - days * MICROS_PER_DAY });
}

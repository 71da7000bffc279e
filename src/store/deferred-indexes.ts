/**
 * What a findings row maintains, deferred during a bulk replay. Each finding row of a replay used to update every
 * secondary index of `findings` (a dozen, for the dashboard's filters and live updates) and fire the triggers of
 * three summary tables (`finding_counts`, `finding_minutes`, `value_destinations`: an upsert each), while building
 * the same indexes and summaries once at the end, by sorting and grouping, costs a fraction of that. So a replay
 * into a store that holds few findings drops those indexes and triggers first and puts them back when it ends
 * (docs/adr/0016-bulk-replay-writes.md, docs/adr/0020-bulk-replay-summaries.md).
 *
 * Crash safety: the CREATE statements of the dropped indexes and triggers are copied into `deferred_indexes` in the
 * transaction that drops them, and deleted in the one that recreates them; `restoreDeferredUpkeep` runs at every
 * read-write open, so what a killed process dropped is back before anything else uses the file. A summary whose
 * triggers were dropped is rebuilt from the findings in that transaction, before they are recreated: whatever was
 * written or purged meanwhile, by this process or another, its rows are then exact (see SUMMARIES). Kept while
 * deferred: the primary key (upserts by id) and `findings_flow` (the foreign key's index: deleting a flow cascades
 * through it). Queries stay correct without the indexes, only slower; the summaries (dashboard totals, timeline,
 * where a value went) lag until the end. Not deferred when the store already holds more than
 * MAX_FINDINGS_TO_REINDEX findings: rebuilding is linear in the whole table, not in what the replay adds.
 */
import type { Database } from 'better-sqlite3';
import { MINUTE_US } from './migrations/010-finding-minutes.ts';

/** Past this many findings in the store, rebuilding the indexes costs more than keeping them up row by row. */
export const MAX_FINDINGS_TO_REINDEX = 100_000;

/** Indexes a bulk replay keeps: the foreign key's (cascading deletes of flows read it). */
const KEPT = new Set(['findings_flow']);

/**
 * The summary tables kept by findings triggers (migrations 007, 009, 010): the triggers deferred together, and the
 * SQL that makes the table from the findings as the triggers would have left it. Counts and minutes are functions
 * of the rows; `value_destinations` also remembers a first seen older than the findings left (a purge keeps it),
 * so its rows are recounted and their times widened, not replaced. A trigger of `findings` not listed here is
 * never dropped.
 */
const SUMMARIES: ReadonlyArray<{ triggers: readonly string[]; rebuild: string }> = [
  {
    triggers: ['findings_count_insert', 'findings_count_delete', 'findings_count_update'],
    rebuild: `DELETE FROM finding_counts;
      INSERT INTO finding_counts
        SELECT device_id, category, destination_host, max(coalesce(destination_etld1, destination_host)),
          destination_third_party, encrypted, coalesce(capture_id, ''), count(*)
        FROM findings GROUP BY 1, 2, 3, 5, 6, 7;`,
  },
  {
    triggers: ['findings_minutes_insert', 'findings_minutes_delete', 'findings_minutes_update'],
    rebuild: `DELETE FROM finding_minutes;
      INSERT INTO finding_minutes SELECT first_ts / ${MINUTE_US}, category, count(*) FROM findings GROUP BY 1, 2;`,
  },
  {
    triggers: ['findings_value_insert', 'findings_value_delete', 'findings_value_move', 'findings_value_seen'],
    rebuild: `UPDATE value_destinations SET n = 0;
      INSERT INTO value_destinations
        SELECT value_key, destination_host, device_id, category, max(destination_etld1), max(destination_operator),
          max(destination_third_party), count(*), min(first_ts), max(last_ts)
        FROM findings WHERE value_key IS NOT NULL GROUP BY 1, 2, 3, 4
      ON CONFLICT (value_key, destination_host, device_id, category) DO UPDATE SET n = excluded.n,
        first_ts = min(first_ts, excluded.first_ts), last_ts = max(last_ts, excluded.last_ts),
        etld1 = coalesce(excluded.etld1, etld1), operator = coalesce(excluded.operator, operator),
        third_party = excluded.third_party;
      DELETE FROM value_destinations WHERE n <= 0;`,
  },
];

const DEFERRED_TRIGGERS = new Set(SUMMARIES.flatMap((s) => s.triggers));

/**
 * Drops the deferrable findings indexes and summary triggers, recording how to recreate them; returns how many it
 * dropped (0 when the store holds more than `maxFindings` findings, or they are already deferred).
 */
export function deferFindingUpkeep(db: Database, maxFindings = MAX_FINDINGS_TO_REINDEX): number {
  return db
    .transaction(() => {
      const total = db.prepare('SELECT coalesce(sum(n), 0) AS n FROM finding_counts').get() as { n: number };
      if (total.n > maxFindings) return 0;
      const objects = db
        .prepare(
          "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = 'findings' AND sql NOT NULL",
        )
        .all() as Array<{ type: 'index' | 'trigger'; name: string; sql: string }>;
      const save = db.prepare('INSERT OR REPLACE INTO deferred_indexes (name, sql) VALUES (?, ?)');
      let dropped = 0;
      for (const { type, name, sql } of objects) {
        if (type === 'index' ? KEPT.has(name) : !DEFERRED_TRIGGERS.has(name)) continue;
        save.run(name, sql);
        db.exec(`DROP ${type === 'index' ? 'INDEX' : 'TRIGGER'} "${name.replaceAll('"', '""')}"`);
        dropped++;
      }
      return dropped;
    })
    .immediate();
}

/**
 * Rebuilds the summaries whose triggers `deferred_indexes` lists, then recreates every index and trigger it
 * lists, in one transaction; returns how many it recreated.
 */
export function restoreDeferredUpkeep(db: Database): number {
  const rows = db.prepare('SELECT name, sql FROM deferred_indexes').all() as Array<{ name: string; sql: string }>;
  if (rows.length === 0) return 0;
  db.transaction(() => {
    const exists = db.prepare('SELECT 1 FROM sqlite_master WHERE name = ?').pluck();
    // Another process may have restored them meanwhile: read again inside the write lock.
    const deferred = db.prepare('SELECT name, sql FROM deferred_indexes').all() as typeof rows;
    const names = new Set(deferred.map((r) => r.name));
    for (const s of SUMMARIES) if (s.triggers.some((t) => names.has(t))) db.exec(s.rebuild);
    for (const { name, sql } of deferred) {
      if (exists.get(name) === undefined) db.exec(sql);
    }
    db.exec('DELETE FROM deferred_indexes');
  }).immediate();
  return rows.length;
}

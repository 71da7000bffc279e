/**
 * Schema version 10: the overview's timeline (findings per category over time, src/store/timeline.ts) reads
 * `finding_minutes` (minute since the epoch × category → findings first seen in it), kept by triggers in the
 * writer's transaction like `finding_counts`, so a chart over a million findings sums a few thousand rows. A
 * finding counts once, in the minute of its first_ts (which an update in place never changes).
 */
import type { Migration } from '../migrations.ts';

/** µs in a minute: the timeline's finest bucket. */
export const MINUTE_US = 60_000_000;

export const findingMinutes: Migration = (db) => {
  db.exec(`
    CREATE TABLE finding_minutes (
      minute INTEGER NOT NULL, category TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (minute, category)
    ) WITHOUT ROWID;
    INSERT INTO finding_minutes SELECT first_ts / ${MINUTE_US}, category, count(*) FROM findings GROUP BY 1, 2;
    CREATE TRIGGER findings_minutes_insert AFTER INSERT ON findings BEGIN
      INSERT INTO finding_minutes VALUES (NEW.first_ts / ${MINUTE_US}, NEW.category, 1)
      ON CONFLICT (minute, category) DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER findings_minutes_delete AFTER DELETE ON findings BEGIN
      UPDATE finding_minutes SET n = n - 1 WHERE minute = OLD.first_ts / ${MINUTE_US} AND category = OLD.category;
      DELETE FROM finding_minutes WHERE minute = OLD.first_ts / ${MINUTE_US} AND category = OLD.category AND n <= 0;
    END;
    CREATE TRIGGER findings_minutes_update AFTER UPDATE OF first_ts, category ON findings
      WHEN OLD.first_ts / ${MINUTE_US} IS NOT NEW.first_ts / ${MINUTE_US} OR OLD.category IS NOT NEW.category
    BEGIN
      INSERT INTO finding_minutes VALUES (NEW.first_ts / ${MINUTE_US}, NEW.category, 1)
      ON CONFLICT (minute, category) DO UPDATE SET n = n + 1;
      UPDATE finding_minutes SET n = n - 1 WHERE minute = OLD.first_ts / ${MINUTE_US} AND category = OLD.category;
      DELETE FROM finding_minutes WHERE minute = OLD.first_ts / ${MINUTE_US} AND category = OLD.category AND n <= 0;
    END;
  `);
};

/**
 * Prepared statements by SQL text, made once per connection: the read paths build SQL from filters, and the
 * same few shapes repeat, so preparing each once saves SQLite's parse on every page.
 */
import type { Database, Statement } from 'better-sqlite3';

/** Returns the prepared statement for `sql`, preparing it the first time. */
export type Prepare = (sql: string) => Statement;

export function cachedPrepare(db: Database): Prepare {
  const cache = new Map<string, Statement>();
  return (sql) => {
    let st = cache.get(sql);
    if (!st) {
      st = db.prepare(sql);
      cache.set(sql, st);
    }
    return st;
  };
}

/**
 * The summary tables the findings triggers keep (finding_counts, finding_minutes, value_destinations), read whole in
 * key order: a bulk replay defers those triggers and rebuilds the tables (ADR 0020), and tests compare them with
 * what the triggers leave.
 */
import Database from 'better-sqlite3';

export function summaryTables(file: string): Record<'counts' | 'minutes' | 'values', unknown[]> {
  const db = new Database(file, { readonly: true });
  try {
    const all = (sql: string) => db.prepare(sql).all();
    return {
      counts: all('SELECT * FROM finding_counts ORDER BY 1, 2, 3, 5, 6, 7'),
      minutes: all('SELECT * FROM finding_minutes ORDER BY 1, 2'),
      values: all('SELECT * FROM value_destinations ORDER BY 1, 2, 3, 4'),
    };
  } finally {
    db.close();
  }
}

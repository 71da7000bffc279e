/**
 * Search by value ("where did this MAC / phone number / name go?") over the personal values findings carry.
 * Not a full-text search of bodies (the store keeps none): only a finding's `value` is searched, and only when
 * something in it was masked (its excerpt differs from it), so readable texts such as "1 face in image/jpeg" are
 * not. Matching is on a **search key**: the value in Unicode NFKC (full-width digits and letters become ASCII),
 * lower case, with everything but letters and digits removed, cut at `MAX_SEARCH_KEY_CHARS`. So
 * `AA-BB-CC-DD-EE-FF`, `aa:bb:cc:dd:ee:ff` and `aabb.ccdd.eeff` are one key, a phone number is its digits
 * (`+86 138-1234-5678` → `8613812345678`), a name ignores case and spaces. A query is turned into a key the same
 * way and matches every key that **contains** it (three characters or more: a trigram index, migrations/009); a
 * shorter query, or `exact`, matches whole keys only. Distinct keys live once in `search_values`; a finding points
 * to its key (`findings.value_key`, indexed with first_ts), so a MAC sent in 100,000 uploads is one indexed key,
 * and the summary rows `value_destinations` say where each key went without reading those uploads.
 */
import type { Database } from 'better-sqlite3';
import type { Finding } from '../model/finding.ts';
import { maskFinding } from '../pipeline/redact.ts';
import { findingFromRow } from './queries.ts';
import { cachedPrepare, type Prepare } from './statements.ts';

/** Characters of a search key kept (the head of a longer value): what the trigram index holds per value. */
export const MAX_SEARCH_KEY_CHARS = 256;
/** Characters of a query (before normalising). */
export const MAX_SEARCH_QUERY_CHARS = 256;
/** Distinct stored keys one query may match; past it the answer says `moreValues` (type more of the value). */
export const MAX_SEARCH_VALUES = 200;
/** Findings listed per answer, at most. */
export const MAX_SEARCH_ITEMS = 500;
/** Shorter keys match whole values only (a trigram index needs three characters). */
export const MIN_SUBSTRING_CHARS = 3;

/** The search key of a value or a query: NFKC, lower case, letters and digits only, at most MAX_SEARCH_KEY_CHARS. */
export function searchKey(s: string): string {
  const key = s
    .slice(0, 4 * MAX_SEARCH_KEY_CHARS)
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '');
  return [...key].slice(0, MAX_SEARCH_KEY_CHARS).join('');
}

/** The key a finding is found by: its value's, when the value holds something masked; else none. */
export function findingSearchKey(f: Pick<Finding, 'evidence'>): string | undefined {
  const { value, excerpt } = f.evidence;
  if (value === undefined || value === excerpt) return undefined;
  return searchKey(value) || undefined;
}

export type SearchMatch = 'contains' | 'exact';

export interface SearchQuery {
  /** What the tester typed (a MAC, a phone number or its last digits, a name …). */
  q: string;
  match?: SearchMatch;
  /** Findings to list, newest first (default 100, at most MAX_SEARCH_ITEMS). */
  limit?: number;
}

/** Where matching findings went: one row per destination host and device (first seen: of findings ever stored). */
export interface SearchDestination {
  host: string;
  etld1: string;
  operator?: string;
  thirdParty: boolean;
  deviceId: string;
  findings: number;
  categories: string[];
  firstTs: number;
  lastTs: number;
}

export interface SearchResult {
  /** How the query was matched: `contains` needs MIN_SUBSTRING_CHARS characters of key, else `exact`. */
  match: SearchMatch;
  /** Distinct stored values matched. */
  values: number;
  /** More than MAX_SEARCH_VALUES values matched: only those were used. */
  moreValues: boolean;
  /** The newest matching findings, masked. */
  items: Finding[];
  /** Destinations (host × device) of every matching finding, most findings first. */
  destinations: SearchDestination[];
  /** Findings that carried a matching value (all of them, not only those listed). */
  findings: number;
}

/** A query that cannot be searched (nothing but punctuation); the dashboard answers 400. */
export class SearchQueryError extends Error {}

type Row = Record<string, unknown>;

/** Value search over one connection. Reads only: keys are written by the writer (writer.ts) and migration 009. */
export class StoreSearch {
  readonly #stmt: Prepare;

  constructor(db: Database) {
    this.#stmt = cachedPrepare(db);
  }

  search(query: SearchQuery): SearchResult {
    const key = searchKey(query.q);
    if (!key) throw new SearchQueryError('type letters or digits of the value to search for');
    const limit = Math.min(Math.max(1, query.limit ?? 100), MAX_SEARCH_ITEMS);
    const match: SearchMatch = query.match === 'exact' || [...key].length < MIN_SUBSTRING_CHARS ? 'exact' : 'contains';
    // Only keys a finding still carries (one updated in place may have left its old key until the next purge).
    const carried = (col: string) => `EXISTS (SELECT 1 FROM value_destinations WHERE value_key = ${col})`;
    const ids = (
      match === 'exact'
        ? this.#stmt(`SELECT id FROM search_values WHERE key = ? AND ${carried('search_values.id')}`).all(key)
        : this.#stmt(
            `SELECT rowid AS id FROM search_trigrams WHERE search_trigrams MATCH ? AND ${carried('search_trigrams.rowid')} LIMIT ?`,
          ).all(
            `"${key}"`, // letters and digits only: nothing to escape
            MAX_SEARCH_VALUES + 1,
          )
    ).map((r) => (r as { id: number }).id);
    const moreValues = ids.length > MAX_SEARCH_VALUES;
    const used = ids.slice(0, MAX_SEARCH_VALUES);
    return { match, values: used.length, moreValues, items: this.#newest(used, limit), ...this.#destinations(used) };
  }

  /**
   * The newest `limit` findings over all keys: each key's newest `limit` (rowid, first_ts) from the index alone,
   * merged, then only the rows listed are read whole.
   */
  #newest(ids: number[], limit: number): Finding[] {
    const keys = this.#stmt(
      'SELECT rowid AS r, first_ts AS ts FROM findings WHERE value_key = ? ORDER BY first_ts DESC, rowid DESC LIMIT ?',
    );
    const top: Array<{ r: number; ts: number }> = [];
    for (const id of ids) top.push(...(keys.all(id, limit) as Array<{ r: number; ts: number }>));
    top.sort((a, b) => b.ts - a.ts || b.r - a.r);
    const row = this.#stmt('SELECT * FROM findings WHERE rowid = ?');
    return top.slice(0, limit).map(({ r }) => maskFinding(findingFromRow(row.get(r) as Row)));
  }

  /** Where the matching keys went, from their summary rows (exact, whatever the number of findings). */
  #destinations(ids: number[]): Pick<SearchResult, 'destinations' | 'findings'> {
    if (ids.length === 0) return { destinations: [], findings: 0 };
    const rows = this.#stmt(
      `SELECT destination_host AS host, max(etld1) AS etld1, max(operator) AS operator, max(third_party) AS third,
        device_id, sum(n) AS n, group_concat(DISTINCT category) AS cats, min(first_ts) AS first, max(last_ts) AS last
      FROM value_destinations WHERE value_key IN (SELECT value FROM json_each(?))
      GROUP BY destination_host, device_id ORDER BY n DESC, host, device_id`,
    ).all(JSON.stringify(ids)) as Row[];
    return {
      destinations: rows.map((r) => ({
        host: r.host as string,
        etld1: (r.etld1 as string | null) ?? (r.host as string),
        ...(r.operator == null ? {} : { operator: r.operator as string }),
        thirdParty: r.third === 1,
        deviceId: r.device_id as string,
        findings: r.n as number,
        categories: String(r.cats).split(',').sort(),
        firstTs: r.first as number,
        lastTs: r.last as number,
      })),
      findings: rows.reduce((s, r) => s + (r.n as number), 0),
    };
  }
}

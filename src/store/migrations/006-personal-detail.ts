/**
 * Schema version 6: personal values in a finding's detail (a phone's E.164, coordinates, an SSID) are stored
 * masked in `detail`, like the excerpt, and whole in `detail_value`, like `value`: reads and every output get the
 * masked form, `--reveal` the whole one, and a purge of personal data removes `detail_value` with `value`.
 * Rows from version 5 kept these values whole in `detail`: the keys the analyzers marked personal then are moved.
 */
import { redact } from '../../pipeline/redact.ts';
import type { Migration } from '../migrations.ts';

/** The detail keys that held personal values at schema 5 (location, contacts, identifiers). */
const PERSONAL_KEYS_V5 = ['lat', 'lon', 'first', 'second', 'e164', 'ssid'];

export const personalDetail: Migration = (db) => {
  db.exec('ALTER TABLE findings ADD COLUMN detail_value TEXT');
  const rows = db.prepare('SELECT id, detail FROM findings WHERE detail IS NOT NULL').all() as Array<{
    id: string;
    detail: string;
  }>;
  const update = db.prepare('UPDATE findings SET detail = ?, detail_value = ? WHERE id = ?');
  for (const row of rows) {
    const detail = JSON.parse(row.detail) as Record<string, unknown>;
    const personal: Record<string, unknown> = {};
    for (const k of PERSONAL_KEYS_V5) {
      if (!(k in detail)) continue;
      personal[k] = detail[k];
      detail[k] = redact(String(detail[k]));
    }
    if (Object.keys(personal).length > 0) update.run(JSON.stringify(detail), JSON.stringify(personal), row.id);
  }
};

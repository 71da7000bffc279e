/**
 * Schema version 4: what `toyscope flows show` needs to show a request without the body. Messages keep their
 * head (`headers`: JSON `[[name, value], …]` in wire order, cut at MAX_STORED_HEAD_BYTES with `head_truncated`),
 * the request a response answers (`request_id`) and a summary of the decoded body (`body_summary`: JSON
 * `{parts, tokens}`, see MessageRecord). Flows of a replayed capture keep the capture frame numbers of their first
 * and last packet (`first_frame`, `last_frame`), so a tester can find them in Wireshark. Bodies are not stored.
 */
import type { Migration } from '../migrations.ts';

export const messageHeads: Migration = (db) => {
  db.exec(`
    ALTER TABLE messages ADD COLUMN headers TEXT;
    ALTER TABLE messages ADD COLUMN head_truncated INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN request_id INTEGER;
    ALTER TABLE messages ADD COLUMN body_summary TEXT;
    ALTER TABLE flows ADD COLUMN first_frame INTEGER;
    ALTER TABLE flows ADD COLUMN last_frame INTEGER;
  `);
};

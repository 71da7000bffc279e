/**
 * A purge leaves nothing behind: after `toyscope purge`, a marker that was in a finding's value, an evidence blob,
 * the reveal log, a saved capture in the data directory and the TLS key log is found nowhere in the database, its
 * WAL and shared memory, or any file of the data directory. A capture outside the data directory is not touched.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.ts';
import { captureRecord, evidenceChunk, finding, flowRecord, T0 } from '../../testkit/records.ts';
import { toyscope } from '../helpers/toyscope-process.ts';

const MARKER = 'PURGE-MARKER-7f3a9c';

/** Every file under `dir` holding the marker (bytes, as grep -r would find). */
function grep(dir: string): string[] {
  const hits: string[] = [];
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const file = join(e.parentPath, e.name);
    if (e.isFile() && readFileSync(file).includes(MARKER)) hits.push(file);
  }
  return hits;
}

describe('toyscope purge', () => {
  it('leaves no purged byte in the database, its WAL, or the data directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toyscope-purge-'));
    const outside = mkdtempSync(join(tmpdir(), 'toyscope-user-'));
    const saved = join(dir, 'captures', 'saved.pcap');
    const user = join(outside, 'user.pcap');
    mkdirSync(join(dir, 'captures'));
    writeFileSync(saved, `pcap bytes ${MARKER}`);
    writeFileSync(user, `pcap bytes ${MARKER}`);
    writeFileSync(join(dir, 'keylog.txt'), `CLIENT_RANDOM 00 ${MARKER}\n`);
    // A store left with a live WAL, as a killed proxy leaves it.
    const store = openStore(join(dir, 'toyscope.db'));
    const w = store.writer();
    w.capture(captureRecord({ id: 'cap-saved', path: saved, lastTs: T0 }));
    w.capture(captureRecord({ id: 'cap-user', path: user, lastTs: T0 }));
    w.flow(flowRecord({ id: 'f', captureId: 'cap-saved' }));
    w.evidence(
      evidenceChunk({ evidenceId: 'e', flowId: 'f', data: Buffer.from(`RIFF ${MARKER} `.repeat(400)), final: true }),
    );
    w.finding(finding({ id: 'x', flowId: 'f', evidence: { excerpt: 'PU••••9c', value: MARKER, evidenceId: 'e' } }));
    w.flush();
    store.logReveal({ ts: T0, findingId: 'x', session: 's', remote: '127.0.0.1', userAgent: MARKER });
    // The store stays open (a dashboard or proxy running): the marker sits in the WAL, not yet in the database.
    expect(
      grep(dir)
        .map((f) => f.slice(dir.length + 1))
        .sort(),
    ).toEqual(['captures/saved.pcap', 'keylog.txt', 'toyscope.db-wal']);

    const r = await toyscope('--data-dir', dir, 'purge', '--yes');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /Removed 1 evidence blob and the captured values of 1 finding;.* Also deleted 1 reveal log entry and 2 files/,
    );
    expect(grep(dir)).toEqual([]);
    store.close();
    expect(grep(dir)).toEqual([]);
    expect(existsSync(saved) || existsSync(join(dir, 'keylog.txt'))).toBe(false);
    expect(readFileSync(user, 'utf8')).toContain(MARKER); // not the data directory's: the user's own file
    const wal = join(dir, 'toyscope.db-wal');
    if (existsSync(wal)) expect(statSync(wal).size).toBe(0);
    for (const d of [dir, outside]) rmSync(d, { recursive: true, force: true });
  });
});

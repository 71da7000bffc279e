/**
 * A replay killed with SIGKILL (kill -9) leaves its capture marked `incomplete`, and replaying the same file again
 * replaces what the killed run left: the same findings and evidence as a clean run, no evidence written twice (a
 * rerun once continued an evidence blob from its stored size: a WAV with its RIFF header repeated), and the
 * findings indexes and summary triggers the killed run had deferred are back, the summaries recounted, once the
 * file is opened again. Through the real CLI, on a concatenation of the recorded fixtures
 * (test/helpers/concatenate.ts) large enough to be killed while it runs.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { concatenateCaptures } from '../helpers/concatenate.ts';
import { summaryTables } from '../helpers/summary-tables.ts';
import { FIXTURES, toyscopeWith } from '../helpers/toyscope-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'toyscope-kill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const BIN = join(import.meta.dirname, '../../bin/toyscope.js');

/** Fixtures with voice clips (evidence) and no face images (the detector would only make this slower). */
const voice = readdirSync(FIXTURES)
  .filter((d) => d.startsWith('voice-'))
  .map((d) => join(FIXTURES, d, 'capture.pcap'))
  .filter((f) => existsSync(f));

interface Totals {
  findings: number;
  evidence: number;
  chunks: number;
  bytes: number;
}

function totals(db: string): Totals {
  const d = new Database(db, { readonly: true });
  try {
    const one = (sql: string) => Number((d.prepare(sql).get() as { n: number | null }).n ?? 0);
    return {
      findings: one('SELECT count(*) AS n FROM findings'),
      evidence: one('SELECT count(*) AS n FROM evidence'),
      chunks: one('SELECT count(*) AS n FROM evidence_chunks'),
      bytes: one('SELECT sum(length(data)) AS n FROM evidence_chunks'),
    };
  } finally {
    d.close();
  }
}

/** Names of the indexes and triggers: what a kill during a bulk replay (indexes deferred) must not lose. */
function schemaObjects(db: string): string[] {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare("SELECT type || ' ' || name FROM sqlite_master ORDER BY 1").pluck().all() as string[];
  } finally {
    d.close();
  }
}

/** Findings as the summaries count them: their sum, and the findings table's count. */
function counted(db: string): [number, number] {
  const d = new Database(db, { readonly: true });
  try {
    const one = (sql: string) => d.prepare(sql).pluck().get() as number;
    return [one('SELECT coalesce(sum(n), 0) FROM finding_counts'), one('SELECT count(*) FROM findings')];
  } finally {
    d.close();
  }
}

/** Evidence chunks committed so far (0 while the database is not there yet). */
function chunksNow(db: string): number {
  try {
    return existsSync(db) ? totals(db).chunks : 0;
  } catch {
    return 0; // not initialised yet
  }
}

/** Starts `toyscope replay`, SIGKILLs it once some evidence is committed; resolves with how it ended. */
function replayKilled(db: string, capture: string): Promise<NodeJS.Signals | number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--db', db, 'replay', capture], { stdio: 'ignore' });
    const poll = setInterval(() => {
      if (chunksNow(db) > 0) child.kill('SIGKILL');
    }, 20);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      resolve(signal ?? code);
    });
  });
}

describe('toyscope replay after kill -9', () => {
  it('marks the capture incomplete, and a rerun replaces it with exactly what a clean run stores', async () => {
    expect(voice.length).toBeGreaterThan(3);
    const big = join(dir, 'voices.pcapng');
    concatenateCaptures(big, voice, { minBytes: 12 * 1024 * 1024 });
    const clean = join(dir, 'clean.db');
    const opts = { timeoutMs: 600_000 };
    expect((await toyscopeWith(opts, '--db', clean, 'replay', big)).code).toBe(0);
    const want = totals(clean);
    expect(want.chunks).toBeGreaterThan(0);

    const killed = join(dir, 'killed.db');
    expect(await replayKilled(killed, big)).toBe('SIGKILL');
    const left = JSON.parse((await toyscopeWith(opts, '--db', killed, 'captures', '--json')).out);
    expect(left.captures.map((c: { status: string }) => c.status)).toEqual(['incomplete']);
    expect((await toyscopeWith(opts, '--db', killed, 'captures')).out).toMatch(/\binterrupted\b/);
    expect(schemaObjects(killed)).toEqual(schemaObjects(clean)); // the deferred indexes are back after an open
    const [summed, stored] = counted(killed); // and the summaries count what the killed run committed
    expect(summed).toBe(stored);

    const rerun = await toyscopeWith(opts, '--db', killed, 'replay', big);
    expect(rerun.code).toBe(0);
    expect(rerun.err).toMatch(/replacing the results of an interrupted run/);
    expect(totals(killed)).toEqual(want);
    expect(summaryTables(killed)).toEqual(summaryTables(clean));
    expect(summaryTables(clean).counts.length).toBeGreaterThan(0);
    const after = JSON.parse((await toyscopeWith(opts, '--db', killed, 'captures', '--json')).out);
    expect(after.captures.map((c: { status: string }) => c.status)).toEqual(['complete']);
    expect((await toyscopeWith(opts, '--db', killed, 'captures')).out).not.toMatch(/\binterrupted\b/);
  }, 900_000);
});

import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.ts';
import { tempDir } from '../../testkit/records.ts';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(here, '../..');
const CHILD = join(here, 'helpers/kill-writer.ts');
const ROUNDS = 5;
const START_TIMEOUT_MS = 15_000;

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir();
});
afterAll(() => tmp.cleanup());

/** Starts the writer child, SIGKILLs it `delayMs` after its first commit, resolves with the last N it printed. */
function killWhileWriting(db: string, delayMs: number): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, db], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let armed = false;
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`child never committed: ${err}`));
    }, START_TIMEOUT_MS);
    child.stderr.on('data', (d: Buffer) => {
      err += d;
    });
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      if (armed || !out.includes('committed')) return;
      armed = true;
      clearTimeout(guard);
      setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.on('exit', (_code, signal) => {
      clearTimeout(guard);
      if (signal !== 'SIGKILL') return fail(new Error(`child exited on its own (${signal}): ${err}`));
      const counts = [...out.matchAll(/committed (\d+)/g)].map((m) => Number(m[1]));
      done(counts.at(-1) ?? 0);
    });
  });
}

describe('kill -9 while writing', () => {
  it(`loses no committed finding and never corrupts the file (${ROUNDS} rounds)`, async () => {
    const db = join(tmp.dir, 'killed.db');
    let previous = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const promised = await killWhileWriting(db, Math.floor(Math.random() * 1500));
      const check = new Database(db);
      expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(check.pragma('foreign_key_check')).toEqual([]);
      check.close();
      const store = openStore(db);
      const count = store.countFindings();
      store.close();
      expect(count).toBeGreaterThanOrEqual(promised);
      expect(promised).toBeGreaterThan(previous); // every round committed something on top of the last
      previous = count;
    }
  });
});

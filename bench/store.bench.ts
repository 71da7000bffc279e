/**
 * Store writer throughput on a temp file: findings inserted and updated in place (batched, default batchRows),
 * and evidence blobs. References: a bare better-sqlite3 batched insert of the same rows into a two-column table
 * (what SQLite itself costs), and `fs.writeSync` of the same evidence bytes. Ends with peak RSS.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../src/store/db.ts';
import { evidenceChunk, finding, flowRecord, T0 } from '../testkit/records.ts';
import { peakRssMiB, round } from './measure.ts';
import type { Bench } from './run.ts';

const FINDINGS = 200_000;
const EVIDENCE_MIB = 64;
const CHUNK = 64 * 1024;
const BLOB_MIB = 4;

function seconds(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const bench: Bench = async (emit) => {
  const dir = mkdtempSync(join(tmpdir(), 'toyscope-bench-'));
  try {
    const store = openStore(join(dir, 'bench.db'));
    const w = store.writer();
    w.flow(flowRecord());
    const template = finding();
    const write = (pass: number) => () => {
      for (let i = 0; i < FINDINGS; i++) w.finding({ ...template, id: `f${i}`, lastTs: T0 + pass * FINDINGS + i });
      w.flush();
    };
    const insertS = seconds(write(0));
    const updateS = seconds(write(1));

    const ref = new Database(join(dir, 'ref.db'));
    ref.pragma('journal_mode = WAL');
    ref.pragma('synchronous = NORMAL');
    ref.exec('CREATE TABLE t (id TEXT PRIMARY KEY, v TEXT)');
    const ins = ref.prepare('INSERT INTO t VALUES (?, ?)');
    const batch = ref.transaction((from: number) => {
      for (let i = from; i < from + 1000; i++) ins.run(`f${i}`, template.evidence.excerpt);
    });
    const refS = seconds(() => {
      for (let i = 0; i < FINDINGS; i += 1000) batch(i);
    });
    ref.close();
    const rowsPerS = (s: number) => Math.round(FINDINGS / s);
    emit({
      bench: 'store',
      corpus: 'findings-insert',
      rows_per_s: rowsPerS(insertS),
      goal_rows_per_s: 50_000,
      reference: 'bare-sqlite-insert',
      reference_rows_per_s: rowsPerS(refS),
      ratio: round(refS / insertS, 2),
    });
    emit({
      bench: 'store',
      corpus: 'findings-update',
      rows_per_s: rowsPerS(updateS),
      goal_rows_per_s: 50_000,
      reference: 'bare-sqlite-insert',
      reference_rows_per_s: rowsPerS(refS),
      ratio: round(refS / updateS, 2),
    });

    const data = new Uint8Array(CHUNK).map((_, i) => (i * 31) & 0xff);
    const chunksPerBlob = (BLOB_MIB * 1024 * 1024) / CHUNK;
    const blobs = EVIDENCE_MIB / BLOB_MIB;
    const evidenceS = seconds(() => {
      for (let b = 0; b < blobs; b++) {
        for (let seq = 0; seq < chunksPerBlob; seq++) {
          w.evidence(evidenceChunk({ evidenceId: `ev${b}`, data, seq, final: seq === chunksPerBlob - 1 }));
        }
      }
      w.flush();
    });
    const fd = openSync(join(dir, 'ref.bin'), 'w');
    const fileS = seconds(() => {
      for (let i = 0; i < blobs * chunksPerBlob; i++) writeSync(fd, data);
    });
    closeSync(fd);
    store.close();
    emit({
      bench: 'store',
      corpus: 'evidence-64k-chunks',
      mb_per_s: round(EVIDENCE_MIB / evidenceS),
      reference: 'fs.writeSync',
      reference_mb_per_s: round(EVIDENCE_MIB / fileS),
      ratio: round(fileS / evidenceS, 2),
    });
    emit({ bench: 'store', corpus: 'all', peak_rss_mib: peakRssMiB() });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
export default bench;

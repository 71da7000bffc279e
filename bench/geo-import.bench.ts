/**
 * `toyscope geo import` throughput on an OpenCellID-format file of ROWS cells (made here: MCC 460, keys in no order):
 * the file read line by line with readline and nothing else (the reference: the floor of any streaming reader),
 * the same file parsed into rows (src/geo/position-files.ts), and parsed and written into a store's position table
 * (src/store/positions.ts, transactions of IMPORT_BATCH_ROWS). Ends with peak RSS: it must not grow with the file.
 */
import { appendFileSync, createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { readPositionFile } from '../src/geo/position-files.ts';
import { openStore } from '../src/store/db.ts';
import { peakRssMiB, round } from './measure.ts';
import type { Bench } from './run.ts';

const ROWS = 500_000;

async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const bench: Bench = async (emit) => {
  const dir = mkdtempSync(join(tmpdir(), 'toyscope-bench-geo-'));
  try {
    const file = join(dir, 'cell_towers.csv');
    // Written a block at a time, so the peak RSS below is the import's, not the file's.
    writeFileSync(
      file,
      'radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal\n',
    );
    for (let from = 0; from < ROWS; from += 10_000) {
      let block = '';
      for (let i = from; i < from + 10_000; i++) {
        const lon = (73 + ((i * 7919) % 6000) / 100).toFixed(6);
        const lat = (18 + ((i * 104_729) % 3500) / 100).toFixed(6);
        block += `LTE,460,${i % 12},${(i * 31) % 65_000},${100_000 + i},,${lon},${lat},${500 + (i % 3000)},${1 + (i % 40)},1,1459692062,1685102122,-95\n`;
      }
      appendFileSync(file, block);
    }
    const mib = statSync(file).size / (1024 * 1024);
    const readS = await seconds(async () => {
      let n = 0;
      for await (const _ of createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY }))
        n++;
      return n;
    });
    const parseS = await seconds(() => readPositionFile(file, () => {}));
    const store = openStore(join(dir, 'bench.db'));
    const importS = await seconds(async () => {
      const imp = store.positions.startImport(file);
      const summary = await readPositionFile(file, (r) => {
        if ('cell' in r) imp.cell(r.cell);
      });
      imp.end(summary.format);
    });
    store.close();
    const fig = (corpus: string, s: number) =>
      emit({ bench: 'geo-import', corpus, rows: ROWS, mb_per_s: round(mib / s), rows_per_s: Math.round(ROWS / s) });
    fig('readline only (reference)', readS);
    fig('opencellid parse', parseS);
    fig('opencellid parse + store', importS);
    emit({ bench: 'geo-import', corpus: 'peak', rss_mib: peakRssMiB() });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
export default bench;

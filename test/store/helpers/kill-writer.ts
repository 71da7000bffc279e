/**
 * Child process of the kill -9 test: writes findings (new ones and streaming updates) through the store writer
 * as fast as it can and prints `committed N` after each flush, N being the findings the database then holds.
 * Run: `node --import tsx test/store/helpers/kill-writer.ts <db>`. Stops by itself after MAX_MS.
 */
import { openStore } from '../../../src/store/db.ts';
import { finding, flowRecord, T0 } from '../../../testkit/records.ts';

const MAX_MS = 20_000;
const PER_ROUND = 300;

const file = process.argv[2];
if (!file) throw new Error('usage: kill-writer.ts <db>');
const store = openStore(file, { batchRows: 250, batchMs: 20 });
const w = store.writer();
const run = `${process.pid}-${Date.now()}`;
let committed = store.countFindings();
w.flow(flowRecord({ id: `flow-${run}` }));
const started = Date.now();
let round = 0;

function writeRound(): void {
  for (let i = 0; i < PER_ROUND; i++) {
    const id = `${run}-${round}-${i}`;
    w.finding(finding({ id, flowId: `flow-${run}`, lastTs: T0 + i, final: false }));
    if (i % 3 === 0) w.finding(finding({ id, flowId: `flow-${run}`, lastTs: T0 + i + 1, final: true })); // an update
  }
  w.flush();
  committed += PER_ROUND;
  process.stdout.write(`committed ${committed}\n`);
  round++;
  if (Date.now() - started < MAX_MS) setImmediate(writeRound);
  else store.close();
}
writeRound();

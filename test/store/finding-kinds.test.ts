import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.ts';
import { openStore } from '../../src/store/db.ts';
import type { FindingKindCount, Store } from '../../src/store/types.ts';
import { finding, flowRecord, MAC, T0, tempDir } from '../../testkit/records.ts';

const OTHER = '127.0.0.7';
let tmp: ReturnType<typeof tempDir>;
let store: Store;

/** What countFindingKinds must equal: every finding read back, grouped in the order listFindings gives them. */
function kindsOf(findings: Finding[]): FindingKindCount[] {
  const groups = new Map<string, FindingKindCount>();
  for (const f of findings) {
    const shed = f.detail?.shed === true ? String(f.detail.reason ?? 'shed') : undefined;
    const key = JSON.stringify([f.deviceId, f.category, f.subtype, f.destination, shed]);
    const g = groups.get(key);
    if (g) g.count++;
    else {
      const { deviceId, category, subtype, destination } = f;
      groups.set(key, { deviceId, category, subtype, destination, count: 1, ...(shed ? { shed } : {}) });
    }
  }
  return [...groups.values()];
}

beforeAll(() => {
  tmp = tempDir();
  store = openStore(join(tmp.dir, 'k.db'));
  const w = store.writer();
  w.flow(flowRecord({ id: 'a', captureId: 'cap-a' }));
  w.flow(flowRecord({ id: 'b', captureId: 'cap-a', deviceId: OTHER, device: { ip: OTHER, port: 5 } }));
  w.flow(flowRecord({ id: 'c', captureId: 'cap-c' }));
  const third = { host: 'm.tracker.example', etld1: 'tracker.example', thirdParty: true };
  // 60 findings: times repeat (ties broken by rowid), destinations, kinds and devices interleaved, some shed.
  for (let i = 0; i < 60; i++) {
    const onB = i % 4 === 1;
    w.finding(
      finding({
        id: `f${i}`,
        flowId: i % 7 === 6 ? 'c' : onB ? 'b' : 'a',
        deviceId: onB ? OTHER : MAC,
        category: i % 3 === 0 ? 'face' : 'voice',
        subtype: i % 3 === 0 ? 'face' : i % 5 === 0 ? 'opus' : 'raw-pcm',
        firstTs: T0 + (i % 9) * 100,
        ...(i % 5 === 2 ? { destination: third } : {}),
        ...(i % 3 === 0 && i % 2 === 0
          ? { detail: { shed: true, ...(i % 4 === 0 ? { reason: 'queue-full' } : {}) } }
          : {}),
      }),
    );
  }
  w.flush();
});
afterAll(() => {
  store.close();
  tmp.cleanup();
});

describe('countFindingKinds', () => {
  it('equals grouping every finding read back, in the same order, per capture and over all', () => {
    for (const q of [{ captureId: 'cap-a' }, { captureId: 'cap-c' }, {}, { deviceId: OTHER }]) {
      const all = store.listFindings({ ...q, limit: 1000 });
      const kinds = store.countFindingKinds(q);
      expect(kinds).toEqual(kindsOf(all));
      expect(kinds.reduce((n, k) => n + k.count, 0)).toBe(all.length);
    }
    expect(store.countFindingKinds({}).some((k) => k.shed === 'queue-full')).toBe(true);
    expect(store.countFindingKinds({}).some((k) => k.shed === 'shed')).toBe(true);
  });

  it('is empty for a capture without findings', () => {
    expect(store.countFindingKinds({ captureId: 'nothing' })).toEqual([]);
  });
});

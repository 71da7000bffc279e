import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.ts';
import { applyRetention } from '../../src/store/retention.ts';
import type { Store } from '../../src/store/types.ts';
import { evidenceChunk, finding, flowRecord, MAC, messageRecord, T0, tempDir } from '../../testkit/records.ts';

const DAY = 86_400_000_000;
const OTHER = '127.0.0.7';
let tmp: ReturnType<typeof tempDir>;
let file: string;
let store: Store;

/** Two devices; an old flow (day 0) and a recent one (day 10) each, every flow with a finding and a voice clip. */
beforeEach(() => {
  tmp = tempDir();
  file = join(tmp.dir, 'r.db');
  store = openStore(file);
  const w = store.writer();
  for (const [dev, ip] of [
    [MAC, '127.0.0.2'],
    [OTHER, OTHER],
  ] as const) {
    for (const day of [0, 10]) {
      const id = `${dev}/${day}`;
      const ts = T0 + day * DAY;
      w.flow(
        flowRecord({
          id,
          deviceId: dev,
          device: { ip, port: 1 },
          captureId: `cap-${day}`,
          firstTs: ts,
          lastTs: ts + 5,
        }),
      );
      w.message(messageRecord({ flowId: id }));
      w.violation({ ts, flowId: id, decoder: 'json', code: 'too-deep' });
      w.evidence(evidenceChunk({ evidenceId: `ev-${id}`, flowId: id, data: new Uint8Array([day]), final: true }));
      const ev = { excerpt: '13••••78', value: '13912345678', evidenceId: `ev-${id}` };
      w.finding(finding({ id: `f-${id}`, flowId: id, deviceId: dev, firstTs: ts, lastTs: ts + 1, evidence: ev }));
    }
  }
  // written but not flushed: purge must cover it too
  w.capture({ id: 'cap-0', path: 'old.pcap', format: 'pcap', bytes: 1, importedAt: T0 });
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

describe('purge', () => {
  it('by age: removes old evidence and full values, keeps redacted findings and flows', () => {
    expect(store.purge({ beforeTs: T0 + DAY })).toMatchObject({ evidence: 2, findings: 2, flows: 0 });
    const old = store.listFindings({ sinceTs: 0 }).filter((f) => f.firstTs < T0 + DAY);
    expect(old).toHaveLength(2);
    for (const f of old) expect(f.evidence).toEqual({ excerpt: '13••••78' });
    expect(store.readEvidence(`ev-${MAC}/0`)).toBeUndefined();
    expect(store.readEvidence(`ev-${MAC}/10`)).toBeDefined();
    expect(store.listFindings({ sinceTs: T0 + DAY }).every((f) => f.evidence.value === '13912345678')).toBe(true);
    expect(store.listFlows()).toHaveLength(4);
    // a second run finds nothing left to remove
    expect(store.purge({ beforeTs: T0 + DAY })).toMatchObject({ evidence: 0, findings: 0, flows: 0 });
  });

  it('by device, everything: rows go, destinations and devices follow', () => {
    expect(store.purge({ deviceId: OTHER, everything: true })).toMatchObject({ evidence: 2, findings: 2, flows: 2 });
    expect(store.listFlows().map((f) => f.deviceId)).toEqual([MAC, MAC]);
    expect(store.listFindings().map((f) => f.deviceId)).toEqual([MAC, MAC]);
    expect(store.listViolations()).toHaveLength(2);
    expect(store.listMessages(`${OTHER}/0`)).toEqual([]);
    expect(store.listDevices().map((d) => d.id)).toEqual([MAC]);
    expect(store.listDestinations().map((d) => [d.deviceId, d.flows])).toEqual([[MAC, 2]]);
  });

  it('by capture, everything: the capture can be imported again', () => {
    expect(store.hasCapture('cap-0')).toBe(true); // pending in the writer, flushed by the question
    expect(store.purge({ captureId: 'cap-0', everything: true })).toMatchObject({ evidence: 2, findings: 2, flows: 2 });
    expect(store.hasCapture('cap-0')).toBe(false);
    expect(store.listFlows().map((f) => f.captureId)).toEqual(['cap-10', 'cap-10']);
  });

  it('leaves no purged bytes in the database file (secure_delete, WAL checkpointed)', () => {
    const w = store.writer();
    const clip = new TextEncoder().encode('CHILD-VOICE-SAMPLE '.repeat(2000)); // spills into overflow pages
    w.evidence(evidenceChunk({ evidenceId: 'clip', flowId: `${MAC}/0`, data: clip, final: true }));
    w.finding(
      finding({ id: 'long', flowId: `${MAC}/0`, evidence: { excerpt: '••', value: 'SECRET-NAME '.repeat(50) } }),
    );
    w.flush();
    store.purge({ deviceId: MAC });
    expect(statSync(`${file}-wal`).size).toBe(0);
    store.close();
    const bytes = readFileSync(file);
    expect(bytes.includes('CHILD-VOICE-SAMPLE')).toBe(false);
    expect(bytes.includes('SECRET-NAME')).toBe(false);
  });
});

describe('applyRetention', () => {
  it('purges what is older than the given days', () => {
    expect(applyRetention(store, 5, T0 + 10 * DAY)).toMatchObject({ evidence: 2, findings: 2, flows: 0 });
    expect(applyRetention(store, 0, T0 + 20 * DAY)).toMatchObject({ evidence: 2, findings: 2, flows: 0 });
  });
});

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.ts';
import type { Store } from '../../src/store/types.ts';
import { finding, flowRecord, MAC, T0, tempDir } from '../../testkit/records.ts';

const OTHER = '127.0.0.7';
let tmp: ReturnType<typeof tempDir>;
let store: Store;

beforeAll(() => {
  tmp = tempDir();
  store = openStore(join(tmp.dir, 'q.db'));
  const w = store.writer();
  w.flow(flowRecord({ id: 'a', captureId: 'cap-a', firstTs: T0 }));
  w.flow(
    flowRecord({
      id: 'b',
      captureId: 'cap-b',
      deviceId: OTHER,
      device: { ip: OTHER, port: 5 },
      transport: 'mqtt',
      tls: 'none',
      firstTs: T0 + 10,
      lastTs: T0 + 2000,
      destination: { host: 'm.tracker.example', etld1: 'tracker.example', thirdParty: true },
    }),
  );
  // 12 findings, newest last: alternating flows and categories
  for (let i = 0; i < 12; i++) {
    const onB = i % 2 === 1;
    w.finding(
      finding({
        id: `f${i}`,
        flowId: onB ? 'b' : 'a',
        deviceId: onB ? OTHER : MAC,
        category: i % 3 === 0 ? 'location' : 'voice',
        subtype: i % 3 === 0 ? 'gps' : 'raw-pcm',
        firstTs: T0 + i * 100,
        lastTs: T0 + i * 100 + 50,
        destination: onB
          ? { host: 'm.tracker.example', etld1: 'tracker.example', thirdParty: true }
          : { host: 'api.toycloud.example', etld1: 'toycloud.example', thirdParty: false },
      }),
    );
  }
  w.violation({ ts: T0, flowId: 'a', decoder: 'json', code: 'too-deep' });
  w.violation({ ts: T0 + 1, flowId: 'b', decoder: 'mqtt', code: 'bad-remaining-length' });
  w.violation({ ts: T0 + 2, decoder: 'pcapng', code: 'bad-block' });
  w.violation({ ts: T0 - 1, flowId: 'b', decoder: 'http1', code: 'anomaly-cl-te' });
  w.flush();
});
afterAll(() => {
  store.close();
  tmp.cleanup();
});

const ids = (q: Parameters<Store['listFindings']>[0]) => store.listFindings(q).map((f) => f.id);

describe('listFindings / countFindings', () => {
  it('counts findings per device, destination host and category', () => {
    const sorted = (xs: ReturnType<Store['countFindingsByDestination']>) =>
      xs.map((x) => `${x.deviceId} ${x.host} ${x.category} ${x.count}`).sort();
    expect(sorted(store.countFindingsByDestination())).toEqual([
      `${MAC} api.toycloud.example location 2`,
      `${MAC} api.toycloud.example voice 4`,
      `${OTHER} m.tracker.example location 2`,
      `${OTHER} m.tracker.example voice 4`,
    ]);
    expect(sorted(store.countFindingsByDestination(OTHER))).toHaveLength(2);
  });

  it('lists newest first with limit and offset', () => {
    expect(ids({})).toEqual(['f11', 'f10', 'f9', 'f8', 'f7', 'f6', 'f5', 'f4', 'f3', 'f2', 'f1', 'f0']);
    expect(ids({ limit: 3 })).toEqual(['f11', 'f10', 'f9']);
    expect(ids({ limit: 3, offset: 3 })).toEqual(['f8', 'f7', 'f6']);
    expect(store.countFindings({ limit: 3 })).toBe(12);
  });

  it('filters by category, subtype, device, flow, capture, host or eTLD+1, and time', () => {
    expect(ids({ category: 'location' })).toEqual(['f9', 'f6', 'f3', 'f0']);
    expect(ids({ subtype: 'gps', deviceId: OTHER })).toEqual(['f9', 'f3']);
    expect(ids({ flowId: 'a', category: 'voice' })).toEqual(['f10', 'f8', 'f4', 'f2']);
    expect(ids({ captureId: 'cap-b' })).toEqual(ids({ flowId: 'b' }));
    expect(ids({ host: 'tracker.example' })).toEqual(ids({ host: 'm.tracker.example' }));
    expect(ids({ host: 'tracker.example' })).toEqual(ids({ deviceId: OTHER }));
    expect(ids({ sinceTs: T0 + 1000 })).toEqual(['f11', 'f10']);
    expect(store.countFindings({ category: 'voice', deviceId: MAC })).toBe(4);
    expect(store.countFindings({ category: 'face' })).toBe(0);
  });

  it('rebuilds the Finding shape with the redacted excerpt and the full value', () => {
    const [f] = store.listFindings({ limit: 1 });
    expect(f!.evidence).toEqual({ excerpt: 'RI••••VE', value: 'RIFF....WAVE', evidenceId: 'ev-1' });
    expect(f!.destination).toEqual({ host: 'm.tracker.example', etld1: 'tracker.example', thirdParty: true });
  });
});

describe('other lists', () => {
  it('flows newest first, filtered by device, capture, transport, tls', () => {
    expect(store.listFlows().map((f) => f.id)).toEqual(['b', 'a']);
    expect(store.listFlows({ deviceId: MAC }).map((f) => f.id)).toEqual(['a']);
    expect(store.listFlows({ captureId: 'cap-b' }).map((f) => f.id)).toEqual(['b']);
    expect(store.listFlows({ transport: 'mqtt', tls: 'none' }).map((f) => f.id)).toEqual(['b']);
    expect(store.listFlows({ transport: 'http', tls: 'none' })).toEqual([]);
    expect(store.listFlows({ limit: 1, offset: 1 }).map((f) => f.id)).toEqual(['a']);
  });

  it('violations newest first, by flow, by capture, by code prefix, limited', () => {
    expect(store.listViolations().map((v) => v.code)).toEqual([
      'bad-block',
      'bad-remaining-length',
      'too-deep',
      'anomaly-cl-te',
    ]);
    expect(store.listViolations({ flowId: 'a' }).map((v) => v.code)).toEqual(['too-deep']);
    expect(store.listViolations({ captureId: 'cap-b' }).map((v) => v.code)).toEqual([
      'bad-remaining-length',
      'anomaly-cl-te',
    ]);
    expect(store.listViolations({ codePrefix: 'anomaly-' }).map((v) => v.flowId)).toEqual(['b']);
    expect(store.listViolations({ codePrefix: 'anomaly_' })).toEqual([]); // LIKE wildcards are escaped
    expect(store.listViolations({ limit: 1 })).toHaveLength(1);
  });

  it('destinations per device', () => {
    expect(store.listDestinations().map((d) => d.deviceId)).toEqual([OTHER, MAC]);
    expect(store.listDestinations(OTHER)).toMatchObject([{ host: 'm.tracker.example', thirdParty: true, flows: 1 }]);
  });
});

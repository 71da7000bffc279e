import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.ts';
import type { Store } from '../../src/store/types.ts';
import { EVIDENCE_ROW_BYTES } from '../../src/store/writer.ts';
import { evidenceChunk, finding, flowRecord, MAC, messageRecord, T0, tempDir } from '../../testkit/records.ts';

let tmp: ReturnType<typeof tempDir>;
let file: string;
let store: Store;

beforeEach(() => {
  tmp = tempDir();
  file = join(tmp.dir, 'toyscope.db');
  store = openStore(file);
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

describe('writer round-trip', () => {
  it('stores every record type and reads it back unchanged', () => {
    const w = store.writer();
    const cap = {
      id: 'cap-1',
      sha256: 'cap-1',
      status: 'complete' as const,
      path: 'toy.pcap',
      format: 'pcap' as const,
      bytes: 4096,
      importedAt: T0,
      firstTs: T0,
      lastTs: T0 + 9,
      skipped: { 'ipv6-ext': 2 },
    };
    const flow = flowRecord({ closed: true, error: { code: 'reset', message: 'peer reset' }, bytesMissing: 7 });
    const msg = messageRecord({ topic: 'toy/voice' });
    const response = messageRecord({ msgId: 1, direction: 'download', method: undefined, url: undefined, status: 200 });
    const f = finding();
    const v = {
      ts: T0 + 5,
      flowId: 'flow-1',
      msgId: 0,
      decoder: 'json',
      code: 'too-deep',
      message: 'depth 65',
      offset: 9,
    };
    w.capture(cap);
    w.flow(flow);
    w.message(msg);
    w.message(response);
    w.finding(f);
    w.violation(v);
    w.evidence(evidenceChunk({ data: new Uint8Array([1, 2]), seq: 0 }));
    w.evidence(evidenceChunk({ data: new Uint8Array([3]), seq: 1, final: true }));
    w.flush();

    expect(store.hasCapture('cap-1')).toBe(true);
    expect(store.hasCapture('cap-2')).toBe(false);
    expect(store.listCaptures()).toEqual([cap]);
    expect(store.listFlows()).toEqual([flow]);
    expect(store.listMessages('flow-1')).toEqual([msg, response]);
    expect(store.listFindings()).toEqual([f]);
    expect(store.listViolations()).toEqual([v]);
    expect(store.listDevices()).toEqual([
      { id: MAC, mac: MAC, ip: '127.0.0.2', firstTs: flow.firstTs, lastTs: flow.lastTs },
    ]);
    const ev = store.readEvidence('ev-1');
    expect(ev).toMatchObject({ id: 'ev-1', mime: 'audio/wav', truncated: false });
    expect([...ev!.bytes]).toEqual([1, 2, 3]);
    expect(store.readEvidence('nope')).toBeUndefined();
  });

  it('keeps optional fields absent rather than undefined or null', () => {
    const w = store.writer();
    const flow = flowRecord({ captureId: undefined, device: { ip: '127.0.0.3', port: 1 }, deviceId: '127.0.0.3' });
    delete flow.captureId;
    const f = finding({ deviceId: '127.0.0.3', evidence: { excerpt: '••••' } });
    delete f.msgId;
    delete f.path;
    delete f.detail;
    w.flow(flow);
    w.finding(f);
    w.flush();
    const [got] = store.listFindings();
    expect(got).toEqual(f);
    expect(Object.keys(got!.evidence)).toEqual(['excerpt']);
    expect(store.listFlows()).toEqual([flow]);
  });

  it('snapshots records at the call: later mutation by the caller does not leak in', () => {
    const w = store.writer();
    const f = finding();
    w.flow(flowRecord());
    w.finding(f);
    const data = new Uint8Array([9, 9, 9]);
    w.evidence(evidenceChunk({ data, final: true }));
    f.subtype = 'changed';
    data.fill(0);
    w.flush();
    expect(store.listFindings()[0]!.subtype).toBe('raw-pcm');
    expect([...store.readEvidence('ev-1')!.bytes]).toEqual([9, 9, 9]);
  });
});

describe('upserts', () => {
  it('updates a streaming finding in place: one row, last values, first_ts kept', () => {
    const w = store.writer();
    w.flow(flowRecord());
    for (let i = 0; i < 3; i++) {
      w.finding(
        finding({
          firstTs: T0 + 100 + i * 1000, // a later re-emission must not move the first sighting
          lastTs: T0 + 200 + i * 1000,
          confidence: 0.5 + i * 0.2,
          detail: { seconds: i + 1 },
          final: i === 2,
        }),
      );
      w.flush();
    }
    const rows = store.listFindings();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      firstTs: T0 + 100,
      lastTs: T0 + 2200,
      confidence: 0.9,
      detail: { seconds: 3 },
      final: true,
    });
    expect(store.countFindings()).toBe(1);
  });

  it('upserts flows (open, update, close) and keeps destinations counting each flow once', () => {
    const w = store.writer();
    w.flow(flowRecord({ bytesUp: 0, bytesDown: 0 }));
    w.flow(flowRecord({ bytesUp: 50, bytesDown: 5, lastTs: T0 + 2000 }));
    w.flow(flowRecord({ bytesUp: 100, bytesDown: 10, lastTs: T0 + 3000, closed: true }));
    w.flow(flowRecord({ id: 'flow-2', bytesUp: 1, bytesDown: 2, firstTs: T0 + 5000, lastTs: T0 + 6000 }));
    w.flush();
    expect(store.listFlows().map((f) => [f.id, f.bytesUp, f.closed])).toEqual([
      ['flow-2', 1, false],
      ['flow-1', 100, true],
    ]);
    expect(store.listDestinations(MAC)).toEqual([
      {
        deviceId: MAC,
        host: 'api.toycloud.example',
        etld1: 'toycloud.example',
        operator: 'ToyCo',
        thirdParty: false,
        flows: 2,
        bytesUp: 101,
        bytesDown: 12,
        firstTs: T0,
        lastTs: T0 + 6000,
      },
    ]);
    expect(store.listDevices()[0]).toMatchObject({ firstTs: T0, lastTs: T0 + 6000 });
  });

  it('moves a flow to its new destination when its host becomes known', () => {
    const w = store.writer();
    const byIp = { host: '127.0.0.1', etld1: '127.0.0.1', thirdParty: true };
    w.flow(flowRecord({ server: { ip: '127.0.0.1', port: 443 }, destination: byIp }));
    w.flow(flowRecord({ lastTs: T0 + 9 }));
    w.flush();
    expect(store.listDestinations().map((d) => [d.host, d.flows])).toEqual([['api.toycloud.example', 1]]);
  });

  it('completes a capture written incomplete when its replay started, keeping when it was imported', () => {
    const w = store.writer();
    w.capture({ id: 'c', path: '-', format: 'pcap', bytes: 0, importedAt: T0, status: 'incomplete' });
    w.flush();
    expect(store.hasCapture('c')).toBe(false);
    expect(store.findCapture('c')).toMatchObject({ status: 'incomplete' });
    const done = { bytes: 99, importedAt: T0 + 1, status: 'complete', sha256: 'f'.repeat(64) } as const;
    w.capture({ id: 'c', path: '-', format: 'pcap', ...done });
    w.flush();
    expect(store.listCaptures()).toEqual([{ id: 'c', path: '-', format: 'pcap', ...done, importedAt: T0 }]);
    expect(store.hasCapture('f'.repeat(64))).toBe(true);
  });
});

describe('batching', () => {
  it('rows are invisible to another connection until flushed', () => {
    const w = store.writer();
    const other = new Database(file, { readonly: true });
    try {
      const count = () => (other.prepare('SELECT count(*) AS n FROM findings').get() as { n: number }).n;
      w.flow(flowRecord());
      for (let i = 0; i < 10; i++) w.finding(finding({ id: `f${i}` }));
      expect(count()).toBe(0);
      w.flush();
      expect(count()).toBe(10);
    } finally {
      other.close();
    }
  });

  it('commits by itself every batchRows rows', () => {
    store.close();
    store = openStore(file, { batchRows: 10, batchMs: 60_000 });
    const w = store.writer();
    w.flow(flowRecord()); // two rows: device + flow
    for (let i = 0; i < 25; i++) w.finding(finding({ id: `f${i}` }));
    const other = openStore(file, { readonly: true });
    expect(other.countFindings()).toBe(18);
    other.close();
  });

  it('commits after batchMs on an unref-ed timer', async () => {
    store.close();
    store = openStore(file, { batchMs: 20 });
    store.writer().flow(flowRecord());
    const other = openStore(file, { readonly: true });
    expect(other.listFlows()).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 80));
    expect(other.listFlows()).toHaveLength(1);
    other.close();
  });

  it('reports a rejected row (a finding of an unknown flow) and commits the rest of the batch', () => {
    const w = store.writer();
    w.flow(flowRecord());
    w.finding(finding({ id: 'ok' }));
    w.finding(finding({ id: 'orphan', flowId: 'no-such-flow' }));
    expect(() => w.flush()).toThrow(/1 row\(s\) rejected.*FOREIGN KEY/);
    expect(store.listFindings().map((f) => f.id)).toEqual(['ok']);
  });

  it('surfaces an error of a timer-driven commit at the next call', async () => {
    store.close();
    store = openStore(file, { batchMs: 10 });
    const w = store.writer();
    w.finding(finding({ flowId: 'no-such-flow' }));
    await new Promise((r) => setTimeout(r, 60));
    expect(() => w.flow(flowRecord())).toThrow(/rejected/);
    w.flow(flowRecord()); // the writer goes on
    w.flush();
    expect(store.listFlows()).toHaveLength(1);
  });

  it('refuses use after close, and close flushes', () => {
    const w = store.writer();
    w.flow(flowRecord());
    w.close();
    expect(() => w.finding(finding())).toThrow(/closed/);
    expect(store.listFlows()).toHaveLength(1);
    expect(store.writer()).toBe(w);
  });
});

describe('evidence', () => {
  it('keeps what the pipeline kept: a blob larger than the default cap is not cut again (evidence.maxBytes)', () => {
    const w = store.writer();
    w.flow(flowRecord());
    const nine = 9 * 1024 * 1024;
    const piece = new Uint8Array(1024 * 1024).fill(7);
    for (let seq = 0; seq < 9; seq++) w.evidence(evidenceChunk({ data: piece, seq, final: seq === 8 }));
    w.flush();
    const ev = store.readEvidence('ev-1')!;
    expect(ev.truncated).toBe(false);
    expect(ev.bytes.length).toBe(nine);
  });

  it('keeps the pipeline truncated flag and splits large chunks into bounded rows', () => {
    const w = store.writer();
    w.flow(flowRecord());
    const big = new Uint8Array(EVIDENCE_ROW_BYTES * 2 + 5).map((_, i) => i % 251);
    w.evidence(evidenceChunk({ data: big, seq: 0, truncated: true, final: true }));
    w.flush();
    const ev = store.readEvidence('ev-1')!;
    expect(ev.truncated).toBe(true);
    expect(Buffer.from(ev.bytes).equals(Buffer.from(big))).toBe(true);
    const db = new Database(file, { readonly: true });
    const rows = db.prepare('SELECT length(data) AS n FROM evidence_chunks ORDER BY seq').all() as { n: number }[];
    db.close();
    expect(rows.map((r) => r.n)).toEqual([EVIDENCE_ROW_BYTES, EVIDENCE_ROW_BYTES, 5]);
  });

  it('continues a blob across flushes in order', () => {
    const w = store.writer();
    w.flow(flowRecord());
    for (let i = 0; i < 5; i++) {
      w.evidence(evidenceChunk({ data: new Uint8Array([i]), seq: i, final: i === 4 }));
      w.flush();
    }
    expect([...store.readEvidence('ev-1')!.bytes]).toEqual([0, 1, 2, 3, 4]);
  });

  it('appends to a blob written again after its final chunk, flushed or not', () => {
    const w = store.writer();
    w.flow(flowRecord());
    w.evidence(evidenceChunk({ data: new Uint8Array([1]), final: true }));
    w.evidence(evidenceChunk({ data: new Uint8Array([2]), seq: 1, final: true }));
    w.flush();
    w.evidence(evidenceChunk({ data: new Uint8Array([3]), seq: 2, final: true }));
    w.flush();
    expect([...store.readEvidence('ev-1')!.bytes]).toEqual([1, 2, 3]);
  });
});

import { copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.ts';
import { MIGRATIONS, migrate, SCHEMA_VERSION, schemaVersion } from '../../src/store/migrations.ts';
import { finding, flowRecord, tempDir } from '../../testkit/records.ts';

const V1 = join(dirname(fileURLToPath(import.meta.url)), '../data/store/v1.db');
const T = 1_700_000_000_000_000;
const DEVICE = '02:00:00:00:00:01';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

/** Tables, indexes and triggers with their columns, order-insensitive: what a schema is made of. */
function shape(db: Database.Database): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const objects = db
    .prepare("SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
    .all() as { type: string; name: string; tbl_name: string }[];
  for (const o of objects) {
    const cols =
      o.type === 'table'
        ? (db.pragma(`table_info(${o.name})`) as { name: string; type: string; notnull: number; pk: number }[]).map(
            (c) => `${c.name} ${c.type} ${c.notnull} ${c.pk}`,
          )
        : o.type === 'index'
          ? (db.pragma(`index_info(${o.name})`) as { name: string }[]).map((c) => c.name)
          : [];
    out[`${o.type} ${o.name} on ${o.tbl_name}`] = cols.sort();
  }
  return out;
}

describe('migrations', () => {
  it('the committed v1.db is at version 1', () => {
    const db = new Database(V1, { readonly: true });
    expect(schemaVersion(db)).toBe(1);
    db.close();
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(2);
  });

  it('upgrades v1.db on open, keeping every row', () => {
    const file = join(tmp.dir, 'v1.db');
    copyFileSync(V1, file);
    const store = openStore(file);
    const db = new Database(file, { readonly: true });
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    db.close();

    expect(store.listCaptures()).toHaveLength(1);
    expect(store.listDevices()).toEqual([
      { id: DEVICE, name: 'talking bear', mac: DEVICE, ip: '127.0.0.2', firstTs: T, lastTs: T + 5_000_000 },
    ]);
    const flows = store.listFlows();
    expect(flows.map((f) => [f.id, f.destination.host, f.bytesMissing])).toEqual([
      ['f2', '127.0.0.9', 0],
      ['f1', 'api.toycloud.example', 0],
    ]);
    expect(flows[0]!.error).toEqual({ code: 'reset', message: 'connection reset' });
    expect(store.listMessages('f1').map((m) => [m.msgId, m.gapBytes, m.mime])).toEqual([
      [0, 0, undefined],
      [1, 0, undefined],
    ]);
    const findings = store.listFindings();
    expect(findings.map((f) => f.id)).toEqual(['v1-mac', 'v1-voice']);
    expect(findings[1]).toEqual({
      id: 'v1-voice',
      flowId: 'f1',
      msgId: 0,
      deviceId: DEVICE,
      category: 'voice',
      subtype: 'raw-pcm',
      confidence: 0.95,
      firstTs: T,
      lastTs: T + 1_000_000,
      direction: 'upload',
      destination: { host: 'api.toycloud.example', etld1: 'api.toycloud.example', thirdParty: false },
      encrypted: true,
      evidence: { excerpt: 'RIFF•••WAVE' },
      path: '$',
      final: true,
    });
    expect(findings[0]!.destination.thirdParty).toBe(true);
    expect(store.listViolations()).toHaveLength(1);
    expect(store.listDestinations(DEVICE).map((d) => [d.host, d.flows, d.bytesUp])).toEqual([
      ['127.0.0.9', 1, 500],
      ['api.toycloud.example', 1, 1200],
    ]);

    // and the upgraded file takes new writes like a fresh one
    const w = store.writer();
    w.flow(flowRecord({ id: 'f1', deviceId: DEVICE, bytesUp: 1300 }));
    w.finding(finding({ id: 'v1-voice', flowId: 'f1', deviceId: DEVICE, final: false }));
    w.flush();
    expect(store.countFindings()).toBe(2);
    expect(store.listDestinations(DEVICE).find((d) => d.host === 'api.toycloud.example')?.bytesUp).toBe(1300);
    store.close();
  });

  it('a v1 database upgraded has the same schema as a fresh one', () => {
    const upgraded = new Database(join(tmp.dir, 'a.db'));
    migrate(upgraded, 1);
    migrate(upgraded);
    const fresh = new Database(join(tmp.dir, 'b.db'));
    migrate(fresh);
    expect(shape(upgraded)).toEqual(shape(fresh));
    upgraded.close();
    fresh.close();
  });

  it('leaves a database at a whole version when a step fails', () => {
    const db = new Database(join(tmp.dir, 'c.db'));
    migrate(db, 1);
    db.exec('CREATE TABLE evidence (x)'); // makes step 2 fail part way
    expect(() => migrate(db)).toThrow(/already exists/);
    expect(schemaVersion(db)).toBe(1);
    const cols = (db.pragma('table_info(flows)') as { name: string }[]).map((c) => c.name);
    expect(cols).not.toContain('bytes_missing');
    db.close();
  });

  it('5 and 6: old captures are complete under their sha256; personal detail values move to detail_value, masked', () => {
    const file = join(tmp.dir, 'v4.db');
    const db = new Database(file);
    migrate(db, 4);
    db.prepare(
      "INSERT INTO captures (id, path, format, bytes, imported_at) VALUES ('c'||hex(randomblob(4)), 'a.pcap', 'pcap', 1, 1)",
    ).run();
    db.prepare(
      `INSERT INTO flows (id, device_id, client_ip, client_port, server_ip, server_port, transport, tls, source,
         first_ts, last_ts, destination_host, destination_etld1)
       VALUES ('f1', 'd', '127.0.0.2', 1, '127.0.0.1', 2, 'http', 'none', 'capture', 1, 1, 'h', 'h')`,
    ).run();
    db.prepare(
      `INSERT INTO findings (id, flow_id, device_id, category, subtype, confidence, first_ts, last_ts, direction,
         destination_host, destination_third_party, encrypted, excerpt, value, detail)
       VALUES ('p', 'f1', 'd', 'contacts', 'phone-number', 0.9, 1, 1, 'upload', 'h', 0, 0, '+86•••678', ?, ?)`,
    ).run('+8613812345678', JSON.stringify({ e164: '+8613812345678', country: 'CN' }));
    db.close();
    const store = openStore(file);
    const [capture] = store.listCaptures();
    expect(capture).toMatchObject({ status: 'complete', sha256: capture?.id });
    expect(store.hasCapture(capture?.id ?? '')).toBe(true);
    const [f] = store.listFindings();
    expect(f?.detail).toEqual({ e164: '+86••••••••678', country: 'CN' });
    expect(f?.evidence.detail).toEqual({ e164: '+8613812345678' });
    store.purge({});
    expect(store.listFindings()[0]?.evidence.detail).toBeUndefined();
    store.close();
  });
});

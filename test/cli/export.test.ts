/**
 * `toyscope export --har` through the real CLI, and back: captures replayed into one store, exported as a HAR,
 * replayed from the HAR into another store, give the same flows (transport, TLS, server) and messages (method,
 * URL, status, heads, sizes).
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../src/model/records.ts';
import { openStore } from '../../src/store/db.ts';
import type { Store } from '../../src/store/types.ts';
import { FIXTURES, toyscope } from '../helpers/toyscope-process.ts';

/** What must survive export and import, per flow in time order. */
function shape(store: Store): unknown[] {
  const flows = store
    .listFlows({ limit: 10_000 })
    .filter((f: FlowRecord) => f.transport === 'http' || f.transport === 'websocket')
    .sort((a, b) => a.firstTs - b.firstTs || a.id.localeCompare(b.id));
  return flows.map((f) => ({
    transport: f.transport,
    tls: f.tls,
    server: f.server,
    messages: store.listMessages(f.id).map((m) => ({
      msgId: m.msgId,
      direction: m.direction,
      protocol: m.protocol,
      method: m.method,
      url: m.url,
      status: m.status,
      requestId: m.requestId,
      headers: m.protocol === 'http' ? m.headers : [],
      size: m.protocol === 'http' ? m.bodyBytes + m.gapBytes : 0,
    })),
  }));
}

describe('toyscope export --har', () => {
  const a = mkdtempSync(join(tmpdir(), 'toyscope-export-a-'));
  const b = mkdtempSync(join(tmpdir(), 'toyscope-export-b-'));
  const har = join(a, 'out.har');

  it('exports what it stored, and importing the HAR gives the same flows, heads and sizes', async () => {
    const captures = ['curl-keepalive/capture.pcap', 'curl-chunked-gzip/capture.pcap', 'wss-keylog/capture.pcap'];
    const replayed = await toyscope(
      '--data-dir',
      a,
      'replay',
      ...captures.map((c) => join(FIXTURES, c)),
      join(FIXTURES, 'har-chromium/capture.har'),
      '--keylog',
      join(FIXTURES, 'wss-keylog/keylog.txt'),
    );
    expect(replayed.code).toBe(0);
    const exported = await toyscope('--data-dir', a, 'export', '--har', '--reveal', '-o', har);
    expect(exported.code).toBe(0);
    expect(exported.err).toMatch(/^exported \d+ entries from \d+ flows to .*out\.har\n$/);
    expect(statSync(har).mode & 0o777).toBe(0o600);
    const imported = await toyscope('--data-dir', b, 'replay', har, '--device', 'lab-export');
    expect(imported.code).toBe(0);
    const [sa, sb] = [openStore(join(a, 'toyscope.db')), openStore(join(b, 'toyscope.db'))];
    try {
      const before = shape(sa);
      expect(before.length).toBeGreaterThanOrEqual(10);
      expect(shape(sb)).toEqual(before);
    } finally {
      sa.close();
      sb.close();
    }
  });

  it('masks heads and URLs unless --reveal, filters by device, and refuses to overwrite a file', async () => {
    const r = await toyscope('--data-dir', a, 'export', '--har', '--device', 'har:capture.har');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.log.entries.length).toBe(8);
    expect(JSON.stringify(doc)).not.toContain('Ava Chen');
    expect(
      doc.log.entries.every((e: { _toyscope: { deviceId: string } }) => e._toyscope.deviceId === 'har:capture.har'),
    ).toBe(true);
    writeFileSync(join(a, 'exists.har'), 'x');
    const again = await toyscope('--data-dir', a, 'export', '--har', '-o', join(a, 'exists.har'));
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/exists; use --force to overwrite it/);
    expect(readFileSync(join(a, 'exists.har'), 'utf8')).toBe('x');
    const noFormat = await toyscope('--data-dir', a, 'export');
    expect(noFormat.code).toBe(2);
  });
});

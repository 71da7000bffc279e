/**
 * mitmproxy flow files: the tnetstring reader on hand-made values, and the fixture recorded by mitmdump
 * (fixtures/mitmproxy-flows) replayed at every cut, cut short and broken, plus records mitmproxy writes for other
 * flow types and WebSocket messages (made here with a small tnetstring writer).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzers } from '../../analyzers/index.ts';
import { startsLikeMitmFlows } from '../../src/capture/detect-format.ts';
import { MitmFlowsReplay } from '../../src/capture/mitm-flows.ts';
import { MAX_TNET_DEPTH, parseTnetstring, TnetstringError, type TnetValue } from '../../src/capture/tnetstring.ts';
import type { FlowEvent } from '../../src/model/events.ts';
import { DEFAULT_LIMITS } from '../../src/model/limits.ts';
import type { Violation } from '../../src/model/violation.ts';
import { CollectingOutput } from '../../src/pipeline/output.ts';
import { Pipeline } from '../../src/pipeline/pipeline.ts';
import { FIXTURES } from './fixture-replay.ts';

const FILE = join(FIXTURES, 'mitmproxy-flows/capture.flows');

/** A tnetstring writer for the records below (mitmproxy's own format, written as mitmproxy writes it). */
function tnet(v: TnetValue): Buffer {
  const wrap = (data: Buffer, type: string) => Buffer.concat([Buffer.from(`${data.length}:`), data, Buffer.from(type)]);
  if (Buffer.isBuffer(v)) return wrap(v, ',');
  if (typeof v === 'string') return wrap(Buffer.from(v), ';');
  if (typeof v === 'number') return wrap(Buffer.from(String(v)), Number.isInteger(v) ? '#' : '^');
  if (typeof v === 'boolean') return wrap(Buffer.from(String(v)), '!');
  if (v === null) return wrap(Buffer.alloc(0), '~');
  if (Array.isArray(v)) return wrap(Buffer.concat(v.map(tnet)), ']');
  return wrap(Buffer.concat(Object.entries(v).flatMap(([k, x]) => [tnet(k), tnet(x)])), '}');
}

function replay(chunks: Uint8Array[]) {
  const out = new CollectingOutput();
  const pipeline = new Pipeline({ analyzers, output: out });
  const events: FlowEvent[] = [];
  const violations: Violation[] = [];
  const r = new MitmFlowsReplay({
    captureId: 'c'.repeat(64),
    emit: (ev) => {
      events.push(ev);
      pipeline.push(ev);
    },
    violation: (v) => violations.push(v),
    limits: DEFAULT_LIMITS,
  });
  for (const c of chunks) r.write(c);
  r.end();
  pipeline.finish(r.lastTs);
  return { r, out, events, violations, pipeline };
}

const summary = (out: CollectingOutput) =>
  out.findings
    .filter((f) => f.category !== 'face')
    .map((f) => `${f.category}/${f.subtype} ${f.evidence.value ?? ''}`)
    .sort();

describe('tnetstrings', () => {
  it('reads every type, nested', () => {
    const v = { a: [1, 2.5, true, null, 'x', Buffer.from('y')], b: { c: 'd' } };
    const { value, next } = parseTnetstring(tnet(v));
    expect(JSON.parse(JSON.stringify(value))).toEqual(JSON.parse(JSON.stringify(v)));
    expect(next).toBe(tnet(v).length);
  });

  it('refuses what is cut, malformed or nested too deep', () => {
    for (const bad of ['5:abc,', 'x:abc,', '3:abc?', '3:abc', '2:1:', `${'9'.repeat(13)}:`]) {
      expect(() => parseTnetstring(Buffer.from(bad))).toThrow(TnetstringError);
    }
    let deep: TnetValue = 'x';
    for (let i = 0; i <= MAX_TNET_DEPTH + 1; i++) deep = [deep];
    expect(() => parseTnetstring(tnet(deep))).toThrow(/nested/);
  });
});

describe('MitmFlowsReplay', () => {
  const bytes = readFileSync(FILE);

  it('is told by its first bytes', () => {
    expect(startsLikeMitmFlows(bytes)).toBe(true);
    expect(startsLikeMitmFlows(Buffer.from('{"log":{}}'))).toBe(false);
  });

  it('gives the same flows and findings however the file is cut', async () => {
    const whole = replay([bytes]);
    await whole.pipeline.drain();
    expect(whole.r.entries).toBe(4);
    expect(whole.violations).toEqual([]);
    const want = summary(whole.out);
    expect(want).toContain('identifiers/imei 490154203237518');
    for (const size of [1, 7, 4096]) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      const cut = replay(chunks);
      await cut.pipeline.drain();
      expect(summary(cut.out)).toEqual(want);
    }
  });

  it('reads the records before a cut or a broken one, and says so once', () => {
    const cut = replay([bytes.subarray(0, bytes.length - 10)]);
    expect(cut.r.entries).toBe(3);
    expect(cut.violations.map((v) => [v.decoder, v.code])).toEqual([['mitmproxy', 'truncated']]);
    const broken = replay([Buffer.concat([bytes, Buffer.from('12:garbage')])]);
    expect(broken.r.entries).toBe(4);
    expect(broken.r.skipped).toEqual(new Map([['mitm-truncated', 1]]));
    const junk = replay([Buffer.from('3:abc?')]);
    expect(junk.violations.map((v) => v.code)).toEqual(['malformed']);
  });

  it('counts flows of other types and reads the messages of a WebSocket flow', () => {
    const ws = {
      type: 'http',
      client_conn: { id: 'c1', address: ['192.168.4.20', 50000] },
      server_conn: { id: 's1', address: ['203.0.113.9', 443] },
      request: {
        method: Buffer.from('GET'),
        scheme: Buffer.from('https'),
        host: 'ws.toy-cloud.example',
        port: 443,
        path: Buffer.from('/chat'),
        headers: [[Buffer.from('Upgrade'), Buffer.from('websocket')]],
        content: Buffer.alloc(0),
        timestamp_start: 1700000000.5,
      },
      response: { status_code: 101, headers: [], content: Buffer.alloc(0), timestamp_start: 1700000000.6 },
      websocket: {
        messages: [
          [1, Buffer.from('{"lat":39.990464,"lng":116.481488}'), true, 1700000001.0],
          [1, Buffer.from('ok'), false, 1700000001.1],
        ],
      },
    };
    const r = replay([tnet({ type: 'tcp', messages: [] }), tnet(ws)]);
    expect(r.r.skipped).toEqual(new Map([['mitm-tcp-flow', 1]]));
    const open = r.events.find((e) => e.type === 'flow.open');
    expect(open?.type === 'flow.open' && [open.flow.device.ip, open.flow.server.host, open.flow.tls]).toEqual([
      '192.168.4.20',
      'ws.toy-cloud.example',
      'intercepted',
    ]);
    expect(r.events.some((e) => e.type === 'flow.update' && e.update.transport === 'websocket')).toBe(true);
    expect(summary(r.out)).toEqual(['location/coordinates 39.990464,116.481488']);
  });
});

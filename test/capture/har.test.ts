import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HarReplay } from '../../src/capture/har.ts';
import { HarIndex } from '../../src/capture/har-index.ts';
import type { FlowEvent } from '../../src/model/events.ts';
import { DEFAULT_LIMITS, type Limits } from '../../src/model/limits.ts';
import type { Violation } from '../../src/model/violation.ts';
import { everySplit, utf8 } from '../helpers/splits.ts';

/** Both passes over a HAR given in pieces; events with chunks merged per message, as text (latin1). */
function replayHar(pieces: Uint8Array[], limits: Partial<Limits> = {}) {
  const l = { ...DEFAULT_LIMITS, ...limits };
  const index = new HarIndex(l);
  for (const p of pieces) index.write(p);
  index.end();
  const events: unknown[] = [];
  const violations: Violation[] = [];
  const bodies = new Map<string, Buffer[]>();
  const emit = (e: FlowEvent) => {
    if (e.type === 'message.chunk') {
      const k = `${e.flowId}/${e.msgId}`;
      bodies.set(k, [...(bodies.get(k) ?? []), Buffer.from(e.data)]);
    } else if (e.type === 'message.end') {
      events.push([
        'end',
        e.flowId,
        e.msgId,
        e.ts,
        Buffer.concat(bodies.get(`${e.flowId}/${e.msgId}`) ?? []).toString('latin1'),
      ]);
    } else events.push(e);
  };
  const replay = new HarReplay({
    captureId: 'abcdef012345'.padEnd(64, '0'),
    deviceId: 'har:test.har',
    entries: index.entries,
    emit,
    violation: (v) => violations.push(v),
    limits: l,
  });
  for (const p of pieces) replay.write(p);
  replay.end();
  return { events, violations, index, replay };
}

const T0 = '2026-12-02T10:00:00.000Z';
const T0_US = Date.parse(T0) * 1000;
const header = (name: string, value: string) => ({ name, value });
const entry = (o: Record<string, unknown>) => ({
  startedDateTime: T0,
  time: 30,
  request: { method: 'GET', url: 'https://api.toy-cloud.example/v1/ping?sn=1', httpVersion: 'HTTP/2', headers: [] },
  response: { status: 200, headers: [], content: { size: 0, mimeType: 'text/plain' } },
  timings: { blocked: -1, dns: -1, connect: -1, send: 1, wait: 9, receive: 20 },
  serverIPAddress: '127.0.0.10',
  ...o,
});
const har = (entries: unknown[]) => JSON.stringify({ log: { version: '1.2', creator: { name: 't' }, entries } });

const TWO_ON_ONE_CONNECTION = har([
  entry({
    connection: '7',
    request: {
      method: 'POST',
      url: 'https://api.toy-cloud.example/v1/child?x=1#frag',
      headers: [header(':authority', 'api.toy-cloud.example'), header('Content-Type', 'application/json')],
      postData: { mimeType: 'application/json', text: '{"child":{"name":"Ava Chen"}}' },
    },
    response: {
      status: 201,
      headers: [header('Content-Encoding', 'gzip'), header('Content-Type', 'image/png')],
      content: { size: 4, mimeType: 'image/png', text: 'iVBORw==', encoding: 'base64' },
    },
  }),
  entry({ connection: '7', startedDateTime: '2026-12-02T10:00:01.000Z' }),
]);

describe('HAR import', () => {
  it('makes one flow of the entries sharing a connection: heads, bodies decoded, times from the timings', () => {
    const { events, violations } = replayHar([utf8(TWO_ON_ONE_CONNECTION)]);
    expect(violations).toEqual([]);
    const id = 'abcdef012345:1';
    expect(events).toEqual([
      {
        ts: T0_US,
        type: 'flow.open',
        flow: {
          id,
          deviceId: 'har:test.har',
          device: { ip: '0.0.0.0', port: 0 },
          server: { ip: '127.0.0.10', port: 443, host: 'api.toy-cloud.example' },
          transport: 'http',
          tls: 'decrypted',
          source: 'har',
          captureId: 'abcdef012345'.padEnd(64, '0'),
        },
      },
      {
        ts: T0_US,
        type: 'message.head',
        flowId: id,
        msg: {
          msgId: 0,
          direction: 'upload',
          protocol: 'http',
          method: 'POST',
          url: '/v1/child?x=1',
          headers: [['Content-Type', 'application/json']],
        },
      },
      ['end', id, 0, T0_US, '{"child":{"name":"Ava Chen"}}'],
      {
        ts: T0_US + 10_000,
        type: 'message.head',
        flowId: id,
        msg: {
          msgId: 1,
          direction: 'download',
          protocol: 'http',
          status: 201,
          requestId: 0,
          headers: [['Content-Type', 'image/png']],
        },
      },
      ['end', id, 1, T0_US + 10_000, '\x89PNG'],
      expect.objectContaining({
        type: 'message.head',
        msg: expect.objectContaining({ msgId: 2, url: '/v1/ping?sn=1' }),
      }),
      ['end', id, 2, T0_US + 1_000_000, ''],
      expect.objectContaining({ type: 'message.head', msg: expect.objectContaining({ msgId: 3, status: 200 }) }),
      ['end', id, 3, T0_US + 1_010_000, ''],
      { ts: T0_US + 1_030_000, type: 'flow.close', flowId: id, stats: { bytesUp: 29, bytesDown: 4 } },
    ]);
  });

  it('gives the same events however the file is cut', () => {
    const whole = replayHar([utf8(TWO_ON_ONE_CONNECTION)]);
    for (const parts of everySplit(utf8(TWO_ON_ONE_CONNECTION), 100_000))
      expect(replayHar(parts).events).toEqual(whole.events);
  });

  it('opens a flow per entry without a connection; http entries are not TLS; IPv6 brackets go', () => {
    const { events } = replayHar([
      utf8(
        har([
          entry({
            request: { method: 'GET', url: 'http://log.toy-stats.example:8080/c', headers: [] },
            serverIPAddress: '[::1]',
          }),
          entry({}),
        ]),
      ),
    ]);
    const opens = events.filter((e) => (e as FlowEvent).type === 'flow.open') as Array<
      FlowEvent & { type: 'flow.open' }
    >;
    expect(opens.map((o) => [o.flow.id, o.flow.tls, o.flow.server])).toEqual([
      ['abcdef012345:1', 'none', { ip: '::1', port: 8080, host: 'log.toy-stats.example' }],
      ['abcdef012345:2', 'decrypted', { ip: '127.0.0.10', port: 443, host: 'api.toy-cloud.example' }],
    ]);
    expect(events.filter((e) => (e as FlowEvent).type === 'flow.close')).toHaveLength(2);
  });

  it('reads Chromium’s WebSocket messages: text, binary (base64), control frames skipped', () => {
    const { events } = replayHar([
      utf8(
        har([
          entry({
            request: { method: 'GET', url: 'wss://ws.toy-cloud.example/ch', headers: [header('Upgrade', 'websocket')] },
            response: { status: 101, headers: [], content: { size: 0, mimeType: 'x-unknown' } },
            _webSocketMessages: [
              { type: 'send', time: 1796205600.5, opcode: 1, data: '{"lat":31.2,"lon":121.4}' },
              { type: 'receive', time: 1796205600.6, opcode: 2, data: 'AQID' },
              { type: 'send', time: 1796205600.7, opcode: 9, data: '' },
            ],
          }),
        ]),
      ),
    ]);
    const id = 'abcdef012345:1';
    expect(events.slice(5)).toEqual([
      { ts: T0_US + 30_000, type: 'flow.update', flowId: id, update: { transport: 'websocket' } },
      {
        ts: 1796205600500000,
        type: 'message.head',
        flowId: id,
        msg: {
          msgId: 2,
          direction: 'upload',
          protocol: 'websocket',
          headers: [],
          ws: { opcode: 1, compressed: false },
        },
      },
      ['end', id, 2, 1796205600500000, '{"lat":31.2,"lon":121.4}'],
      expect.objectContaining({
        type: 'message.head',
        msg: expect.objectContaining({ msgId: 3, direction: 'download' }),
      }),
      ['end', id, 3, 1796205600600000, '\x01\x02\x03'],
      expect.objectContaining({ type: 'flow.close' }),
    ]);
  });

  it('streams a long body in the tokenizer’s pieces, base64 included, never whole', () => {
    const text = 'A'.repeat(3 * 1024 + 5);
    const b64 = Buffer.from(text).toString('base64');
    const { events } = replayHar(
      [
        utf8(
          har([entry({ response: { status: 200, headers: [], content: { size: 1, text: b64, encoding: 'base64' } } })]),
        ),
      ],
      { MAX_TOKEN_BYTES: 1000 },
    );
    expect(events).toContainEqual(['end', 'abcdef012345:1', 1, T0_US + 10_000, text]);
  });

  it('skips entries past MAX_HAR_ENTRIES and closes the least recently used flow past MAX_HAR_OPEN_FLOWS', () => {
    const many = har([1, 2, 3, 4].map((c) => entry({ connection: String(c) })));
    const { events, index, replay } = replayHar([utf8(many)], { MAX_HAR_ENTRIES: 3, MAX_HAR_OPEN_FLOWS: 2 });
    expect([index.entries.length, index.overflow, replay.entries]).toEqual([3, 1, 3]);
    const kinds = events.map((e) => (Array.isArray(e) ? 'end' : (e as FlowEvent).type));
    expect(kinds.filter((k) => k === 'flow.open')).toHaveLength(3);
    // the third flow's open closes the first, before its own messages
    expect(kinds.indexOf('flow.close')).toBeLessThan(kinds.lastIndexOf('flow.open'));
  });

  it('takes a declared body the HAR does not carry as a gap of its size, and keeps that head’s Content-Encoding', () => {
    const { events } = replayHar([
      utf8(
        har([
          entry({
            request: { method: 'POST', url: 'https://api.toy-cloud.example/up', headers: [], bodySize: 120 },
            response: {
              status: 200,
              headers: [header('Content-Encoding', 'gzip')],
              content: { size: 0 },
              bodySize: 40,
            },
          }),
        ]),
      ),
    ]);
    const gaps = events.filter((e) => (e as FlowEvent).type === 'message.gap') as Array<{
      msgId: number;
      length: number;
    }>;
    expect(gaps.map((g) => [g.msgId, g.length])).toEqual([
      [0, 120],
      [1, 40],
    ]);
    const response = events.find(
      (e) => (e as FlowEvent).type === 'message.head' && (e as { msg: { msgId: number } }).msg.msgId === 1,
    );
    expect((response as { msg: { headers: unknown } }).msg.headers).toEqual([['Content-Encoding', 'gzip']]);
  });

  it('rebuilds a posted form or file upload from postData.params when the entry has no postData.text', () => {
    const post = (postData: object, headers: object[] = []) =>
      entry({ request: { method: 'POST', url: 'https://api.toy-cloud.example/v1/up', headers, postData } });
    const file = har([
      post(
        {
          mimeType: 'multipart/form-data',
          params: [
            { name: 'nickname', value: 'Lily "L" Chen' },
            { name: 'avatar', value: 'JPEG-bytes', fileName: 'lily.jpg', contentType: 'image/jpeg' },
            { name: 'scan', fileName: 'scan.png', contentType: 'image/png' }, // named, not carried
          ],
        },
        [header('Content-Type', 'multipart/form-data')],
      ),
      post({
        mimeType: 'application/x-www-form-urlencoded',
        params: [
          { name: 'imei', value: '490154203237518' },
          { name: 'n&m', value: 'a b' },
        ],
      }),
      // Both: the text is the body, the params (the same again) are not read.
      post({ mimeType: 'application/x-www-form-urlencoded', params: [{ name: 'x', value: '1' }], text: 'x=1&y=2' }),
    ]);
    for (const parts of everySplit(utf8(file), 100_000)) {
      const { events, violations } = replayHar(parts);
      expect(violations).toEqual([]);
      const heads = events.filter(
        (e): e is Extract<FlowEvent, { type: 'message.head' }> =>
          (e as FlowEvent).type === 'message.head' && (e as { msg: { direction: string } }).msg.direction === 'upload',
      );
      const bodies = events.filter((e) => Array.isArray(e) && e[0] === 'end').map((e) => (e as string[])[4]);
      const type = (i: number) => heads[i]!.msg.headers.find(([n]) => n === 'content-type')?.[1];
      expect(type(0)).toBe('multipart/form-data; boundary=toyscope-har-form-boundary');
      expect(bodies).toContain(
        [
          '--toyscope-har-form-boundary\r\nContent-Disposition: form-data; name="nickname"\r\n\r\nLily "L" Chen\r\n',
          '--toyscope-har-form-boundary\r\nContent-Disposition: form-data; name="avatar"; filename="lily.jpg"\r\n',
          'Content-Type: image/jpeg\r\n\r\nJPEG-bytes\r\n',
          '--toyscope-har-form-boundary\r\nContent-Disposition: form-data; name="scan"; filename="scan.png"\r\n',
          'Content-Type: image/png\r\n\r\n\r\n',
          '--toyscope-har-form-boundary--\r\n',
        ].join(''),
      );
      expect(type(1)).toBe('application/x-www-form-urlencoded');
      expect(bodies).toContain('imei=490154203237518&n%26m=a%20b');
      expect(bodies).toContain('x=1&y=2');
    }
  });

  it('tells a HAR from other JSON', () => {
    const index = new HarIndex(DEFAULT_LIMITS);
    index.write(utf8('{"devices":[1,2]}'));
    index.end();
    expect(index.isHar).toBe(false);
  });

  it('never throws on truncated, mutated or random input', () => {
    const base = utf8(TWO_ON_ONE_CONNECTION);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.nat(255))),
        fc.nat(base.length),
        fc.uint8Array({ maxLength: 200 }),
        (muts, cut, junk) => {
          const m = Uint8Array.from(base);
          for (const [i, v] of muts) m[i % m.length] = v;
          replayHar([m.subarray(0, cut)]);
          replayHar([m]);
          replayHar([junk]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/**
 * TLS decrypted inside the stream layer: a ConnectionRouter given logged keys turns a real TLS session (Node's
 * client and server on loopback) into the same HTTP events as the clear connection would give, on a flow that
 * says `tls: 'decrypted'`; without keys it stays opaque and says why.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyLog } from '../../src/decode/tls-keylog.ts';
import type { FlowEvent } from '../../src/model/events.ts';
import { DEFAULT_LIMITS } from '../../src/model/limits.ts';
import { ConnectionRouter } from '../../src/streams/router.ts';
import type { StreamViolation } from '../../src/streams/types.ts';
import { recordTls, TEST_CERTS, type TlsRecording } from '../../testkit/tls-loopback.ts';
import { cutSide, type Step } from '../decode/tls-decrypt/run-session.ts';

const BODY = '{"child":{"name":"Lily Chen","birthday":"2017-09-14"}}';
const REQUEST = `POST /v1/child/profile HTTP/1.1\r\nHost: api.toy-cloud.example\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`;
const RESPONSE = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}';

const session = (tls12 = false) =>
  recordTls({
    server: { ...TEST_CERTS.ec, ...(tls12 ? { maxVersion: 'TLSv1.2' as const } : {}) },
    upload: [Buffer.from(REQUEST)],
    download: [Buffer.from(RESPONSE)],
  });

/** Runs the recorded bytes through a router; returns its events (chunks merged per message) and violations. */
function route(rec: TlsRecording, keyLog: string, steps?: Step[]) {
  const log = new KeyLog();
  log.add(keyLog);
  const events: FlowEvent[] = [];
  const violations: StreamViolation[] = [];
  const router = new ConnectionRouter({
    flowId: 'f1',
    client: { ip: '127.0.0.61', port: 40000 },
    server: { ip: '127.0.0.10', port: 443 },
    source: 'capture',
    tls: 'none',
    openTs: 1,
    emit: (e) => events.push(e),
    report: (v) => violations.push(v),
    limits: DEFAULT_LIMITS,
    keys: (r) => log.lookup(r),
  });
  const feed = steps ?? [
    { side: 'client', bytes: rec.client },
    { side: 'server', bytes: rec.server },
  ];
  for (const s of feed) {
    if ('gap' in s) router.gap(s.side === 'client' ? 'up' : 'down', s.gap, 2);
    else router.data(s.side === 'client' ? 'up' : 'down', s.bytes, 2);
  }
  router.close(3, 'fin');
  return { events, violations, summary: summarize(events) };
}

/** The events with the chunks of each message joined: the same whatever the TCP or TLS record cuts. */
function summarize(events: FlowEvent[]): unknown[] {
  const out: unknown[] = [];
  const bodies = new Map<number, string>();
  for (const e of events) {
    if (e.type === 'message.chunk') bodies.set(e.msgId, (bodies.get(e.msgId) ?? '') + Buffer.from(e.data).toString());
    else if (e.type === 'message.end') out.push(['end', e.msgId, bodies.get(e.msgId) ?? '']);
    else if (e.type === 'message.head') out.push(['head', e.msg.direction, e.msg.method ?? e.msg.status, e.msg.url]);
    else if (e.type === 'flow.update')
      out.push(['update', e.update.tls, e.update.transport, e.update.tlsInfo?.decryption]);
    else if (e.type === 'flow.open') out.push(['open', e.flow.transport, e.flow.tls]);
    else out.push([e.type]);
  }
  return out;
}

describe('TLS decrypted in the stream layer', () => {
  for (const tls12 of [false, true]) {
    it(`reads HTTP inside TLS ${tls12 ? '1.2' : '1.3'} with logged keys, on a flow marked decrypted`, async () => {
      const rec = await session(tls12);
      const { summary, violations } = route(rec, rec.keyLog);
      expect(violations).toEqual([]);
      expect(summary.filter((e) => ['head', 'end'].includes((e as string[])[0] as string))).toEqual([
        ['head', 'upload', 'POST', '/v1/child/profile'],
        ['end', 0, BODY],
        ['head', 'download', 200, undefined],
        ['end', 1, '{}'],
      ]);
      const at = (pred: (e: unknown[]) => boolean) => summary.findIndex((e) => pred(e as unknown[]));
      expect(at((e) => e[0] === 'open' && e[2] === 'opaque')).toBe(0);
      const decrypted = at((e) => e[0] === 'update' && e[1] === 'decrypted' && e[3] === 'decrypted');
      const http = at((e) => e[0] === 'update' && e[2] === 'http');
      expect(decrypted).toBeGreaterThan(0);
      expect(http).toBeGreaterThan(decrypted);
      expect(at((e) => e[0] === 'head')).toBeGreaterThan(http);
    });
  }

  it('without keys: the flow stays opaque, says there were no keys, and nothing is read', async () => {
    const rec = await session();
    const { events, summary } = route(rec, '');
    expect(summary.filter((s) => (s as string[])[0] === 'head')).toEqual([]);
    const last = events.filter((e) => e.type === 'flow.update').at(-1);
    expect(last?.type === 'flow.update' && last.update.tlsInfo?.decryption).toBe('no-keys');
  });

  it('gives the same events however the TLS bytes are cut', async () => {
    const rec = await session();
    const whole = route(rec, rec.keyLog).summary;
    fc.assert(
      fc.property(fc.array(fc.nat(rec.client.length)), fc.array(fc.nat(rec.server.length)), (cc, sc) => {
        const steps = [...cutSide('client', rec.client, cc), ...cutSide('server', rec.server, sc)];
        expect(route(rec, rec.keyLog, steps).summary).toEqual(whole);
      }),
      { numRuns: 40 },
    );
  });

  it('stops reading a side at a gap: the message in progress gets the gap and a violation says so', async () => {
    const rec = await session();
    const hello = 5 + rec.client.readUInt16BE(3); // the ClientHello record
    const cut = rec.client.length - 100; // inside the records of the request
    const { events, violations } = route(rec, rec.keyLog, [
      { side: 'client', bytes: rec.client.subarray(0, hello) },
      { side: 'server', bytes: rec.server },
      { side: 'client', bytes: rec.client.subarray(hello, cut) },
      { side: 'client', gap: 60 },
    ]);
    expect(violations.map((v) => v.code)).toContain('gap');
    expect(events.some((e) => e.type === 'message.gap')).toBe(true);
  });
});

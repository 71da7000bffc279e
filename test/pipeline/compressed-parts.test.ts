/**
 * Parts compressed without saying so (an MQTT payload, a WebSocket message, an HTTP body with no Content-Encoding):
 * gzip by its magic, zlib by its header and a trial inflate, inflated (bounded) into a nested part that is sniffed
 * and tokenized like any other. Hand-made bytes from node:zlib here; recorded captures are in
 * fixtures/compressed-payloads.
 */
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sniff } from '../../src/decode/magic.ts';
import { FlowScript, play } from '../../testkit/playbook.ts';
import { mediaSniffer, tokenRecorder } from '../../testkit/test-analyzers.ts';
import { everySplit } from '../helpers/splits.ts';

const DOC = JSON.stringify({ deviceId: 'TC-5521', gps: { lat: 31.2304, lon: 121.4737 }, battery: 81 });
const MQTT = { protocol: 'mqtt' as const, mqtt: { packet: 'publish' as const } };

/** The string tokens a message's body gave, as `path=value`. */
function strings(head: object, ...chunks: Uint8Array[]): string[] {
  const rec = tokenRecorder();
  play([rec.analyzer], new FlowScript().message({ msgId: 0, ...head }, ...chunks).close().events);
  return rec.tokens.filter((t) => t.kind !== 'string' || t.offset === 0).map((t) => `${t.path}=${t.value}`);
}

describe('compressed parts', () => {
  it('inflates a gzip MQTT payload and a zlib one into the JSON inside', () => {
    expect(strings(MQTT, gzipSync(DOC))).toEqual([
      'gzip>$.deviceId=TC-5521',
      'gzip>$.gps.lat=31.2304',
      'gzip>$.gps.lon=121.4737',
      'gzip>$.battery=81',
    ]);
    expect(strings(MQTT, deflateSync(DOC))).toEqual(strings(MQTT, gzipSync(DOC)).map((s) => s.replace('gzip', 'zlib')));
  });

  it('reads an HTTP body gzipped without a Content-Encoding, whatever it declares', () => {
    const head = {
      method: 'POST',
      url: '/v1/report',
      headers: [['Content-Type', 'application/json']] as [string, string][],
    };
    expect(strings(head, gzipSync(DOC))).toContain('gzip>$.gps.lat=31.2304');
  });

  it('gives the same tokens whatever the chunk boundaries', () => {
    const body = gzipSync(DOC);
    const whole = strings(MQTT, body);
    for (const chunks of everySplit(body)) expect(strings(MQTT, ...chunks)).toEqual(whole);
  });

  it('sniffs zlib only where a trial inflate agrees with the header', () => {
    expect(sniff(deflateSync(DOC))?.mime).toBe('application/zlib');
    expect(sniff(deflateSync(DOC, { windowBits: 10 }))?.mime).toBe('application/zlib');
    // Text whose first two bytes are a valid zlib header, and raw deflate (no header: nothing to sniff).
    expect(sniff(Buffer.from('x^ is not a zlib stream, it is text'))?.mime).not.toBe('application/zlib');
    expect(sniff(Buffer.from('x}abc'))?.mime).not.toBe('application/zlib');
    expect(sniff(deflateRawSync(DOC))?.mime).not.toBe('application/zlib');
  });

  it('keeps a declared type over the weak zlib sniff, and gzip over any', () => {
    const declared = (type: string, body: Uint8Array) => {
      const head = { msgId: 0, method: 'POST', headers: [['Content-Type', type]] as [string, string][] };
      const out = play([mediaSniffer], new FlowScript().message(head, body).close().events);
      return out.findings.map((f) => `${f.path}:${f.detail?.mime}`).sort();
    };
    expect(declared('audio/wav', deflateSync(DOC))).toEqual(['body:audio/wav']);
    expect(declared('application/octet-stream', deflateSync(DOC))).toEqual([
      'body:application/zlib',
      'body>zlib:application/json',
    ]);
    expect(declared('image/jpeg', gzipSync(DOC))).toEqual(['body:application/gzip', 'body>gzip:application/json']);
  });

  it('bounds what it inflates like a Content-Encoding, and says so', () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));
    const out = play([mediaSniffer], new FlowScript().message({ msgId: 0, ...MQTT }, bomb).close().events, {
      MAX_INFLATE_BYTES: 1024 * 1024,
    });
    expect(out.violations).toMatchObject([{ decoder: 'gzip', code: 'inflate-size-exceeded' }]);
    const inner = out.findings.find((f) => f.path === 'body>gzip');
    expect(Number(inner?.detail?.bytes)).toBe(1024 * 1024);
  });

  it('reports a corrupt gzip payload and a truncated one', () => {
    const broken = gzipSync(DOC);
    broken[20] = (broken[20] ?? 0) ^ 0xff;
    const codes = (body: Uint8Array) =>
      play([mediaSniffer], new FlowScript().message({ msgId: 0, ...MQTT }, body).close().events).violations.map(
        (v) => `${v.decoder}:${v.code}`,
      );
    expect(codes(broken)).toContain('gzip:bad-compressed-data');
    // The JSON inside ends early too, and says so.
    expect(codes(gzipSync(DOC).subarray(0, 30))).toEqual(['gzip:truncated', 'json:truncated']);
  });

  it('stops at MAX_BASE64_NESTING: gzip in gzip in gzip past the bound is reported, not inflated', () => {
    const nested = gzipSync(gzipSync(gzipSync(DOC)));
    const out = play([mediaSniffer], new FlowScript().message({ msgId: 0, ...MQTT }, nested).close().events, {
      MAX_BASE64_NESTING: 2,
    });
    expect(out.findings.map((f) => f.path).sort()).toEqual(['body', 'body>gzip', 'body>gzip>gzip']);
    expect(out.violations).toMatchObject([{ code: 'compressed-too-deep' }]);
  });
});

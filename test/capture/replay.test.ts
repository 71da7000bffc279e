/** CaptureReplay hands its `limits` to every layer: a lowered bound gives the violation or skip it should. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PacketDecoder } from '../../src/capture/packet-decoder.ts';
import { PcapReader } from '../../src/capture/pcap.ts';
import { CaptureReplay } from '../../src/capture/replay.ts';
import { DSB_TLS_KEY_LOG } from '../../src/decode/tls-keylog.ts';
import type { FlowEvent } from '../../src/model/events.ts';
import { DEFAULT_LIMITS, type Limits } from '../../src/model/limits.ts';
import type { Violation } from '../../src/model/violation.ts';
import { ConnectionRouter } from '../../src/streams/router.ts';
import { concat, dsb, idb, shb } from '../../testkit/pcap-writer.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures');

function replay(fixture: string, limits?: Partial<Limits>) {
  const events: FlowEvent[] = [];
  const violations: Violation[] = [];
  const r = new CaptureReplay({
    captureId: 'c'.repeat(64),
    emit: (ev) => events.push(ev),
    violation: (v) => violations.push(v),
    ...(limits ? { limits } : {}),
  });
  r.write(readFileSync(join(FIXTURES, fixture, 'capture.pcap')));
  r.end();
  const codes = violations.map((v) => `${v.decoder} ${v.code}`);
  return { r, events, codes, violations, skipped: Object.fromEntries(r.skipped) };
}

describe('CaptureReplay limits', () => {
  it('resolves the overrides once over DEFAULT_LIMITS', () => {
    expect(replay('curl-keepalive').r.limits).toEqual(DEFAULT_LIMITS);
    const { r } = replay('curl-keepalive', { MAX_HTTP_HEADER_BYTES: 64 });
    expect(r.limits).toEqual({ ...DEFAULT_LIMITS, MAX_HTTP_HEADER_BYTES: 64 });
  });

  it('HTTP/1 heads over MAX_HTTP_HEADER_BYTES', () => {
    expect(replay('curl-keepalive').codes).toEqual([]);
    expect(replay('curl-keepalive', { MAX_HTTP_HEADER_BYTES: 64 }).codes).toContain('http1 header-too-large');
  });

  it('MQTT packets over MAX_MQTT_HEADER_BYTES, over TCP and inside WebSocket', () => {
    for (const fixture of ['mqtt-tcp', 'mqtt-ws']) {
      expect(replay(fixture).codes).not.toContain('mqtt packet-too-large');
      expect(replay(fixture, { MAX_MQTT_HEADER_BYTES: 4 }).codes).toContain('mqtt packet-too-large');
    }
  });

  it('WebSocket frames over MAX_WEBSOCKET_FRAME_BYTES', () => {
    expect(replay('mqtt-ws').codes).not.toContain('websocket frame-too-large');
    expect(replay('mqtt-ws', { MAX_WEBSOCKET_FRAME_BYTES: 8 }).codes).toContain('websocket frame-too-large');
  });

  it('capture records over MAX_PCAP_RECORD_BYTES are corrupt', () => {
    expect(replay('curl-keepalive').skipped).toEqual({});
    expect(replay('curl-keepalive', { MAX_PCAP_RECORD_BYTES: 60 }).skipped).toMatchObject({ 'corrupt-record': 1 });
  });

  it('TLS handshake messages over MAX_TLS_HANDSHAKE_BYTES', () => {
    expect(replay('tls12-upload').codes).not.toContain('tls handshake-too-large');
    expect(replay('tls12-upload', { MAX_TLS_HANDSHAKE_BYTES: 64 }).codes).toContain('tls handshake-too-large');
  });

  it('DNS questions over MAX_DNS_RECORDS', () => {
    expect(replay('dns-lookups').codes).toEqual([]);
    expect(replay('dns-lookups', { MAX_DNS_RECORDS: 0 }).codes).toContain('dns too-many-questions');
  });

  it('TCP connections over MAX_TCP_CONNECTIONS are evicted', () => {
    const closes = (limits?: Partial<Limits>) =>
      replay('mqtt-tcp', limits).events.flatMap((e) => (e.type === 'flow.close' && e.error ? [e.error.code] : []));
    expect(closes()).not.toContain('evicted');
    expect(closes({ MAX_TCP_CONNECTIONS: 1 })).toContain('evicted');
  });
});

describe('CaptureReplay never ends on one bad packet', () => {
  afterEach(() => vi.restoreAllMocks());
  const flows = (events: FlowEvent[]) => events.filter((e) => e.type === 'flow.close').length;

  it('an exception while decoding a packet is a violation for that packet; the replay goes on', () => {
    const real = PacketDecoder.prototype.packet;
    let n = 0;
    vi.spyOn(PacketDecoder.prototype, 'packet').mockImplementation(function (this: PacketDecoder, p) {
      if (++n === 3) throw new RangeError('offset is out of bounds');
      real.call(this, p);
    });
    const { codes, skipped, events } = replay('curl-keepalive');
    expect(codes).toContain('capture internal-error');
    expect(skipped).toMatchObject({ 'packet-error': 1 });
    expect(flows(events)).toBe(1);
  });

  it("an exception in a connection's handlers is a violation for that flow; other flows go on", () => {
    const real = ConnectionRouter.prototype.data;
    vi.spyOn(ConnectionRouter.prototype, 'data').mockImplementation(function (this: ConnectionRouter, dir, b, ts) {
      if (Buffer.from(b).includes('/v1/contacts/sync')) throw new TypeError('handler bug');
      real.call(this, dir, b, ts);
    });
    const { violations, events } = replay('sll2-any');
    const broken = violations.filter((v) => v.code === 'internal-error');
    expect(broken.map((v) => [v.decoder, v.message])).toEqual([['stream', 'connection handlers stopped: handler bug']]);
    const heads = events.filter((e) => e.type === 'message.head').map((e) => e.flowId);
    expect(heads.length).toBeGreaterThan(0);
    expect(heads).not.toContain(broken[0]!.flowId);
  });

  it('an exception in the reader stops reading with a violation, not a throw', () => {
    vi.spyOn(PcapReader.prototype, 'write').mockImplementation(() => {
      throw new Error('reader bug');
    });
    const { codes, skipped } = replay('curl-keepalive');
    expect(codes).toEqual(['capture reader-error']);
    expect(skipped).toEqual({ 'reader-error': 1 });
  });
});

describe('CaptureReplay TLS secrets', () => {
  it('adds a TLS key log DSB to its key log and counts other secret types as skipped', () => {
    const log = `CLIENT_RANDOM ${'ab'.repeat(32)} ${'cd'.repeat(48)}\n`;
    const replay = new CaptureReplay({ captureId: 'c'.repeat(64), emit: () => {}, violation: () => {} });
    replay.write(
      concat([shb(), idb(1), dsb(DSB_TLS_KEY_LOG, new TextEncoder().encode(log)), dsb(0x57474b4c, new Uint8Array(8))]),
    );
    replay.end();
    expect(replay.keyLog.lookup(Buffer.alloc(32, 0xab))?.masterSecret).toEqual(Buffer.alloc(48, 0xcd));
    expect(Object.fromEntries(replay.skipped)).toEqual({ 'pcapng-dsb-0x57474b4c': 1 });
  });
});

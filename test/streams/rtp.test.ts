import { describe, expect, it } from 'vitest';
import { continuesStream, parseRtp, staticAudioType } from '../../src/decode/rtp.ts';
import type { FlowEvent } from '../../src/model/events.ts';
import { RtpStream } from '../../src/streams/rtp.ts';

interface RtpSpec {
  pt?: number;
  seq?: number;
  ts?: number;
  ssrc?: number;
  marker?: boolean;
  csrc?: number[];
  extensionWords?: number;
  padding?: number;
}

/** An RTP packet (version 2) around `payload`. */
function rtp(payload: number[], s: RtpSpec = {}): Uint8Array {
  const csrc = s.csrc ?? [];
  const head = Buffer.alloc(12 + 4 * csrc.length);
  head[0] = 0x80 | (s.padding ? 0x20 : 0) | (s.extensionWords !== undefined ? 0x10 : 0) | csrc.length;
  head[1] = (s.marker ? 0x80 : 0) | (s.pt ?? 0);
  head.writeUInt16BE(s.seq ?? 1000, 2);
  head.writeUInt32BE(s.ts ?? 160_000, 4);
  head.writeUInt32BE(s.ssrc ?? 0xcafe0001, 8);
  for (const [i, c] of csrc.entries()) head.writeUInt32BE(c, 12 + 4 * i);
  const ext =
    s.extensionWords === undefined ? [] : [0xbe, 0xde, 0, s.extensionWords, ...Array(4 * s.extensionWords).fill(7)];
  const pad = s.padding ? [...Array(s.padding - 1).fill(0), s.padding] : [];
  return Uint8Array.from([...head, ...ext, ...payload, ...pad]);
}

describe('parseRtp', () => {
  it('reads the fixed header and skips CSRCs, the extension and padding', () => {
    const p = parseRtp(
      rtp([1, 2, 3], {
        pt: 8,
        seq: 65535,
        ts: 4_000_000_000,
        marker: true,
        csrc: [9, 10],
        extensionWords: 2,
        padding: 3,
      }),
    );
    expect(p).toMatchObject({
      marker: true,
      payloadType: 8,
      sequence: 65535,
      timestamp: 4_000_000_000,
      ssrc: 0xcafe0001,
    });
    expect([...(p?.payload ?? [])]).toEqual([1, 2, 3]);
  });

  it('refuses what is not RTP: another version, RTCP, unassigned types, no payload, lengths past the end', () => {
    const rtcpSenderReport = Uint8Array.from([0x80, 200, 0, 6, ...Array(24).fill(1)]);
    const cases = [
      Uint8Array.from([0x40, 0, ...Array(20).fill(1)]), // version 1
      rtcpSenderReport,
      rtp([1], { pt: 72 }),
      rtp([1], { pt: 50 }),
      rtp([]),
      rtp([1, 2], { padding: 9 }).subarray(0, 14), // padding longer than what is left
      rtp([1], { csrc: [1, 2, 3, 4, 5] }).subarray(0, 20), // CSRCs past the end
      Uint8Array.from([0x90, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xbe, 0xde]), // extension header cut
    ];
    for (const b of cases) expect(parseRtp(b)).toBeUndefined();
  });

  it('names static audio payload types only', () => {
    expect(staticAudioType(0)).toBe('audio/PCMU; rate=8000');
    expect(staticAudioType(8)).toBe('audio/PCMA; rate=8000');
    expect(staticAudioType(26)).toBeUndefined(); // JPEG video
    expect(staticAudioType(97)).toBeUndefined(); // dynamic
  });

  it('takes a packet as the next of a stream by source, type and sequence number, across the wrap', () => {
    const a = parseRtp(rtp([1], { seq: 65535, ts: 0xffffff00 }))!;
    expect(continuesStream(a, parseRtp(rtp([1], { seq: 0, ts: 0xffffffa0 }))!)).toBe(true);
    expect(continuesStream(a, parseRtp(rtp([1], { seq: 3, ts: 0x100 }))!)).toBe(true); // three lost, clock wrapped
    expect(continuesStream(a, parseRtp(rtp([1], { seq: 0, ssrc: 1, ts: 0xffffffa0 }))!)).toBe(false);
    expect(continuesStream(a, parseRtp(rtp([1], { seq: 0, pt: 8, ts: 0xffffffa0 }))!)).toBe(false);
    expect(continuesStream(a, parseRtp(rtp([1], { seq: 65535, ts: 0xffffffa0 }))!)).toBe(false); // a repeat
    expect(continuesStream(a, parseRtp(rtp([1], { seq: 500, ts: 0xffffffa0 }))!)).toBe(false);
    expect(continuesStream(a, parseRtp(rtp([1], { seq: 0, ts: 0x7000000 }))!)).toBe(false); // the clock far off
  });
});

describe('RtpStream', () => {
  function play(datagrams: Array<['up' | 'down', Uint8Array]>): { events: FlowEvent[]; violations: string[] } {
    const events: FlowEvent[] = [];
    const violations: string[] = [];
    const s = new RtpStream(
      'f',
      (e) => events.push(e),
      (v) => violations.push(v.code),
    );
    for (const [i, [dir, b]] of datagrams.entries()) s.data(dir, b, 10 + i);
    s.close(99);
    return { events, violations };
  }
  const brief = (events: FlowEvent[]) =>
    events.map((e) =>
      e.type === 'message.head'
        ? ['head', e.msg.msgId, e.msg.direction, e.msg.protocol, Object.fromEntries(e.msg.headers)]
        : e.type === 'message.chunk'
          ? ['chunk', e.msgId, [...e.data]]
          : [e.type, 'msgId' in e ? e.msgId : ''],
    );

  it('makes a message of each packet once the second continues the first', () => {
    const { events, violations } = play([
      ['up', rtp([1, 2], { seq: 7, ts: 160 })],
      ['up', rtp([3], { seq: 8, ts: 320 })],
      ['up', Uint8Array.from([0x81, 201, 0, 7, ...Array(28).fill(0)])], // RTCP receiver report on the same port
    ]);
    expect(violations).toEqual([]);
    const headers = { 'Payload-Type': '0', SSRC: 'cafe0001', 'Content-Type': 'audio/PCMU; rate=8000' };
    expect(brief(events)).toEqual([
      ['head', 0, 'upload', 'rtp', { ...headers, Sequence: '7', Timestamp: '160' }],
      ['chunk', 0, [1, 2]],
      ['message.end', 0],
      ['head', 1, 'upload', 'rtp', { ...headers, Sequence: '8', Timestamp: '320' }],
      ['chunk', 1, [3]],
      ['message.end', 1],
    ]);
  });

  it('keeps the first datagram, not a view of a buffer the reader reuses', () => {
    const events: FlowEvent[] = [];
    const s = new RtpStream(
      'f',
      (e) => events.push(e),
      () => {},
    );
    const buffer = Buffer.from(rtp([1, 2, 3], { seq: 1 }));
    s.data('up', buffer, 1);
    buffer.fill(0);
    s.data('up', rtp([4], { seq: 2 }), 2);
    expect(events.flatMap((e) => (e.type === 'message.chunk' ? [[...e.data]] : []))).toEqual([[1, 2, 3], [4]]);
  });

  it('reads a direction as raw bytes when its second datagram does not continue the first, or never comes', () => {
    const first = rtp([1], { seq: 1 });
    const other = rtp([2], { seq: 1, ssrc: 5 });
    const { events } = play([
      ['up', first],
      ['up', other],
      ['down', rtp([3], { seq: 9 })],
    ]);
    expect(brief(events)).toEqual([
      ['head', 0, 'upload', 'raw', {}],
      ['chunk', 0, [...first]],
      ['chunk', 0, [...other]],
      ['head', 1, 'download', 'raw', {}],
      ['chunk', 1, [...rtp([3], { seq: 9 })]],
      ['message.end', 0],
      ['message.end', 1],
    ]);
  });

  it('reports a few datagrams that are not RTP in an RTP direction, and skips them', () => {
    const junk = Uint8Array.from(Array(20).fill(0x11));
    const { events, violations } = play([
      ['up', rtp([1], { seq: 1 })],
      ['up', rtp([2], { seq: 2 })],
      ...Array.from({ length: 5 }, () => ['up', junk] as ['up', Uint8Array]),
      ['up', rtp([3], { seq: 3 })],
    ]);
    expect(violations).toEqual(['malformed-packet', 'malformed-packet', 'malformed-packet']);
    expect(events.filter((e) => e.type === 'message.head')).toHaveLength(3);
  });
});

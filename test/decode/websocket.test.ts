import { deflateRawSync, inflateRawSync, constants as Z } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DeflateParams,
  negotiatedDeflate,
  unmask,
  WebSocketDecoder,
  type WebSocketLimits,
} from '../../src/decode/websocket.ts';
import { type Ev, EventLog } from '../helpers/event-log.ts';
import { everySplit, oneByteAtATime, splitAt, utf8 } from '../helpers/splits.ts';

/**
 * Feeds chunks (a number = that many bytes lost) to one direction's decoder; returns the event log with adjacent
 * data merged (split-invariant).
 */
function run(
  chunks: (Uint8Array | number)[],
  opts: { fromClient?: boolean; deflate?: DeflateParams; max?: number; maxFrame?: number } = {},
): Ev[] {
  const limits: WebSocketLimits = { MAX_INFLATE_BYTES: opts.max ?? 1 << 20 };
  if (opts.maxFrame !== undefined) limits.MAX_WEBSOCKET_FRAME_BYTES = opts.maxFrame;
  const log = new EventLog();
  const dec = new WebSocketDecoder(
    {
      start: (op, c) => log.push('start', op, c),
      data: (d) => log.data(d),
      gap: (n) => log.after('gap', n),
      end: () => log.after('end'),
      control: (f) => log.after('control', f.opcode, f.closeCode),
      violation: (v) => log.after('violation', v.code),
    },
    { fromClient: opts.fromClient ?? false, limits, ...(opts.deflate ? { deflate: opts.deflate } : {}) },
  );
  for (const c of chunks) typeof c === 'number' ? dec.gap(c) : dec.write(c);
  dec.end();
  log.flush();
  return log.events;
}

interface FrameSpec {
  opcode: number;
  payload: Uint8Array | string;
  fin?: boolean;
  rsv?: number;
  mask?: number[];
}

function frame({ opcode, payload, fin = true, rsv = 0, mask }: FrameSpec): Uint8Array {
  const p = typeof payload === 'string' ? utf8(payload) : payload;
  const len = p.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const h = Buffer.alloc(2 + ext + (mask ? 4 : 0));
  h[0] = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
  h[1] = (mask ? 0x80 : 0) | (ext === 0 ? len : ext === 2 ? 126 : 127);
  if (ext === 2) h.writeUInt16BE(len, 2);
  if (ext === 8) h.writeBigUInt64BE(BigInt(len), 2);
  if (mask) h.set(mask, 2 + ext);
  const body = mask ? unmask(p, new Uint8Array(mask), 0) : p;
  return Buffer.concat([h, body]);
}

const cat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const M = [0x37, 0xfa, 0x21, 0x3d];
/**
 * permessage-deflate body of one message: raw deflate, sync flush, trailing 00 00 ff ff removed. With `after`,
 * compressed as a context-takeover sender would after sending `after` (back-references into it).
 */
const pmd = (s: string, after?: string) => {
  const d = deflateRawSync(utf8(s), { finishFlush: Z.Z_SYNC_FLUSH, ...(after ? { dictionary: utf8(after) } : {}) });
  return d.subarray(0, d.length - 4);
};

describe('WebSocketDecoder frames', () => {
  it('reads an unmasked server text frame', () => {
    expect(run([frame({ opcode: 1, payload: 'hello' })])).toEqual([['start', 1, false], ['data', 'hello'], ['end']]);
  });

  it('unmasks client frames with 7, 16 and 64-bit lengths', () => {
    const long = 'x'.repeat(300);
    const huge = 'y'.repeat(70000);
    const bytes = cat(
      frame({ opcode: 2, payload: 'abc', mask: M }),
      frame({ opcode: 2, payload: long, mask: M }),
      frame({ opcode: 1, payload: huge, mask: M }),
    );
    expect(run([bytes], { fromClient: true })).toEqual([
      ['start', 2, false],
      ['data', 'abc'],
      ['end'],
      ['start', 2, false],
      ['data', long],
      ['end'],
      ['start', 1, false],
      ['data', huge],
      ['end'],
    ]);
  });

  it('joins fragments into one message with a ping between them', () => {
    const bytes = cat(
      frame({ opcode: 1, payload: 'Hel', fin: false }),
      frame({ opcode: 9, payload: 'hb' }),
      frame({ opcode: 0, payload: 'lo', fin: false }),
      frame({ opcode: 0, payload: '!' }),
      frame({ opcode: 8, payload: cat(new Uint8Array([0x03, 0xe8]), utf8('bye')) }),
    );
    expect(run([bytes])).toEqual([
      ['start', 1, false],
      ['data', 'Hel'],
      ['control', 9, undefined],
      ['data', 'lo!'],
      ['end'],
      ['control', 8, 1000],
    ]);
  });

  it('handles empty frames and messages', () => {
    const bytes = cat(frame({ opcode: 2, payload: '', fin: false }), frame({ opcode: 0, payload: '' }));
    expect(run([bytes])).toEqual([['start', 2, false], ['end']]);
  });

  it('notes an unmasked client frame and goes on', () => {
    expect(run([frame({ opcode: 1, payload: 'hi' })], { fromClient: true })).toEqual([
      ['violation', 'unmasked-client-frame'],
      ['start', 1, false],
      ['data', 'hi'],
      ['end'],
    ]);
  });

  it('stops on a bad opcode, RSV2, a long or fragmented control frame', () => {
    const after = frame({ opcode: 1, payload: 'lost' });
    expect(run([cat(frame({ opcode: 3, payload: 'x' }), after)])).toEqual([['violation', 'bad-opcode']]);
    expect(run([cat(frame({ opcode: 1, payload: 'x', rsv: 2 }), after)])).toEqual([['violation', 'bad-rsv']]);
    expect(run([cat(frame({ opcode: 9, payload: 'x'.repeat(126) }), after)])).toEqual([
      ['violation', 'bad-control-frame'],
    ]);
    expect(run([cat(frame({ opcode: 9, payload: 'x', fin: false }), after)])).toEqual([
      ['violation', 'bad-control-frame'],
    ]);
  });

  it('flags frames over the bound and a 64-bit length with its top bit set', () => {
    expect(run([frame({ opcode: 2, payload: 'x'.repeat(200) })], { maxFrame: 100 })).toEqual([
      ['violation', 'frame-too-large'],
    ]);
    const bad = cat(new Uint8Array([0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1]));
    expect(run([bad])).toEqual([['violation', 'frame-too-large']]);
  });

  it('says a length near 2^62 exactly, not rounded as a float', () => {
    const messages: string[] = [];
    const dec = new WebSocketDecoder(
      {
        start: () => {},
        data: () => {},
        gap: () => {},
        end: () => {},
        control: () => {},
        violation: (v) => messages.push(v.message ?? ''),
      },
      { fromClient: false, limits: { MAX_INFLATE_BYTES: 1 << 20 } },
    );
    // 2^62 + 1 = 4611686018427387905: a double would print 4611686018427388000.
    dec.write(new Uint8Array([0x82, 127, 0x40, 0, 0, 0, 0, 0, 0, 1]));
    expect(messages).toEqual(['frame of 4611686018427387905 bytes']);
  });

  it('flags a continuation without a message and a message interrupting another', () => {
    expect(run([cat(frame({ opcode: 0, payload: 'orphan' }), frame({ opcode: 1, payload: 'ok' }))])).toEqual([
      ['violation', 'unexpected-continuation'],
      ['start', 1, false],
      ['data', 'ok'],
      ['end'],
    ]);
    expect(run([cat(frame({ opcode: 1, payload: 'a', fin: false }), frame({ opcode: 2, payload: 'b' }))])).toEqual([
      ['start', 1, false],
      ['data', 'a'],
      ['violation', 'missing-continuation'],
      ['end'],
      ['start', 2, false],
      ['data', 'b'],
      ['end'],
    ]);
  });

  it('flags a frame cut by the end of the stream and ends its message', () => {
    const f = frame({ opcode: 1, payload: 'hello' });
    expect(run([f.subarray(0, 4)])).toEqual([
      ['start', 1, false],
      ['data', 'he'],
      ['violation', 'truncated-frame'],
      ['end'],
    ]);
  });
});

describe('WebSocketDecoder permessage-deflate', () => {
  const text = JSON.stringify({ audio: 'QUJD'.repeat(200), seq: 1 });

  it('inflates a compressed message split over fragments (no context takeover)', () => {
    const body = pmd(text);
    const bytes = cat(
      frame({ opcode: 1, payload: body.subarray(0, 10), fin: false, rsv: 4, mask: M }),
      frame({ opcode: 0, payload: body.subarray(10), mask: M }),
      frame({ opcode: 1, payload: pmd('second'), rsv: 4, mask: M }),
    );
    const deflate = { noContextTakeover: true };
    expect(run([bytes], { fromClient: true, deflate })).toEqual([
      ['start', 1, true],
      ['data', text],
      ['end'],
      ['start', 1, true],
      ['data', 'second'],
      ['end'],
    ]);
  });

  it('keeps the window across messages with context takeover', async () => {
    const { createDeflateRaw } = await import('node:zlib');
    const z = createDeflateRaw();
    const out: Buffer[] = [];
    z.on('data', (d: Buffer) => out.push(d));
    const flushed = (s: string) =>
      new Promise<Uint8Array>((resolve) => {
        z.write(utf8(s));
        z.flush(Z.Z_SYNC_FLUSH, () => {
          const all = Buffer.concat(out.splice(0));
          resolve(all.subarray(0, all.length - 4));
        });
      });
    const { randomBytes } = await import('node:crypto');
    const text = JSON.stringify({ audio: randomBytes(600).toString('base64') });
    const a = await flushed(text);
    const b = await flushed(text); // mostly back-references into the first message
    z.close();
    expect(b.length).toBeLessThan(a.length / 4);
    const bytes = cat(frame({ opcode: 1, payload: a, rsv: 4 }), frame({ opcode: 1, payload: b, rsv: 4 }));
    const want = [['start', 1, true], ['data', text], ['end'], ['start', 1, true], ['data', text], ['end']];
    expect(run([bytes], { deflate: { noContextTakeover: false } })).toEqual(want);
    for (const chunks of everySplit(bytes, 400))
      expect(run(chunks, { deflate: { noContextTakeover: false } })).toEqual(want);
  });

  it('stops a message at MAX_INFLATE_BYTES', () => {
    const bytes = frame({ opcode: 1, payload: pmd('z'.repeat(5000)), rsv: 4 });
    const log = run([bytes], { deflate: { noContextTakeover: true }, max: 1000 });
    expect(log).toEqual([
      ['start', 1, true],
      ['data', 'z'.repeat(1000)],
      ['violation', 'inflate-size-exceeded'],
      ['end'],
    ]);
  });

  it('flags corrupt deflate data and inflates RSV1 even when not negotiated', () => {
    const bad = frame({ opcode: 2, payload: new Uint8Array([0xff, 0xff, 0xff]), rsv: 4 });
    expect(run([bad], { deflate: { noContextTakeover: true } })).toEqual([
      ['start', 2, true],
      ['violation', 'inflate-error'],
      ['end'],
    ]);
    expect(run([frame({ opcode: 1, payload: pmd('hi'), rsv: 4 })])).toEqual([
      ['violation', 'rsv1-not-negotiated'],
      ['start', 1, true],
      ['data', 'hi'],
      ['end'],
    ]);
  });

  describe('without context takeover (one inflater, reset per message)', () => {
    const deflate = { noContextTakeover: true };
    const msgs = [0, 1, 2].map((i) => JSON.stringify({ child: 'Mia', seq: i, audio: 'UklGRg'.repeat(40 + i) }));
    const text = (i: number) => frame({ opcode: 1, payload: pmd(msgs[i]!), rsv: 4, mask: M });
    /** What node's one-shot inflater makes of the first `n` bytes of a message's body (emitted before a cut). */
    const head = (i: number, n: number) =>
      inflateRawSync(pmd(msgs[i]!).subarray(0, n), { finishFlush: Z.Z_SYNC_FLUSH }).toString('latin1');
    const stream = cat(
      text(0),
      frame({ opcode: 2, payload: pmd(msgs[1]!).subarray(0, 7), fin: false, rsv: 4, mask: M }),
      frame({ opcode: 9, payload: 'hb', mask: M }),
      frame({ opcode: 0, payload: pmd(msgs[1]!).subarray(7), mask: M }),
      frame({ opcode: 1, payload: 'plain', mask: M }),
      // msgs[1] again, as a context-takeover sender compresses it: one back-reference, which must not inflate.
      frame({ opcode: 1, payload: pmd(msgs[1]!, msgs[1]!), rsv: 4, mask: M }),
      frame({ opcode: 2, payload: new Uint8Array([0xff, 0xff, 0xff]), rsv: 4, mask: M }), // corrupt
      text(2),
      frame({ opcode: 1, payload: pmd('x'.repeat(3000)), rsv: 4, mask: M }), // over the bound below
      text(0),
    );
    const want = [
      ['start', 1, true],
      ['data', msgs[0]],
      ['end'],
      ['start', 2, true],
      ['data', head(1, 7)],
      ['control', 9, undefined],
      ['data', msgs[1]!.slice(head(1, 7).length)],
      ['end'],
      ['start', 1, false],
      ['data', 'plain'],
      ['end'],
      ['start', 1, true],
      ['violation', 'inflate-error'],
      ['end'],
      ['start', 2, true],
      ['violation', 'inflate-error'],
      ['end'],
      ['start', 1, true],
      ['data', msgs[2]],
      ['end'],
      ['start', 1, true],
      ['data', 'x'.repeat(1000)],
      ['violation', 'inflate-size-exceeded'],
      ['end'],
      ['start', 1, true],
      ['data', msgs[0]],
      ['end'],
    ];

    it('inflates each message on its own, and a broken message does not spoil the next', () => {
      expect(stream.length).toBeLessThan(4096);
      expect(run([stream], { fromClient: true, deflate, max: 1000 })).toEqual(want);
    });

    /**
     * Drops the data just before an inflate error: zlib reports no output count for a call that fails, so what a
     * corrupt message yields before its bad point depends on where the input was cut (here its first literal).
     */
    const settled = (log: Ev[]) => log.filter((e, i) => !(e[0] === 'data' && log[i + 1]?.[1] === 'inflate-error'));

    it('gives the same messages at every split and one byte at a time', () => {
      const opts = { fromClient: true, deflate, max: 1000 };
      for (const chunks of everySplit(stream)) expect(settled(run(chunks, opts))).toEqual(want);
      expect(settled(run(oneByteAtATime(stream), opts))).toEqual(want);
    });

    it('starts clean after a gap in a compressed message', () => {
      const f = text(1);
      expect(run([f.subarray(0, 20), 5, f.subarray(25), text(2)], { fromClient: true, deflate })).toEqual([
        ['start', 1, true],
        ['data', head(1, 20 - 6)], // 6 header bytes: 2 + mask
        ['violation', 'gap-in-compressed-message'],
        ['end'],
        ['start', 1, true],
        ['data', msgs[2]],
        ['end'],
      ]);
    });

    it('still keeps the window with context takeover (the same back-reference inflates)', () => {
      const bytes = cat(
        frame({ opcode: 1, payload: pmd(msgs[1]!), rsv: 4 }),
        frame({ opcode: 1, payload: pmd(msgs[2]!, msgs[1]!), rsv: 4 }),
      );
      const events = [['start', 1, true], ['data', msgs[1]], ['end'], ['start', 1, true], ['data', msgs[2]], ['end']];
      expect(run([bytes], { deflate: { noContextTakeover: false } })).toEqual(events);
      expect(run([bytes], { deflate })).toEqual([...events.slice(0, 4), ['violation', 'inflate-error'], ['end']]);
    });
  });

  it('reads the negotiated parameters per direction', () => {
    expect(negotiatedDeflate('permessage-deflate; client_no_context_takeover; server_max_window_bits=10')).toEqual({
      up: { noContextTakeover: true },
      down: { noContextTakeover: false },
    });
    expect(negotiatedDeflate('x-webkit-deflate-frame')).toEqual({});
    expect(negotiatedDeflate(undefined)).toEqual({});
  });
});

describe('WebSocketDecoder gaps', () => {
  it('passes a gap inside a payload and loses sync on one in a header', () => {
    const f = frame({ opcode: 2, payload: 'abcdefgh' });
    const log: Ev[] = [];
    const dec = new WebSocketDecoder(
      {
        start: () => log.push(['start']),
        data: (d) => log.push(['data', Buffer.from(d).toString()]),
        gap: (n) => log.push(['gap', n]),
        end: () => log.push(['end']),
        control: () => {},
        violation: (v) => log.push(['violation', v.code]),
      },
      { fromClient: false, limits: { MAX_INFLATE_BYTES: 100 } },
    );
    dec.write(f.subarray(0, 4));
    dec.gap(3);
    dec.write(f.subarray(7));
    dec.gap(1);
    expect(log).toEqual([
      ['start'],
      ['data', 'ab'],
      ['gap', 3],
      ['data', 'fgh'],
      ['end'],
      ['violation', 'gap-lost-sync'],
    ]);
    expect(dec.stopped).toBe(true);
  });
});

describe('WebSocketDecoder split invariance and fuzz', () => {
  const stream = cat(
    frame({ opcode: 1, payload: '{"a":1}', mask: M }),
    frame({ opcode: 2, payload: 'x'.repeat(130), fin: false, mask: M }),
    frame({ opcode: 10, payload: 'pong', mask: M }),
    frame({ opcode: 0, payload: 'tail', mask: M }),
    frame({ opcode: 1, payload: pmd('compressed text'), rsv: 4, mask: M }),
    frame({ opcode: 8, payload: new Uint8Array([0x03, 0xe9]), mask: M }),
  );
  const opts = { fromClient: true, deflate: { noContextTakeover: true } };
  const whole = run([stream], opts);

  it('gives the same events at every split and one byte at a time', () => {
    expect(whole.filter((e) => e[0] === 'end')).toHaveLength(3);
    for (const chunks of everySplit(stream)) expect(run(chunks, opts)).toEqual(whole);
    expect(run(oneByteAtATime(stream), opts)).toEqual(whole);
  });

  it('gives the same events at random splits', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => {
        expect(run(splitAt(stream, cuts), opts)).toEqual(whole);
      }),
    );
  });

  it('never throws on mutated frames, in bounded time', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (muts, cuts) => {
          const b = stream.slice();
          for (const [i, v] of muts) b[i % b.length] = v;
          const log = run(splitAt(b, cuts), opts);
          expect(Array.isArray(log)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { HTTP2_PREFACE, Http2FrameReader } from '../../src/decode/http2-frames.ts';
import { h2Frame } from '../../testkit/http2-builders.ts';
import { everySplit, oneByteAtATime } from '../helpers/splits.ts';

const frame = h2Frame;
const ascii = (s: string) => Array.from(Buffer.from(s, 'latin1'));

/** Feeds the chunks to a reader; returns its sink calls, DATA joined per run so chunking does not show. */
function read(chunks: Uint8Array[], client = true, gapAfter?: [number, number]): unknown[] {
  const log: unknown[] = [];
  const reader = new Http2FrameReader(
    {
      data: (id, b) => {
        const last = log.at(-1) as [string, number, string] | undefined;
        if (last?.[0] === 'data' && last[1] === id) last[2] += Buffer.from(b).toString('latin1');
        else log.push(['data', id, Buffer.from(b).toString('latin1')]);
      },
      dataGap: (id, n) => log.push(['gap', id, n]),
      endStream: (id) => log.push(['end', id]),
      headers: (id, block, end, promised) =>
        log.push(['headers', id, Buffer.from(block).toString('latin1'), end, promised]),
      reset: (id, code) => log.push(['reset', id, code]),
      settings: (p) => log.push(['settings', p]),
      goaway: (last, code) => log.push(['goaway', last, code]),
      violation: (code, offset) => log.push(['violation', code, offset]),
    },
    { maxHeaderBlockBytes: 1024, maxContinuations: 4 },
    client,
  );
  chunks.forEach((c, i) => {
    reader.write(c);
    if (gapAfter && gapAfter[0] === i) reader.gap(gapAfter[1]);
  });
  reader.end();
  return log;
}

const CLIENT = Uint8Array.from([
  ...HTTP2_PREFACE,
  ...frame(4, 0, 0, [0, 3, 0, 0, 0, 100, 0, 4, 0, 1, 0, 0]), // SETTINGS
  ...frame(1, 0x20 | 0x8, 1, [2, 0, 0, 0, 0, 9, ...ascii('hea'), 0, 0]), // HEADERS padded + priority, no END_HEADERS
  ...frame(9, 0, 1, ascii('der')),
  ...frame(9, 0x4, 1, ascii('s!')),
  ...frame(2, 0, 1, [0, 0, 0, 0, 9]), // PRIORITY: skipped
  ...frame(0, 0x8, 1, [3, ...ascii('body'), 0, 0, 0]), // DATA padded
  ...frame(6, 0, 0, new Array(8).fill(7)), // PING: skipped
  ...frame(8, 0, 0, [0, 0, 1, 0]), // WINDOW_UPDATE: skipped
  ...frame(0, 0x1, 1, ascii('-end')),
  ...frame(0xfa, 0, 0, ascii('unknown')), // unknown type: skipped
  ...frame(3, 0, 3, [0, 0, 0, 8]), // RST_STREAM CANCEL
  ...frame(7, 0, 0, [0, 0, 0, 5, 0, 0, 0, 0, ...ascii('debug')]), // GOAWAY with debug data
]);

describe('Http2FrameReader', () => {
  it('reads every frame type, the same at every split and one byte at a time', () => {
    const want = [
      [
        'settings',
        [
          [3, 100],
          [4, 65536],
        ],
      ],
      ['headers', 1, 'headers!', false, undefined],
      ['data', 1, 'body-end'],
      ['end', 1],
      ['reset', 3, 8],
      ['goaway', 5, 0],
    ];
    for (const chunks of [...everySplit(CLIENT), oneByteAtATime(CLIENT)]) expect(read(chunks)).toEqual(want);
  });

  it('gives a PUSH_PROMISE its promised stream, and a server side needs no preface', () => {
    const push = Uint8Array.from(frame(5, 0x4 | 0x8, 1, [1, 0, 0, 0, 2, ...ascii('blk'), 0]));
    expect(read([push], false)).toEqual([['headers', 1, 'blk', false, 2]]);
  });

  it('passes a gap inside a DATA payload on, and stops at one outside', () => {
    const data = Uint8Array.from([...HTTP2_PREFACE, ...frame(0, 0x1, 1, ascii('0123456789'))]);
    const cut = [data.subarray(0, 24 + 9 + 3), data.subarray(24 + 9 + 7)];
    expect(read(cut, true, [0, 4])).toEqual([
      ['data', 1, '012'],
      ['gap', 1, 4],
      ['data', 1, '789'],
      ['end', 1],
    ]);
    expect(read([data.subarray(0, 24 + 4)], true, [0, 9])).toEqual([['violation', 'gap', 28]]);
  });

  it('reports bad SETTINGS and goes on; stops at a bad preface, a block too large or too many CONTINUATIONs', () => {
    const settings = Uint8Array.from([...HTTP2_PREFACE, ...frame(4, 0, 0, [1, 2, 3]), ...frame(0, 1, 1, ascii('x'))]);
    expect(read([settings])).toEqual([
      ['violation', 'bad-settings', 24],
      ['data', 1, 'x'],
      ['end', 1],
    ]);
    expect(read([Uint8Array.from(ascii('PRI * HTTP/1.1\r\n'))])).toEqual([['violation', 'bad-preface', 11]]);
    const big = Uint8Array.from([...HTTP2_PREFACE, ...frame(1, 0x4, 1, new Array(1025).fill(0))]);
    expect(read([big])).toEqual([['violation', 'header-block-too-large', 24]]);
    const many = [...HTTP2_PREFACE, ...frame(1, 0, 1, [0x82])];
    for (let i = 0; i < 5; i++) many.push(...frame(9, 0, 1));
    expect(read([Uint8Array.from(many)])).toEqual([['violation', 'continuation-flood', 24 + 10 + 4 * 9]]);
  });
});

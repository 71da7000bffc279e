import { describe, expect, it } from 'vitest';
import type { FlowEvent } from '../../src/model/events.ts';
import { recognizeTcp } from '../../src/streams/recognize.ts';
import { MAX_WATCH_FRAME_BYTES, unescapeWatch, WatchStream, watchFramePrefix } from '../../src/streams/watch.ts';
import { everySplit, utf8 } from '../helpers/splits.ts';

function play(chunks: Array<['up' | 'down', Uint8Array]>, gapAfter = -1): { events: FlowEvent[]; codes: string[] } {
  const events: FlowEvent[] = [];
  const codes: string[] = [];
  const s = new WatchStream(
    'f',
    (e) => events.push(e),
    (v) => codes.push(v.code),
  );
  chunks.forEach(([dir, b], i) => {
    s.data(dir, b, i);
    if (i === gapAfter) s.gap(dir, 100, i);
  });
  s.close(99);
  return { events, codes };
}

const brief = (events: FlowEvent[]) =>
  events.flatMap((e) =>
    e.type === 'message.head'
      ? [[e.msg.msgId, e.msg.direction, e.msg.method ?? 'raw', e.msg.headers]]
      : e.type === 'message.chunk'
        ? [[e.msgId, Buffer.from(e.data).toString('latin1')]]
        : [],
  );

const LK = '[3G*8800000015*0009*LK,0,0,84]';
const UD = '[3G*8800000015*0017*UD,031226,A,22.5,N]';
/** A TK frame whose clip holds every escaped byte: `}` `[` `]` `,` `*`. */
const TK = Buffer.concat([
  utf8('[3G*8800000015*000E*TK,#!AMR\n'),
  Buffer.from([0x7d, 1, 0x7d, 2, 0x7d, 3, 0x7d, 4, 0x7d, 5]),
  utf8(']'),
]);

describe('WatchStream', () => {
  it('makes each frame a message at every split: text frames whole, a voice clip unescaped', () => {
    const stream = Buffer.concat([utf8(`${LK}\r\n${UD}`), TK]);
    const want = [
      [
        0,
        'upload',
        'LK',
        [
          ['Watch-Id', '8800000015'],
          ['Maker', '3G'],
        ],
      ],
      [0, LK],
      [
        1,
        'upload',
        'UD',
        [
          ['Watch-Id', '8800000015'],
          ['Maker', '3G'],
        ],
      ],
      [1, UD],
      [
        2,
        'upload',
        'TK',
        [
          ['Watch-Id', '8800000015'],
          ['Maker', '3G'],
        ],
      ],
      [2, '#!AMR\n}[],*'],
    ];
    for (const chunks of everySplit(stream)) {
      const { events, codes } = play(chunks.map((c) => ['up', c] as ['up', Uint8Array]));
      expect(codes).toEqual([]);
      expect(brief(events)).toEqual(want);
    }
  });

  it('reads what is no frame, a frame too long, and what follows a gap as a raw message', () => {
    const junk = play([['up', utf8(`${LK}hello there]`)]]);
    expect(brief(junk.events).map((e) => e.slice(0, 3))).toEqual([
      [0, 'upload', 'LK'],
      [0, LK],
      [1, 'upload', 'raw'],
      [1, 'hello there]'],
    ]);
    const long = play([['up', utf8(`[3G*8800000015*FFFF*TK,${'x'.repeat(MAX_WATCH_FRAME_BYTES + 1)}`)]]);
    expect(long.codes).toEqual(['frame-too-long']);
    expect(brief(long.events)[0]?.slice(0, 3)).toEqual([0, 'upload', 'raw']);
    const gap = play(
      [
        ['up', utf8(LK)],
        ['up', utf8('[3G*88')],
        ['up', utf8('00000015*0002*LK]')],
      ],
      1,
    );
    expect(brief(gap.events).map((e) => e.slice(0, 3))).toEqual([
      [0, 'upload', 'LK'],
      [0, LK],
      [1, 'upload', 'raw'],
      [1, '[3G*88'],
      [1, '00000015*0002*LK]'],
    ]);
  });

  it('is recognised by its first bytes, and nothing else is', () => {
    expect(watchFramePrefix(utf8('[3G*88000'))).toBe('more');
    expect(watchFramePrefix(utf8(LK))).toBe('ok');
    expect(recognizeTcp(utf8(LK), false, 8001)).toBe('watch');
    expect(recognizeTcp(utf8('[3G*8800000015*0009*'), false, 8001)).toBe('more');
    expect(recognizeTcp(utf8('[INFO] boot ok'), false, 8001)).toBe('unknown');
    expect(recognizeTcp(utf8('[{"a":1}]'), true, 8001)).toBe('unknown');
    expect(unescapeWatch(Uint8Array.from([1, 0x7d, 9, 0x7d]))).toEqual(Uint8Array.from([1, 0x7d, 9, 0x7d]));
  });
});

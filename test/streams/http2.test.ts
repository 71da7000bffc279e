// HTTP/2 through ConnectionRouter (recognised by its preface) and Http2Stream: hand-made frames and HPACK blocks
// → the HTTP/1 handler's message events; interleaved streams, padding, CONTINUATION, trailers, RST_STREAM, gaps,
// h2c upgrade; hostile input gives violations, never a throw; any chunking gives the same messages.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HTTP2_PREFACE } from '../../src/decode/http2-frames.ts';
import type { FlowEvent } from '../../src/model/events.ts';
import { DEFAULT_LIMITS, type Limits, resolveLimits } from '../../src/model/limits.ts';
import { Http2Stream } from '../../src/streams/http2.ts';
import { msgIdCounter } from '../../src/streams/mqtt.ts';
import { ConnectionRouter } from '../../src/streams/router.ts';
import { h2Frame, hpackLiteral } from '../../testkit/http2-builders.ts';
import { everySplit, oneByteAtATime, splitAt, utf8 } from '../helpers/splits.ts';

const DATA = 0;
const HEADERS = 1;
const RST = 3;
const SETTINGS = 4;
const PUSH = 5;
const CONT = 9;

const frame = h2Frame;
const lit = (name: string, value: string) => hpackLiteral(name, value);
const litIndexed = (name: string, value: string) => hpackLiteral(name, value, true);
const req = (method: string, path: string, extra: number[] = []) => [
  ...lit(':method', method),
  ...lit(':scheme', 'https'),
  ...lit(':path', path),
  ...lit(':authority', 'api.toy-cloud.example'),
  ...extra,
];
const status = (s: number) => lit(':status', String(s));
const text = (s: string) => Array.from(utf8(s));
const bytes = (...parts: number[][]) => Uint8Array.from(parts.flat());
const SERVER_SETTINGS = frame(SETTINGS, 0, 0, [0, 5, 0, 0, 0x40, 0]); // MAX_FRAME_SIZE 16384

interface Msg {
  msgId: number;
  direction: string;
  method?: string;
  url?: string;
  status?: number;
  requestId?: number;
  headers: ReadonlyArray<readonly [string, string]>;
  body: string;
  gaps: number;
  ended: boolean;
}

/** Routes one connection fed as `up` / `down` chunk lists (up first, then down, unless `order` says otherwise). */
function run(
  feed: Array<['up' | 'down', Uint8Array] | ['gap-up' | 'gap-down', number]>,
  opts: { port?: number; limits?: Partial<Limits> } = {},
) {
  const events: FlowEvent[] = [];
  const violations: string[] = [];
  const router = new ConnectionRouter({
    flowId: 'c:1',
    client: { ip: '127.0.0.5', port: 40000 },
    server: { ip: '127.0.0.9', port: opts.port ?? 9443 },
    source: 'capture',
    tls: 'none',
    openTs: 1,
    emit: (e) => events.push(e),
    report: (v) => violations.push(v.code),
    limits: opts.limits ? resolveLimits(opts.limits) : DEFAULT_LIMITS,
  });
  for (const [what, x] of feed) {
    if (what === 'gap-up' || what === 'gap-down') router.gap(what === 'gap-up' ? 'up' : 'down', x as number, 2);
    else router.data(what, x as Uint8Array, 2);
  }
  router.close(4, 'fin');
  const msgs = new Map<number, Msg>();
  for (const e of events) {
    if (e.type === 'message.head') {
      const { msgId, direction, method, url, status, requestId, headers } = e.msg;
      msgs.set(msgId, { msgId, direction, method, url, status, requestId, headers, body: '', gaps: 0, ended: false });
    } else if (e.type === 'message.chunk') msgs.get(e.msgId)!.body += Buffer.from(e.data).toString('latin1');
    else if (e.type === 'message.gap') msgs.get(e.msgId)!.gaps += e.length;
    else if (e.type === 'message.end') {
      const m = msgs.get(e.msgId)!;
      expect(m.ended).toBe(false);
      m.ended = true;
    }
  }
  const open = events.find((e) => e.type === 'flow.open');
  const host = events.find((e) => e.type === 'flow.update' && e.update.server)?.type === 'flow.update';
  return {
    msgs: [...msgs.values()],
    violations,
    transport: open?.type === 'flow.open' ? open.flow.transport : undefined,
    hostAnnounced: host,
  };
}

/** Client bytes: two POSTs on streams 1 and 3 whose DATA interleave, the second padded. */
const INTERLEAVED_UP = bytes(
  [...HTTP2_PREFACE],
  frame(SETTINGS, 0, 0),
  frame(HEADERS, 0x4, 1, req('POST', '/v1/a', lit('content-type', 'application/json'))),
  frame(HEADERS, 0x4 | 0x8 | 0x20, 3, [3, 0, 0, 0, 0, 16, ...req('POST', '/v1/b'), 0, 0, 0]), // padded + priority
  frame(DATA, 0, 1, text('{"imei":"4901')),
  frame(DATA, 0x8, 3, [2, ...text('hello '), 0, 0]), // padded
  frame(DATA, 0x1, 1, text('54203237518"}')),
  frame(DATA, 0x1, 3, text('world')),
);
const INTERLEAVED_DOWN = bytes(
  SERVER_SETTINGS,
  frame(SETTINGS, 0x1, 0),
  frame(HEADERS, 0x4, 3, [...status(200), ...lit('content-type', 'text/plain')]),
  frame(HEADERS, 0x4, 1, status(201)),
  frame(DATA, 0, 3, text('ok-3')),
  frame(DATA, 0x1, 1, text('ok-1')),
  frame(DATA, 0x1, 3, []),
);

const EXPECTED = [
  {
    msgId: 0,
    direction: 'upload',
    method: 'POST',
    url: '/v1/a',
    headers: [
      ['host', 'api.toy-cloud.example'],
      ['content-type', 'application/json'],
    ],
    body: '{"imei":"490154203237518"}',
    ended: true,
  },
  { msgId: 1, direction: 'upload', method: 'POST', url: '/v1/b', body: 'hello world', ended: true },
  { msgId: 2, direction: 'download', status: 200, requestId: 1, body: 'ok-3', ended: true },
  { msgId: 3, direction: 'download', status: 201, requestId: 0, body: 'ok-1', ended: true },
];

describe('HTTP/2 streams', () => {
  it('recognises the preface on any port and gives each interleaved stream its own message and body', () => {
    const r = run([
      ['up', INTERLEAVED_UP],
      ['down', INTERLEAVED_DOWN],
    ]);
    expect(r.transport).toBe('http');
    expect(r.violations).toEqual([]);
    expect(r.hostAnnounced).toBe(true);
    expect(r.msgs).toMatchObject(EXPECTED);
  });

  it('gives the same messages for the client bytes cut at every offset and one byte at a time', () => {
    const whole = run([
      ['up', INTERLEAVED_UP],
      ['down', INTERLEAVED_DOWN],
    ]);
    const cuts = [...everySplit(INTERLEAVED_UP), oneByteAtATime(INTERLEAVED_UP)];
    for (const chunks of cuts) {
      const r = run([...chunks.map((c) => ['up', c] as ['up', Uint8Array]), ['down', INTERLEAVED_DOWN]]);
      expect(r).toEqual(whole);
    }
    for (const chunks of [...everySplit(INTERLEAVED_DOWN), oneByteAtATime(INTERLEAVED_DOWN)]) {
      const r = run([['up', INTERLEAVED_UP], ...chunks.map((c) => ['down', c] as ['down', Uint8Array])]);
      expect(r).toEqual(whole);
    }
  });

  it('waits for the preface when the server sends its SETTINGS first', () => {
    const r = run([
      ['down', bytes(SERVER_SETTINGS)],
      ['up', INTERLEAVED_UP],
      ['down', INTERLEAVED_DOWN.subarray(SERVER_SETTINGS.length)],
    ]);
    expect(r.transport).toBe('http');
    expect(r.msgs).toMatchObject(EXPECTED);
  });

  it('assembles a header block across CONTINUATION frames and reuses the dynamic table on the next stream', () => {
    const block = req('GET', '/v1/x', litIndexed('x-device-id', 'TOY-1'));
    const up = bytes(
      [...HTTP2_PREFACE],
      frame(HEADERS, 0x1, 1, block.slice(0, 10)),
      frame(CONT, 0, 1, block.slice(10, 30)),
      frame(CONT, 0x4, 1, block.slice(30)),
      frame(HEADERS, 0x5, 3, [...req('GET', '/v1/y'), 0xbe]), // 62: the field indexed above
    );
    const r = run([['up', up]]);
    expect(r.violations).toEqual([]);
    expect(r.msgs.map((m) => [m.url, m.headers.at(-1), m.ended])).toEqual([
      ['/v1/x', ['x-device-id', 'TOY-1'], true],
      ['/v1/y', ['x-device-id', 'TOY-1'], true],
    ]);
  });

  it('reads interim responses, trailers, RST_STREAM and server pushes', () => {
    const up = bytes(
      [...HTTP2_PREFACE],
      frame(HEADERS, 0x4, 1, req('POST', '/upload', lit('expect', '100-continue'))),
      frame(DATA, 0, 1, text('part')),
      frame(HEADERS, 0x5, 1, lit('x-checksum', 'abc')), // request trailers end the request
      frame(HEADERS, 0x4, 3, req('POST', '/cancelled')),
      frame(DATA, 0, 3, text('half')),
      frame(RST, 0, 3, [0, 0, 0, 8]),
    );
    const down = bytes(
      frame(HEADERS, 0x4, 1, status(100)),
      frame(PUSH, 0x4, 1, [0, 0, 0, 2, ...req('GET', '/pushed.css')]),
      frame(HEADERS, 0x4, 1, status(200)),
      frame(DATA, 0, 1, text('done')),
      frame(HEADERS, 0x5, 1, lit('grpc-status', '0')),
      frame(HEADERS, 0x4, 2, status(200)),
      frame(DATA, 0x1, 2, text('body{}')),
    );
    const r = run([
      ['up', up],
      ['down', down],
    ]);
    expect(r.violations).toEqual([]);
    expect(r.msgs.map((m) => [m.direction, m.url ?? m.status, m.requestId, m.body, m.ended])).toEqual([
      ['upload', '/upload', undefined, 'part', true],
      ['upload', '/cancelled', undefined, 'half', true],
      ['download', 100, 0, '', true],
      ['download', 200, 0, 'done', true],
      ['download', 200, undefined, 'body{}', true],
    ]);
  });

  it('carries a gap inside a DATA payload to its message and reads on; a gap elsewhere stops the direction', () => {
    const head = bytes(
      [...HTTP2_PREFACE],
      frame(HEADERS, 0x4, 1, req('POST', '/a')),
      frame(DATA, 0x1, 1, []).slice(0, 0),
    );
    const dataHeader = frame(DATA, 0x1, 1, text('0123456789')).slice(0, 9);
    const r = run([
      ['up', head],
      ['up', Uint8Array.from(dataHeader)],
      ['up', utf8('012')],
      ['gap-up', 4],
      ['up', utf8('789')],
      ['up', bytes(frame(HEADERS, 0x5, 3, req('GET', '/b')))],
    ]);
    expect(r.violations).toEqual([]);
    expect(r.msgs.map((m) => [m.url, m.body, m.gaps, m.ended])).toEqual([
      ['/a', '012789', 4, true],
      ['/b', '', 0, true],
    ]);
    const lost = run([
      ['up', head],
      ['gap-up', 5],
      ['up', bytes(frame(HEADERS, 0x5, 3, req('GET', '/b')))],
    ]);
    expect(lost.violations).toEqual(['gap', 'truncated-stream']);
    expect(lost.msgs.map((m) => [m.url, m.ended])).toEqual([['/a', true]]);
  });

  it('continues after an h2c upgrade: the HTTP/1 request is stream 1, its response comes as HTTP/2', () => {
    const up = bytes(
      text('GET /v1/poll HTTP/1.1\r\nHost: api.toy-cloud.example\r\nConnection: Upgrade, HTTP2-Settings\r\n'),
      text('Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n'),
      [...HTTP2_PREFACE],
      frame(SETTINGS, 0, 0),
      frame(HEADERS, 0x5, 3, req('GET', '/v1/next')),
    );
    const down = bytes(
      text('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n'),
      SERVER_SETTINGS,
      frame(HEADERS, 0x4, 1, status(200)),
      frame(DATA, 0x1, 1, text('{"poll":30}')),
    );
    const r = run([
      ['up', up],
      ['down', down],
    ]);
    expect(r.violations).toEqual([]);
    expect(r.msgs.map((m) => [m.msgId, m.direction, m.url ?? m.status, m.requestId, m.body, m.ended])).toEqual([
      [0, 'upload', '/v1/poll', undefined, '', true],
      [1, 'download', 101, 0, '', true],
      [2, 'upload', '/v1/next', undefined, '', true],
      [3, 'download', 200, 0, '{"poll":30}', true],
    ]);
  });
});

describe('HTTP/2, hostile input: violations, never a throw', () => {
  const preface = [...HTTP2_PREFACE];

  it('reports a frame longer than SETTINGS_MAX_FRAME_SIZE and still reads its DATA', () => {
    const big = 'x'.repeat(20_000);
    const r = run([
      ['down', bytes(SERVER_SETTINGS)],
      ['up', bytes(preface, frame(HEADERS, 0x4, 1, req('POST', '/a')), frame(DATA, 0x1, 1, text(big)))],
    ]);
    expect(r.violations).toEqual(['frame-too-large']);
    expect(r.msgs[0]?.body).toHaveLength(20_000);
  });

  it('stops a direction at a header block past MAX_HTTP_HEADER_BYTES, or too many CONTINUATIONs', () => {
    const huge = run([['up', bytes(preface, frame(HEADERS, 0x4, 1, new Array(70_000).fill(0)))]]);
    expect(huge.violations).toEqual(['frame-too-large', 'header-block-too-large']);
    const growing: number[][] = [preface, frame(HEADERS, 0, 1, req('GET', '/'))];
    for (let i = 0; i < 20; i++) growing.push(frame(CONT, 0, 1, new Array(4000).fill(0x80)));
    expect(run([['up', bytes(...growing)]], { limits: { MAX_HTTP2_CONTINUATIONS: 1000 } }).violations).toEqual([
      'header-block-too-large',
    ]);
    const flood: number[][] = [preface, frame(HEADERS, 0, 1, req('GET', '/'))];
    for (let i = 0; i < 10_000; i++) flood.push(frame(CONT, 0, 1));
    const r = run([['up', bytes(...flood)]]);
    expect(r.violations).toEqual(['continuation-flood']);
    expect(r.msgs).toEqual([]);
  });

  it('stops a direction at an HPACK error and ends its open messages at close', () => {
    const r = run([
      [
        'up',
        bytes(
          preface,
          frame(HEADERS, 0x4, 1, req('POST', '/a')),
          frame(HEADERS, 0x4, 3, [0xff, 0x7f]), // index 254: no such entry
          frame(DATA, 0x1, 1, text('never read')),
        ),
      ],
    ]);
    expect(r.violations).toEqual(['hpack-bad-index', 'truncated-stream']);
    expect(r.msgs.map((m) => [m.url, m.body, m.ended])).toEqual([['/a', '', true]]);
  });

  it('reports a cut frame, a bad preface after an h2c upgrade, CONTINUATION out of place and bad padding', () => {
    expect(run([['up', bytes(preface, [0, 0, 4, 1])]]).violations).toEqual(['truncated-frame']);
    const upgrade = text('GET / HTTP/1.1\r\nHost: a.example\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
    const switched = text('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
    const notH2 = run([
      ['up', bytes(upgrade, text('GET /again HTTP/1.1\r\n\r\n'))],
      ['down', bytes(switched)],
    ]);
    expect(notH2.violations).toEqual(['bad-preface']);
    expect(run([['up', bytes(preface, frame(CONT, 0x4, 1, req('GET', '/')))]]).violations).toEqual([
      'unexpected-continuation',
    ]);
    expect(
      run([['up', bytes(preface, frame(HEADERS, 0, 1, req('GET', '/')), frame(DATA, 0, 1, text('x')))]]).violations,
    ).toEqual(['expected-continuation']);
    expect(run([['up', bytes(preface, frame(DATA, 0x8, 1, [9, 1, 2]))]]).violations).toEqual(['bad-padding']);
  });

  it('tracks at most MAX_HTTP2_STREAMS streams: the oldest is ended and forgotten', () => {
    const frames: number[][] = [preface];
    for (let id = 1; id <= 9; id += 2) frames.push(frame(HEADERS, 0x4, id, req('POST', `/s${id}`)));
    const r = run([['up', bytes(...frames)]], { limits: { MAX_HTTP2_STREAMS: 3 } });
    expect(r.violations).toEqual(['too-many-streams', 'too-many-streams', ...new Array(3).fill('truncated-stream')]);
    expect(r.msgs.every((m) => m.ended)).toBe(true);
  });

  it('never throws on random frames after the preface, whatever the chunking', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat()), (noise, cuts) => {
        const up = bytes(preface, frame(HEADERS, 0x4, 1, req('POST', '/a')), Array.from(noise));
        const r = run(splitAt(up, cuts).map((c) => ['up', c] as ['up', Uint8Array]));
        expect(r.transport).toBe('http');
        expect(r.msgs.every((m) => m.ended)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('turns an unexpected error below it into one internal-error violation, and reads no more', () => {
    const codes: string[] = [];
    const stream = new Http2Stream({
      flowId: 'c:1',
      emit: (e) => {
        if (e.type === 'message.chunk') throw new Error('sink failed');
      },
      report: (v) => codes.push(v.code),
      limits: DEFAULT_LIMITS,
      nextMsgId: msgIdCounter(),
    });
    expect(() => stream.data('up', INTERLEAVED_UP, 1)).not.toThrow();
    stream.data('up', INTERLEAVED_UP, 2);
    stream.close(3);
    expect(codes).toEqual(['internal-error', 'truncated-stream', 'truncated-stream']); // streams 1 and 3 were open
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FlowEvent } from '../../src/model/events.ts';
import { DEFAULT_LIMITS, resolveLimits } from '../../src/model/limits.ts';
import { Http1Handler } from '../../src/streams/http1.ts';
import { OpaqueStream } from '../../src/streams/raw.ts';
import type { StreamDir, StreamHandler } from '../../src/streams/types.ts';
import { splitAt, utf8 } from '../helpers/splits.ts';
import { down, expectSplitInvariant, latin1, run, type Step, up } from './http1-script.ts';

const GET = 'GET /a HTTP/1.1\r\nHost: api.toy-cloud.example\r\n\r\n';
const OK = (body: string, extra = '') => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;

describe('Http1Handler: parser tables', () => {
  it('a GET and a Content-Length response, host announced first', () => {
    expect(expectSplitInvariant([up(GET), down(OK('{"ok":true}')), ['close']])).toEqual([
      'host api.toy-cloud.example',
      'head #0 GET /a',
      'end #0',
      'head #1 200 <-0',
      'body #1 {"ok":true}',
      'end #1',
    ]);
  });

  it('a POST with Content-Length, the port stripped from Host', () => {
    const req = 'POST /v1/voice HTTP/1.1\r\nHost: AI.Xiaoyu-Toys.com:8080\r\nContent-Length: 5\r\n\r\nhello';
    expect(expectSplitInvariant([up(req), down(OK(''))])).toEqual([
      'host ai.xiaoyu-toys.com',
      'head #0 POST /v1/voice',
      'body #0 hello',
      'end #0',
      'head #1 200 <-0',
      'end #1',
    ]);
  });

  it('chunked request (extensions, trailers) and chunked response: framing removed', () => {
    const req =
      'PUT /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5;name=x\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 1\r\n\r\n';
    const res = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n';
    expect(expectSplitInvariant([up(req), down(res)])).toEqual([
      'host h',
      'head #0 PUT /up',
      'body #0 hello world',
      'end #0',
      'head #1 200 <-0',
      'body #1 0123456789',
      'end #1',
    ]);
  });

  it('keep-alive: two exchanges on one connection', () => {
    const log = expectSplitInvariant([up(GET), down(OK('one')), up(GET.replace('/a', '/b')), down(OK('two'))]);
    expect(log.filter((l) => !l.startsWith('end'))).toEqual([
      'host api.toy-cloud.example',
      'head #0 GET /a',
      'head #1 200 <-0',
      'body #1 one',
      'head #2 GET /b',
      'head #3 200 <-2',
      'body #3 two',
    ]);
  });

  it('pipelining: responses matched to requests in order, HEAD response has no body', () => {
    const reqs = `HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nPOST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi${GET}`;
    const res = `HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n${OK('p')}${OK('g')}`;
    expect(expectSplitInvariant([up(reqs), down(res)])).toEqual([
      'host x',
      'head #0 HEAD /h',
      'end #0',
      'head #1 POST /p',
      'body #1 hi',
      'end #1',
      'head #2 GET /a',
      'end #2',
      'head #3 200 <-0',
      'end #3',
      'head #4 200 <-1',
      'body #4 p',
      'end #4',
      'head #5 200 <-2',
      'body #5 g',
      'end #5',
    ]);
  });

  it('a response without length ends at close (HTTP/1.0 style)', () => {
    const res = 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of this\r\nuntil close';
    expect(expectSplitInvariant([up(GET), down(res), ['close']]).slice(-3)).toEqual([
      'head #1 200 <-0',
      'body #1 all of this\r\nuntil close',
      'end #1',
    ]);
  });

  it('Expect: 100-continue: the 100 is its own message, the body follows it', () => {
    const head = 'POST /img HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n';
    const steps: Step[] = [up(head), down('HTTP/1.1 100 Continue\r\n\r\n'), up('JPEG'), down(OK('k'))];
    expect(expectSplitInvariant(steps)).toEqual([
      'host h',
      'head #0 POST /img',
      'head #1 100 <-0',
      'end #1',
      'body #0 JPEG',
      'end #0',
      'head #2 200 <-0',
      'body #2 k',
      'end #2',
    ]);
  });

  it('204 and 304 have no body even with Content-Length; 103 Early Hints is interim', () => {
    const res =
      'HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n' +
      'HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n';
    const log = expectSplitInvariant([up(GET + GET), down(res)]);
    expect(log.slice(-6)).toEqual([
      'head #2 103 <-0',
      'end #2',
      'head #3 204 <-0',
      'end #3',
      'head #4 304 <-1',
      'end #4',
    ]);
  });

  it('obs-fold joins continuation lines; empty lines before a request are skipped', () => {
    const events: FlowEvent[] = [];
    const h = new Http1Handler({ flowId: 'f', emit: (e) => events.push(e), report: () => {} });
    h.data('up', utf8('\r\nGET / HTTP/1.1\r\nX-Long: a\r\n  b\r\n\tc\r\nHost: h\r\n\r\n'), 1);
    const head = events.find((e) => e.type === 'message.head');
    expect(head?.type === 'message.head' && head.msg.headers).toEqual([
      ['X-Long', 'a b c'],
      ['Host', 'h'],
    ]);
  });

  it('101 Switching Protocols hands held client bytes and the rest to onUpgrade', () => {
    const seen: string[] = [];
    const inner: StreamHandler = {
      data: (dir, b) => seen.push(`${dir}:${latin1(b)}`),
      gap: (dir, n) => seen.push(`${dir}:gap ${n}`),
      close: () => seen.push('close'),
    };
    let kind = '';
    let next = -1;
    const req = 'GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n';
    const log = run(
      [
        up(`${req}FRAME1`),
        down('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\nSRV'),
        up('F2'),
        ['close'],
      ],
      undefined,
      {
        onUpgrade: (ctx) => {
          kind = ctx.kind;
          next = ctx.nextMsgId;
          return inner;
        },
      },
    );
    expect(log).toEqual(['host h', 'head #0 GET /ws', 'end #0', 'head #1 101 <-0', 'end #1']);
    expect(kind).toBe('websocket');
    expect(next).toBe(2);
    expect(seen).toEqual(['up:FRAME1', 'down:SRV', 'up:F2', 'close']);
  });

  it('an Upgrade never answered: held client bytes are parsed as HTTP past the hold bound, or at close', () => {
    const req = 'GET /ws HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n';
    const expected = ['head #0 GET /ws', 'end #0', 'host api.toy-cloud.example', 'head #1 GET /a', 'end #1'];
    expect(expectSplitInvariant([up(req + GET), ['close']])).toEqual(expected);
    const opts = { limits: resolveLimits({ MAX_HTTP_UPGRADE_HOLD_BYTES: 10 }) };
    expect(expectSplitInvariant([up(req + GET)], opts)).toEqual(expected);
  });

  it('a gap while the client is held reaches the upgrade handler in order', () => {
    const o = new OpaqueStream();
    const req = 'GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n';
    const steps: Step[] = [up(`${req}ab`), ['gap', 'up', 5], up('cd'), down('HTTP/1.1 101 OK\r\n\r\nxyz')];
    expect(run(steps, undefined, { onUpgrade: () => o })).toEqual([
      'head #0 GET /ws',
      'end #0',
      'head #1 101 <-0',
      'end #1',
    ]);
    expect(o.bytes).toEqual({ up: 4, down: 3 });
    expect(o.missing).toEqual({ up: 5, down: 0 });
  });

  it('a response with no request seen has no requestId', () => {
    expect(run([down(OK('x'))])).toEqual(['head #0 200 <-?', 'body #0 x', 'end #0']);
  });

  it('CONNECT 200 without onUpgrade: the tunnel is opaque', () => {
    const log = run([
      up('CONNECT api.example:443 HTTP/1.1\r\n\r\n\x16\x03\x01'),
      down('HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03'),
      up('GET / HTTP/1.1\r\n\r\n'),
      ['close'],
    ]);
    expect(log).toEqual(['host api.example', 'head #0 CONNECT api.example:443', 'end #0', 'head #1 200 <-0', 'end #1']);
  });

  it('an Upgrade request refused: held bytes are parsed as the next request', () => {
    const req = 'GET /ws HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n';
    const log = expectSplitInvariant([up(req + GET), down(OK('no')), down(OK('x'))]);
    expect(log).toEqual([
      'head #0 GET /ws',
      'end #0',
      'head #1 200 <-0',
      'host api.toy-cloud.example',
      'head #2 GET /a',
      'end #2',
      'body #1 no',
      'end #1',
      'head #3 200 <-2',
      'body #3 x',
      'end #3',
    ]);
  });

  it('a gap inside a Content-Length body is a message.gap and the body goes on', () => {
    const head = 'POST /p HTTP/1.1\r\nContent-Length: 10\r\n\r\n';
    expect(expectSplitInvariant([up(`${head}abc`), ['gap', 'up', 4], up(`hij${GET}`)])).toEqual([
      'head #0 POST /p',
      'body #0 abc',
      'gap #0 4',
      'body #0 hij',
      'end #0',
      'host api.toy-cloud.example',
      'head #1 GET /a',
      'end #1',
    ]);
  });

  it('a gap inside chunk data keeps the chunk framing', () => {
    const head = 'POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nab';
    expect(run([up(head), ['gap', 'up', 3], up('fgh\r\n1\r\nZ\r\n0\r\n\r\n')])).toEqual([
      'head #0 POST /p',
      'body #0 ab',
      'gap #0 3',
      'body #0 fghZ',
      'end #0',
    ]);
  });

  it('a gap running past the body end loses the next head: violation, then resync at a request line', () => {
    const head = 'POST /p HTTP/1.1\r\nContent-Length: 3\r\n\r\nab';
    const steps: Step[] = [up(head), ['gap', 'up', 20], up(`ost: x\r\n\r\nbody GET junk\r\n${GET}`)];
    expect(expectSplitInvariant(steps)).toEqual([
      'head #0 POST /p',
      'body #0 ab',
      'gap #0 1',
      'end #0',
      'violation gap-in-head',
      'host api.toy-cloud.example',
      'head #1 GET /a',
      'end #1',
    ]);
  });

  it('a gap inside a response head: resync at the next status line', () => {
    const steps: Step[] = [
      up(GET + GET),
      down('HTTP/1.1 200 OK\r\nCont'),
      ['gap', 'down', 50],
      down(`xx\r\n${OK('b')}`),
    ];
    expect(expectSplitInvariant(steps).slice(-4)).toEqual([
      'violation gap-in-head',
      'head #2 200 <-0',
      'body #2 b',
      'end #2',
    ]);
  });

  it('a connection seen mid-stream starts by looking for a start line', () => {
    const log = expectSplitInvariant([up(`tail of a body\r\n${GET}`), down(`dy\r\n${OK('x')}`)], { midStream: true });
    expect(log).toEqual([
      'host api.toy-cloud.example',
      'head #0 GET /a',
      'end #0',
      'head #1 200 <-0',
      'body #1 x',
      'end #1',
    ]);
  });

  it('bytes that are not HTTP: not-http, the rest of that direction is opaque', () => {
    expect(expectSplitInvariant([up('\x16\x03\x01\x02\x00\x01\x00\x01\xfcGET / HTTP/1.1\r\n\r\n')])).toEqual([
      'violation not-http',
    ]);
    expect(expectSplitInvariant([up(GET), down('SSH-2.0-OpenSSH\r\n')])).toEqual([
      'host api.toy-cloud.example',
      'head #0 GET /a',
      'end #0',
      'violation not-http',
    ]);
  });

  it('a malformed head is a violation, then resync', () => {
    expect(expectSplitInvariant([up(`GET / HTTP/1.1\r\nno colon here\r\n\r\n${GET}`)])).toEqual([
      'violation bad-head',
      'host api.toy-cloud.example',
      'head #0 GET /a',
      'end #0',
    ]);
  });

  it('a head over MAX_HTTP_HEADER_BYTES: header-too-large, opaque', () => {
    const big = `GET / HTTP/1.1\r\nX: ${'a'.repeat(200)}\r\n\r\n`;
    const opts = { limits: resolveLimits({ MAX_HTTP_HEADER_BYTES: 100 }) };
    expect(expectSplitInvariant([up(big)], opts)).toEqual(['violation header-too-large']);
    expect(DEFAULT_LIMITS.MAX_HTTP_HEADER_BYTES).toBe(64 * 1024);
    expect(expectSplitInvariant([up(big)])).toContain('head #0 GET /');
  });

  it('announces no host from an IP literal Host (the flow keeps what DNS named it)', () => {
    expect(run([up('GET / HTTP/1.1\r\nHost: 127.0.0.28:18124\r\n\r\n')])).toEqual(['head #0 GET /', 'end #0']);
    expect(run([up('GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n')])).toEqual(['head #0 GET /', 'end #0']);
  });

  it('bad Content-Length and bad chunk sizes are violations', () => {
    expect(run([up('POST / HTTP/1.1\r\nContent-Length: 5x\r\n\r\nhello')])).toEqual([
      'head #0 POST /',
      'violation anomaly-cl-invalid #0',
      'end #0',
    ]);
    expect(run([up(`POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n${GET}`)])).toEqual([
      'head #0 POST /',
      'violation bad-chunk-size #0',
      'end #0',
      'host api.toy-cloud.example',
      'head #1 GET /a',
      'end #1',
    ]);
  });

  it('close in the middle of a body: truncated-body, the message still ends', () => {
    expect(run([up('POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nabc'), ['close']])).toEqual([
      'head #0 POST /',
      'body #0 abc',
      'violation truncated-body #0',
      'end #0',
    ]);
  });

  it('OpaqueStream counts bytes and gaps per direction', () => {
    const o = new OpaqueStream();
    o.data('up', utf8('abc'));
    o.data('down', utf8('de'));
    o.gap('up', 7);
    expect(o.bytes).toEqual({ up: 3, down: 2 });
    expect(o.missing).toEqual({ up: 7, down: 0 });
  });
});

describe('Http1Handler: properties', () => {
  const exchange: Step[] = [
    up(`POST /v1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n${GET}`),
    down(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n${OK('second')}`),
  ];

  it('random splits of every step give the same log', () => {
    const whole = run(exchange);
    fc.assert(
      fc.property(fc.array(fc.nat(200), { maxLength: 12 }), fc.array(fc.nat(200), { maxLength: 12 }), (a, b) => {
        expect(run(exchange, (bytes, i) => splitAt(bytes, i === 0 ? a : b))).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('mutated and random bytes never throw and keep events well-formed', () => {
    const base = utf8(`${(exchange[0] as [StreamDir, string])[1]}`);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.array(fc.nat(base.length), { maxLength: 6 }),
        fc.nat(30),
        (mutations, noise, cuts, gapLen) => {
          const bytes = base.slice();
          for (const [at, v] of mutations) bytes[at] = v;
          const events: FlowEvent[] = [];
          const codes: string[] = [];
          const h = new Http1Handler({ flowId: 'f', emit: (e) => events.push(e), report: (v) => codes.push(v.code) });
          for (const part of splitAt(bytes, cuts)) h.data('up', part, 1);
          h.gap('up', gapLen, 2);
          h.data('up', noise, 3);
          h.data('down', noise, 3);
          h.close(4, 'fin');
          expect(codes).not.toContain('internal-error');
          const open = new Set<number>();
          for (const e of events) {
            if (e.type === 'message.head') open.add(e.msg.msgId);
            else if (e.type === 'message.chunk' || e.type === 'message.gap') expect(open.has(e.msgId)).toBe(true);
            else if (e.type === 'message.end') expect(open.delete(e.msgId)).toBe(true);
          }
          expect(open.size).toBe(0);
        },
      ),
      { numRuns: 500 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { bodyFraming, headAnomalies } from '../../src/streams/http1-framing.ts';
import {
  findStartLine,
  hasToken,
  headerList,
  type ParsedHead,
  parseHead,
  requestLinePrefix,
  startLinePrefix,
} from '../../src/streams/http1-head.ts';
import { utf8 } from '../helpers/splits.ts';

const req = (s: string) => parseHead('request', utf8(s)) as ParsedHead;
const res = (s: string) => parseHead('response', utf8(s)) as ParsedHead;

describe('startLinePrefix', () => {
  it.each([
    ['request', 'G', 'more'],
    ['request', 'GET', 'more'],
    ['request', 'GET ', 'ok'],
    ['request', 'M-SEARCH * HTTP/1.1', 'ok'],
    ['request', ' GET', 'bad'],
    ['request', 'GET\r\n', 'bad'],
    ['request', '\x16\x03\x01', 'bad'],
    ['request', 'A'.repeat(30), 'bad'],
    ['response', 'HTT', 'more'],
    ['response', 'HTTP/', 'ok'],
    ['response', 'HTTX', 'bad'],
    ['response', 'SSH-2.0', 'bad'],
  ] as const)('%s %j → %s', (kind, text, verdict) => {
    expect(startLinePrefix(kind, utf8(text))).toBe(verdict);
  });
});

describe('requestLinePrefix', () => {
  it.each([
    ['G', 'more'],
    ['GET /', 'more'],
    ['GET / HTTP/1.1\r', 'more'],
    ['GET / HTTP/1.1\r\n', 'ok'],
    ['GET /a?b HTTP/1.0\n', 'ok'],
    ['M-SEARCH * HTTP/1.1\r\nHOST: x', 'ok'],
    ['hello world', 'more'],
    // Other protocols that start with a word and a space: relayed as they are, not answered 400.
    ['HELO mail.example\r\n', 'bad'],
    ['hello world again', 'bad'],
    ['GET  / HTTP/1.1\r\n', 'bad'],
    ['GET / HTTP/1.x\r\n', 'bad'],
    ['GET / HTTP/1.1 \r\n', 'bad'],
    ['GET / HTTP/1.1\rX', 'bad'],
    ['\x16\x03\x01', 'bad'],
  ] as const)('%j → %s', (text, verdict) => {
    expect(requestLinePrefix(utf8(text))).toBe(verdict);
  });
});

describe('parseHead', () => {
  it('request line and headers in wire order, values trimmed, obs-fold joined, LF-only lines accepted', () => {
    expect(req('POST /a?b=1 HTTP/1.1\r\nHost:  h \r\nX-A: 1\r\n  2\nx-a: 3\r\n\r\n')).toEqual({
      kind: 'request',
      method: 'POST',
      url: '/a?b=1',
      version: '1.1',
      headers: [
        ['Host', 'h'],
        ['X-A', '1 2'],
        ['x-a', '3'],
      ],
      anomalies: ['bare-lf', 'obs-fold'],
    });
    expect(req('GET / HTTP/1.1\r\nHost: h\r\n\r\n').anomalies).toEqual([]);
  });

  it('notes every leniency it needed: bare LF, bare CR, whitespace before a colon (name read without it)', () => {
    expect(req('GET / HTTP/1.1\nHost: h\n\n').anomalies).toEqual(['bare-lf']);
    expect(req('GET / HTTP/1.1\r\nX-A: 1\rX-B: 2\r\n\r\n')).toMatchObject({
      headers: [['X-A', '1\rX-B: 2']],
      anomalies: ['bare-cr'],
    });
    expect(req('POST / HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n')).toMatchObject({
      headers: [['Transfer-Encoding', 'chunked']],
      anomalies: ['space-before-colon'],
    });
    // Only SP and HTAB are optional whitespace: a vertical tab stays in the value.
    expect(req('POST / HTTP/1.1\r\nTransfer-Encoding: \x0bchunked\r\n\r\n').headers).toEqual([
      ['Transfer-Encoding', '\x0bchunked'],
    ]);
  });

  it('status line with and without a reason', () => {
    expect(res('HTTP/1.0 404 Not Found\r\n\r\n')).toMatchObject({ status: 404, reason: 'Not Found', version: '1.0' });
    expect(res('HTTP/1.1 200\r\n\r\n')).toMatchObject({ status: 200, reason: '' });
  });

  it.each([
    ['request', 'GET /\r\n\r\n'],
    ['request', 'GET / HTTP/1.1\r\nBad Name: x\r\n\r\n'],
    ['request', 'GET / HTTP/1.1\r\n: empty\r\n\r\n'],
    ['response', 'HTTP/1.1 20 OK\r\n\r\n'],
    ['response', 'HTTP/2 200\r\n\r\n'],
  ] as const)('%s %j is malformed', (kind, text) => {
    expect(parseHead(kind, utf8(text))).toBeUndefined();
  });
});

describe('bodyFraming', () => {
  it.each([
    ['GET / HTTP/1.1\r\n\r\n', false, { kind: 'none' }],
    ['POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\n', false, { kind: 'length', length: 12 }],
    ['POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n', false, { kind: 'none' }],
    ['POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n', false, { kind: 'length', length: 3 }],
    ['POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n', false, { kind: 'length', length: 3 }],
    ['POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n', false, { kind: 'invalid' }],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\nContent-Length: 5\r\n\r\n', false, { kind: 'chunked' }],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n', false, { kind: 'none' }],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n', false, { kind: 'chunked' }],
    [
      'POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\nContent-Length: 5\r\n\r\n',
      false,
      { kind: 'length', length: 5 },
    ],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n', false, { kind: 'chunked' }],
  ] as const)('request %j → %j', (text, bodiless, framing) => {
    expect(bodyFraming(req(text), bodiless)).toEqual(framing);
  });

  it.each([
    ['HTTP/1.1 200 OK\r\n\r\n', false, { kind: 'close' }],
    ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', true, { kind: 'none' }],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n', false, { kind: 'close' }],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', false, { kind: 'chunked' }],
  ] as const)('response %j (bodiless %s) → %j', (text, bodiless, framing) => {
    expect(bodyFraming(res(text), bodiless)).toEqual(framing);
  });
});

describe('headAnomalies', () => {
  it.each([
    ['POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n', ['cl-te']],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n', ['te-invalid']],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n', ['te-invalid']],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n', ['te-invalid']],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n', ['te-invalid']],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: \x0bchunked\r\n\r\n', ['te-invalid']],
    ['POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n', ['te-http10']],
    ['POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n', ['cl-conflict']],
    ['POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n', ['cl-duplicate']],
    ['POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\n', ['cl-invalid']],
    ['GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n', ['host-duplicate']],
    ['GET http://a.example/x HTTP/1.1\r\nHost: b.example\r\n\r\n', ['host-ambiguous']],
    ['GET http://A.example:80/x HTTP/1.1\r\nHost: a.example\r\n\r\n', []],
    ['POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n', []],
    ['POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n', []],
  ] as const)('request %j → %j', (text, anomalies) => {
    expect(headAnomalies(req(text))).toEqual(anomalies);
  });

  it("takes a response's close-delimited codings as valid", () => {
    expect(headAnomalies(res('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n'))).toEqual([]);
    expect(headAnomalies(res('HTTP/1.1 200 OK\r\nTransfer-Encoding: foo\r\n\r\n'))).toEqual(['te-invalid']);
  });
});

describe('header helpers', () => {
  it('headerList joins repeated fields; hasToken matches list members case-insensitively', () => {
    const h = req('GET / HTTP/1.1\r\nConnection: keep-alive\r\nconnection: Upgrade\r\n\r\n');
    expect(headerList(h.headers, 'CONNECTION')).toBe('keep-alive, Upgrade');
    expect(hasToken(headerList(h.headers, 'connection'), 'upgrade')).toBe(true);
    expect(hasToken('upgraded', 'upgrade')).toBe(false);
    expect(hasToken(undefined, 'upgrade')).toBe(false);
  });
});

describe('findStartLine', () => {
  it('finds a known method or HTTP/1. at a line start only', () => {
    expect(findStartLine('request', utf8('xx GET / \r\nPOST /a'), false)).toEqual({ found: 11 });
    expect(findStartLine('request', utf8('GET /'), true)).toEqual({ found: 0 });
    expect(findStartLine('request', utf8('GET /'), false)).toBeUndefined();
    expect(findStartLine('request', utf8('FOO /\r\nBAR /'), true)).toBeUndefined();
    expect(findStartLine('response', utf8('tail\nHTTP/1.1 200'), false)).toEqual({ found: 5 });
  });

  it('keeps an undecided candidate at the end of the buffer', () => {
    expect(findStartLine('request', utf8('junk\r\nPO'), false)).toEqual({ keepFrom: 6 });
    expect(findStartLine('response', utf8('junk\nHTTP'), false)).toEqual({ keepFrom: 5 });
    expect(findStartLine('request', utf8('junk\r\nPX'), false)).toBeUndefined();
  });
});

import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundaryOf, type MultipartHandlers, MultipartParser, type PartInfo } from '../../src/decode/multipart.ts';
import { DEFAULT_LIMITS, type Limits, resolveLimits } from '../../src/model/limits.ts';
import { everySplit, oneByteAtATime, splitAt, utf8 } from '../helpers/splits.ts';

const data = new URL('../data/multipart/', import.meta.url);
const curlBody = new Uint8Array(readFileSync(new URL('curl-form.bin', data)));
const curlType = readFileSync(new URL('curl-form.content-type', data), 'utf8').trim();

interface Part {
  info: PartInfo;
  type: string | null;
  data: string;
}

/** Parses `chunks`; returns the parts (data as latin-1), the violation codes, and the call log balance. */
function parse(boundary: string, chunks: Uint8Array[], limits: Limits = DEFAULT_LIMITS) {
  const parts: Part[] = [];
  const codes: string[] = [];
  let open = 0;
  let pieces = 0;
  const handlers: MultipartHandlers = {
    partStart(headers, info) {
      expect(open).toBe(0);
      open++;
      parts.push({ info, type: headers.get('content-type') ?? null, data: '' });
    },
    partData(chunk) {
      expect(open).toBe(1);
      expect(chunk.length).toBeGreaterThan(0);
      pieces++;
      parts.at(-1)!.data += Buffer.from(chunk).toString('latin1');
    },
    partEnd() {
      expect(open).toBe(1);
      open--;
    },
  };
  const p = new MultipartParser(boundary, handlers, limits, (v) => codes.push(v.code));
  for (const c of chunks) p.write(c);
  p.end();
  expect(open).toBe(0);
  return { parts, codes, pieces };
}

function body(
  boundary: string,
  parts: Array<{ headers: string; data: string }>,
  extra = { preamble: '', epilogue: '' },
) {
  const segs = parts.map((p) => `--${boundary}\r\n${p.headers}\r\n${p.data}\r\n`);
  return utf8(`${extra.preamble}${segs.join('')}--${boundary}--${extra.epilogue}`);
}

describe('boundaryOf', () => {
  it.each([
    ['multipart/form-data; boundary=abc', 'abc'],
    ['Multipart/Mixed; BOUNDARY="a b:c"', 'a b:c'],
    ['multipart/related; type="application/json"; boundary=xyz; start=1', 'xyz'],
    [curlType, '------------------------'.concat(curlType.split('boundary=------------------------')[1]!)],
    ['text/plain; boundary=abc', undefined],
    ['multipart/form-data', undefined],
    [undefined, undefined],
  ])('%s → %s', (ct, b) => {
    expect(boundaryOf(ct)).toBe(b);
  });
});

describe('MultipartParser', () => {
  it('parses the body recorded from curl -F at every split offset and one byte at a time', () => {
    const boundary = boundaryOf(curlType)!;
    const blob = Buffer.alloc(1300);
    for (let i = 0; i < 1024; i++) blob[i] = i & 0xff;
    blob.write('\r\n--not-the-boundary\r\n\r\n--', 1024, 'latin1');
    const expected = [
      { info: { name: 'deviceId' }, type: null, data: 'toy-42' },
      {
        info: { name: 'meta', contentType: 'application/json' },
        type: 'application/json',
        data: '{"lang":"zh-CN","child":"Xiaoming"}',
      },
      {
        info: { name: 'audio', filename: 'blob.bin', contentType: 'application/octet-stream' },
        type: 'application/octet-stream',
        data: blob.toString('latin1'),
      },
      {
        info: { name: 'note', filename: '录音-1.txt', contentType: 'text/plain' },
        type: 'text/plain',
        data: 'voice sample placeholder\n',
      },
    ];
    expect(curlBody.length).toBeLessThanOrEqual(4096);
    for (const chunks of [...everySplit(curlBody), oneByteAtATime(curlBody)]) {
      const r = parse(boundary, chunks);
      expect(r.codes).toEqual([]);
      expect(r.parts).toEqual(expected);
    }
  });

  it('parses a body made by FormData + Request', async () => {
    const form = new FormData();
    form.append('name', 'Lily');
    form.append(
      'photo',
      new Blob([new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 13, 10, 45, 45])], { type: 'image/jpeg' }),
      'face.jpg',
    );
    const req = new Request('http://127.0.0.1/', { method: 'POST', body: form });
    const bytes = new Uint8Array(await req.arrayBuffer());
    const r = parse(boundaryOf(req.headers.get('content-type')!)!, oneByteAtATime(bytes));
    expect(r.codes).toEqual([]);
    expect(r.parts.map((p) => p.info)).toEqual([
      { name: 'name' },
      { name: 'photo', filename: 'face.jpg', contentType: 'image/jpeg' },
    ]);
    expect(Buffer.from(r.parts[1]!.data, 'latin1')).toEqual(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 13, 10, 45, 45]));
  });

  it('drops preamble and epilogue, accepts transport padding and headerless parts', () => {
    const b = utf8(
      'preamble --xx not yet\r\n--xx  \t\r\n\r\nno headers\r\n--xx\r\nContent-Type: text/plain\r\n\r\n\r\n--xx--\r\nepilogue --xx',
    );
    for (const chunks of everySplit(b)) {
      const r = parse('xx', chunks);
      expect(r.codes).toEqual([]);
      expect(r.parts).toEqual([
        { info: {}, type: null, data: 'no headers' },
        { info: { contentType: 'text/plain' }, type: 'text/plain', data: '' },
      ]);
    }
  });

  it('forwards part data in pieces as it arrives, not buffered', () => {
    const big = 'a'.repeat(100_000);
    const b = body('B', [{ headers: 'Content-Disposition: form-data; name="f"\r\n', data: big }]);
    const chunks = splitAt(
      b,
      Array.from({ length: 99 }, (_, i) => (i + 1) * 1024),
    );
    const r = parse('B', chunks);
    expect(r.parts[0]!.data).toBe(big);
    expect(r.pieces).toBeGreaterThanOrEqual(97);
  });

  it('holds a delimiter prefix cut at a chunk end as a copy, not a view pinning the chunk`s buffer', () => {
    const b = body('B', [{ headers: '', data: 'abc' }]);
    const cut = b.indexOf(0x0d, 8) + 3; // inside the closing delimiter, `\r\n-` held
    // The first chunk is a view of a large reader buffer (as a replay hands it), overwritten once written.
    const reader = Buffer.alloc(1 << 20);
    reader.set(b.subarray(0, cut));
    const first = reader.subarray(0, cut);
    const parts: string[] = [];
    const p = new MultipartParser(
      'B',
      {
        partStart() {
          parts.push('');
        },
        partData(c) {
          parts.push(`${parts.pop()}${Buffer.from(c).toString('latin1')}`);
        },
        partEnd() {},
      },
      DEFAULT_LIMITS,
      () => {},
    );
    p.write(first);
    reader.fill(0x78);
    p.write(b.subarray(cut));
    p.end();
    expect(parts).toEqual(['abc']);
  });

  it.each([
    ['no close delimiter', '--b\r\n\r\nabc', ['truncated'], ['abc']],
    ['cut inside headers (no part started)', '--b\r\nContent-Type: te', ['truncated'], []],
    ['no delimiter at all', 'just some bytes', ['truncated'], []],
    ['boundary followed by text', '--b\r\n\r\nx\r\n--bc\r\n', ['bad-delimiter'], ['x']],
    ['single dash close', '--b\r\n\r\nx\r\n--b-\r\n', ['bad-delimiter'], ['x']],
    ['header line without colon', '--b\r\nnot a header\r\n\r\nx\r\n--b--', ['bad-part-header'], []],
    ['header name with a space', '--b\r\nContent Type: x\r\n\r\nx\r\n--b--', ['bad-part-header'], []],
    ['header value with a NUL', '--b\r\nX-A: a\0b\r\n\r\nx\r\n--b--', ['bad-part-header'], []],
    ['held delimiter prefix at the end is data', '--b\r\n\r\nabc\r\n--', ['truncated'], ['abc\r\n--']],
  ])('%s', (_name, input, codes, datas) => {
    for (const chunks of [...everySplit(utf8(input)), oneByteAtATime(utf8(input))]) {
      const r = parse('b', chunks);
      expect(r.codes).toEqual(codes);
      expect(r.parts.map((p) => p.data)).toEqual(datas);
    }
  });

  it('gives part headers by lower-case name, repeated fields joined as Headers joins them', () => {
    const r = parse('b', [utf8('--b\r\nCONTENT-TYPE: text/plain\r\ncontent-type: charset=gbk\r\n\r\nx\r\n--b--')]);
    expect(r.codes).toEqual([]);
    expect(r.parts[0]?.type).toBe('text/plain, charset=gbk');
  });

  it('enforces MAX_PARTS and MAX_PART_HEADER_BYTES', () => {
    const many = body(
      'b',
      Array.from({ length: 5 }, () => ({ headers: '', data: 'x' })),
    );
    const r = parse('b', [many], resolveLimits({ MAX_PARTS: 3 }));
    expect(r.codes).toEqual(['too-many-parts']);
    expect(r.parts).toHaveLength(3);
    const fat = body('b', [{ headers: `X-Pad: ${'p'.repeat(300)}\r\n`, data: 'x' }]);
    expect(parse('b', [fat], resolveLimits({ MAX_PART_HEADER_BYTES: 200 })).codes).toEqual(['part-header-too-large']);
  });

  it('a bad boundary stops the parser at once', () => {
    expect(parse('', [utf8('--\r\n\r\nx')]).codes).toEqual(['bad-boundary']);
  });

  it('finds delimiters across random cuts of a large body with near-miss content', () => {
    const boundary = 'q1w2e3';
    const datas = Array.from(
      { length: 30 },
      (_, i) => `\r\n--q1w2eX${i}\r\n--q1w2`.repeat(i % 5) + 'z'.repeat(i * 100),
    );
    const b = body(
      boundary,
      datas.map((data, i) => ({ headers: `Content-Disposition: form-data; name="f${i}"\r\n`, data })),
    );
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 60 }), (cuts) => {
        const r = parse(boundary, splitAt(b, cuts));
        expect(r.codes).toEqual([]);
        expect(r.parts.map((p) => p.data)).toEqual(datas);
      }),
      { numRuns: 200 },
    );
  });

  it('fuzz: random and mutated bodies never throw and do not depend on the cuts', () => {
    const base = curlBody.subarray(0, 700);
    const boundary = boundaryOf(curlType)!;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 400 }),
          fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }).map((m) => {
            const b = Uint8Array.from(base);
            for (const [i, v] of m) b[i] = v;
            return b;
          }),
        ),
        fc.array(fc.nat(), { maxLength: 8 }),
        (bytes, cuts) => {
          const whole = parse(boundary, [bytes]);
          const cut = parse(boundary, splitAt(bytes, cuts));
          expect(cut.parts).toEqual(whole.parts);
          expect(cut.codes).toEqual(whole.codes);
        },
      ),
      { numRuns: 400 },
    );
  });
});

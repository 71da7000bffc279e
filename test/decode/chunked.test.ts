import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkedDecoder } from '../../src/decode/chunked.ts';
import { DEFAULT_LIMITS, resolveLimits } from '../../src/model/limits.ts';
import { everySplit, oneByteAtATime, splitAt, utf8 } from '../helpers/splits.ts';

/** Feeds `chunks` in order; what follows the body is `rest`, and `codes` the failure or anomaly seen. */
function run(chunks: Uint8Array[], limits = DEFAULT_LIMITS) {
  const d = new ChunkedDecoder(limits);
  const body: Uint8Array[] = [];
  const codes: string[] = [];
  const rest: Uint8Array[] = [];
  const events = { data: (p: Uint8Array) => body.push(p.slice()), anomaly: (code: string) => codes.push(code) };
  for (const c of chunks) {
    const end = d.feed(c, 0, events);
    if (d.finished || d.failure) rest.push(c.subarray(end));
  }
  if (d.failure) codes.push(d.failure);
  return {
    body: Buffer.concat(body).toString('latin1'),
    rest: Buffer.concat(rest).toString('latin1'),
    codes,
    finished: d.finished,
    state: d.state,
  };
}

/** Chunked-encodes `parts`, with optional extensions and trailers. */
function encode(parts: string[], opts: { ext?: string; trailers?: string } = {}): string {
  const body = parts.map((p) => `${p.length.toString(16)}${opts.ext ?? ''}\r\n${p}\r\n`).join('');
  return `${body}0${opts.ext ?? ''}\r\n${opts.trailers ?? ''}\r\n`;
}

const cases: Array<[string, string, string, string, string[]]> = [
  // name, input, body, rest (what follows: after the body, or from the byte that failed), codes
  ['simple', encode(['hello', ' world']), 'hello world', '', []],
  ['upper and lower hex', 'A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n', '0123456789abcdefghij', '', []],
  ['leading zeros', '0005\r\nhello\r\n0\r\n\r\n', 'hello', '', []],
  ['extensions', encode(['ab', 'cd'], { ext: ';name=value;x="q;r"' }), 'abcd', '', []],
  ['space before extension', '2 ;x\r\nab\r\n0\r\n\r\n', 'ab', '', []],
  ['space before line end: read, said once', '2 \r\nab\r\n1\t\r\nc\r\n0\r\n\r\n', 'abc', '', ['chunk-size-space']],
  ['bare LF line ends, as lenient servers read them', '2\nab\n0\n\n', 'ab', '', []],
  ['trailers', encode(['data'], { trailers: 'X-Checksum: 42\r\nX-Other: y\r\n' }), 'data', '', []],
  ['pipelined next message', `${encode(['abc'])}GET / HTTP/1.1\r\n\r\n`, 'abc', 'GET / HTTP/1.1\r\n\r\n', []],
  ['binary data with CRLF inside', '6\r\n\r\n\r\n\r\n\r\n0\r\n\r\n', '\r\n\r\n\r\n', '', []],
  ['empty body', '0\r\n\r\n', '', '', []],
  ['size not hex', 'zz\r\nab\r\n0\r\n\r\n', '', 'zz\r\nab\r\n0\r\n\r\n', ['bad-chunk-size']],
  ['no size', '\r\nab\r\n', '', '\r\nab\r\n', ['bad-chunk-size']],
  ['size too large', 'fffffffffffffffff\r\n', '', 'ffff\r\n', ['bad-chunk-size']],
  ['word after the size', '2 x\r\nab\r\n', '', 'x\r\nab\r\n', ['bad-chunk-size']],
  ['CR inside the size line', '2\rx\nab', '', 'x\nab', ['bad-chunk-size']],
  ['data longer than size', '2\r\nabc\r\n0\r\n\r\n', 'ab', 'c\r\n0\r\n\r\n', ['bad-chunk-end']],
  ['CR then not LF after the final empty line is a trailer', '0\r\n\rX\r\n\r\n', '', '', []],
  ['truncated in data', '5\r\nhel', 'hel', '', []],
];
describe('ChunkedDecoder', () => {
  it.each(cases)('%s: same result at every split offset and byte by byte', (name, input, body, rest, codes) => {
    const bytes = utf8(input);
    for (const chunks of [...everySplit(bytes), oneByteAtATime(bytes)]) {
      const r = run(chunks);
      expect(r.body).toBe(body);
      expect(r.rest).toBe(rest);
      expect(r.codes).toEqual(codes);
      expect(r.finished).toBe(!codes.some((c) => c.startsWith('bad-')) && !name.startsWith('truncated'));
    }
  });

  it('forwards chunk data as views of the input, without copying', () => {
    const input = utf8(encode(['x'.repeat(1000)]));
    const d = new ChunkedDecoder(DEFAULT_LIMITS);
    const seen: Uint8Array[] = [];
    d.feed(input, 0, { data: (c) => seen.push(c) });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.buffer).toBe(input.buffer);
  });

  it('bounds size lines (with extensions) and trailer lines', () => {
    const limits = resolveLimits({ MAX_HTTP_CHUNK_LINE_BYTES: 100, MAX_HTTP_HEADER_BYTES: 100 });
    expect(run([utf8(encode(['a'], { trailers: `X: ${'y'.repeat(200)}\r\n` }))], limits).codes).toEqual([
      'chunk-line-too-long',
    ]);
    expect(run([utf8(encode(['a'], { ext: `;${'e'.repeat(200)}` }))], limits).codes).toEqual(['chunk-line-too-long']);
    expect(run([utf8(encode(['a'], { trailers: `X: ${'y'.repeat(90)}\r\n`.repeat(5) }))], limits).codes).toEqual([]);
  });

  it('absorbs a gap inside chunk data, and fails on one in the framing', () => {
    const d = new ChunkedDecoder(DEFAULT_LIMITS);
    const none = { data() {} };
    expect(d.feed(utf8('a\r\n0123'), 0, none)).toBe(7);
    expect(d.gap(100)).toBe(6);
    expect(d.state).toBe('data-end');
    expect(d.feed(utf8('\r\n0\r\n\r\n'), 0, none)).toBe(7);
    expect(d.finished).toBe(true);
    d.reset();
    expect(d.feed(utf8('a'), 0, none)).toBe(1);
    expect(d.gap(3)).toBe(0);
    expect(d.failure).toBe('gap-in-chunked');
  });

  it('decodes large bodies cut at random points', () => {
    const parts = Array.from({ length: 50 }, (_, i) => String.fromCharCode(65 + (i % 26)).repeat(i * 37 + 1));
    const bytes = utf8(`${encode(parts, { ext: ';a=b' })}NEXT`);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), (cuts) => {
        const r = run(splitAt(bytes, cuts));
        expect(r.codes).toEqual([]);
        expect(r.body).toBe(parts.join(''));
        expect(r.rest).toBe('NEXT');
      }),
    );
  });

  it('fuzz: random and mutated input never throws', () => {
    const base = utf8(encode(['hello', 'world!'], { ext: ';x=1', trailers: 'A: b\r\n' }));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 500 }),
          fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }).map((m) => {
            const b = Uint8Array.from(base);
            for (const [i, v] of m) b[i] = v;
            return b;
          }),
        ),
        fc.array(fc.nat(), { maxLength: 6 }),
        (bytes, cuts) => {
          const whole = run([bytes]);
          const cut = run(splitAt(bytes, cuts));
          expect(cut).toEqual(whole);
          expect(whole.codes.length).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 500 },
    );
  });
});

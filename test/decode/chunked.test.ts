import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkedDecoder } from '../../src/decode/chunked.ts';
import { DEFAULT_LIMITS, resolveLimits } from '../../src/model/limits.ts';
import type { ViolationInput } from '../../src/model/violation.ts';
import { everySplit, oneByteAtATime, splitAt, utf8 } from '../helpers/splits.ts';
import { collect } from './sink.ts';

function run(chunks: Uint8Array[], limits = DEFAULT_LIMITS) {
  const violations: ViolationInput[] = [];
  const d = new ChunkedDecoder(limits, (v) => violations.push(v));
  const out = collect();
  const rest: Uint8Array[] = [];
  for (const c of chunks) {
    d.write(c, out);
    if (d.finished) rest.push(d.takeRest());
  }
  d.end(out);
  return {
    body: Buffer.from(out.bytes()).toString('latin1'),
    rest: Buffer.concat(rest).toString('latin1'),
    codes: violations.map((v) => v.code),
    finished: d.finished,
    state: d.state,
    ended: out.ended,
  };
}

/** Chunked-encodes `parts`, with optional extensions and trailers. */
function encode(parts: string[], opts: { ext?: string; trailers?: string } = {}): string {
  const body = parts.map((p) => `${p.length.toString(16)}${opts.ext ?? ''}\r\n${p}\r\n`).join('');
  return `${body}0${opts.ext ?? ''}\r\n${opts.trailers ?? ''}\r\n`;
}

const cases: Array<[string, string, string, string, string[]]> = [
  // name, input, body, rest, codes
  ['simple', encode(['hello', ' world']), 'hello world', '', []],
  ['upper and lower hex', 'A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n', '0123456789abcdefghij', '', []],
  ['leading zeros', '0005\r\nhello\r\n0\r\n\r\n', 'hello', '', []],
  ['extensions', encode(['ab', 'cd'], { ext: ';name=value;x="q;r"' }), 'abcd', '', []],
  ['space before extension', '2 ;x\r\nab\r\n0\r\n\r\n', 'ab', '', []],
  ['trailers', encode(['data'], { trailers: 'X-Checksum: 42\r\nX-Other: y\r\n' }), 'data', '', []],
  ['pipelined next message', `${encode(['abc'])}GET / HTTP/1.1\r\n\r\n`, 'abc', 'GET / HTTP/1.1\r\n\r\n', []],
  ['binary data with CRLF inside', '6\r\n\r\n\r\n\r\n\r\n0\r\n\r\n', '\r\n\r\n\r\n', '', []],
  ['empty body', '0\r\n\r\n', '', '', []],
  ['size not hex', 'zz\r\nab\r\n0\r\n\r\n', '', '', ['bad-chunk-size']],
  ['no size', '\r\nab\r\n0\r\n\r\n', '', '', ['bad-chunk-size']],
  ['size too large', 'fffffffffffffffff\r\n', '', '', ['bad-chunk-size']],
  ['bare LF after size', '2\nab\r\n0\r\n\r\n', '', '', ['bad-chunk-size']],
  ['data longer than size', '2\r\nabc\r\n0\r\n\r\n', 'ab', '', ['bad-chunk-crlf']],
  ['bad final line', '0\r\n\rX', '', '', ['bad-chunk-crlf']],
  ['truncated in data', '5\r\nhel', 'hel', '', ['truncated']],
  ['truncated without last chunk', '5\r\nhello\r\n', 'hello', '', ['truncated']],
  ['truncated in trailers', '0\r\nX-A: b\r\n', '', '', ['truncated']],
];

describe('ChunkedDecoder', () => {
  it.each(cases)('%s: same result at every split offset and byte by byte', (_name, input, body, rest, codes) => {
    const bytes = utf8(input);
    for (const chunks of [...everySplit(bytes), oneByteAtATime(bytes)]) {
      const r = run(chunks);
      expect(r.body).toBe(body);
      expect(r.rest).toBe(rest);
      expect(r.codes).toEqual(codes);
      expect(r.finished).toBe(codes.length === 0);
      expect(r.ended).toBe(1);
    }
  });

  it('forwards chunk data as views of the input, without copying', () => {
    const input = utf8(encode(['x'.repeat(1000)]));
    const d = new ChunkedDecoder(DEFAULT_LIMITS, () => {});
    const seen: Uint8Array[] = [];
    d.write(input, { write: (c) => seen.push(c), end() {} });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.buffer).toBe(input.buffer);
  });

  it('bounds extensions and trailers', () => {
    const limits = resolveLimits({ MAX_PART_HEADER_BYTES: 100 });
    expect(run([utf8(encode(['a'], { trailers: `X: ${'y'.repeat(200)}\r\n` }))], limits).codes).toEqual([
      'chunk-metadata-too-large',
    ]);
    expect(run([utf8(encode(['a'], { ext: `;${'e'.repeat(200)}` }))], limits).codes).toEqual([
      'chunk-metadata-too-large',
    ]);
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

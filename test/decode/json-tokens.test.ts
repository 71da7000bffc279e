import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TokenGate } from '../../src/decode/filter.ts';
import { JsonTokenizer } from '../../src/decode/json-tokens.ts';
import { ContainerIds } from '../../src/decode/token-text.ts';
import { type Limits, resolveLimits } from '../../src/model/limits.ts';
import type { Token } from '../../src/model/token.ts';
import type { ViolationInput } from '../../src/model/violation.ts';
import { everySplit, oneByteAtATime, splitAt, utf8 } from '../helpers/splits.ts';

interface Run {
  tokens: Token[];
  violations: ViolationInput[];
}

function run(
  chunks: Uint8Array[],
  limits: Partial<Limits> = {},
  extra: { depth?: number; pathPrefix?: string; gate?: TokenGate; ids?: ContainerIds } = {},
) {
  const out: Run = { tokens: [], violations: [] };
  const t = new JsonTokenizer((tok) => out.tokens.push(tok), {
    limits: resolveLimits(limits),
    report: (v) => out.violations.push(v),
    ...extra,
  });
  for (const c of chunks) t.write(c);
  t.end();
  return out;
}

/** [path, key, kind, value] per token. */
const brief = (r: Run) => r.tokens.map((t) => [t.path, t.key, t.kind, t.value]);

/** Pieces of each string merged back: [path, key, kind, value]. */
function merged(tokens: Token[]): Array<[string, string, string, string]> {
  const out: Array<[string, string, string, string]> = [];
  let pending = '';
  for (const t of tokens) {
    expect(t.offset).toBe(pending.length);
    pending += t.value;
    if (t.more) continue;
    out.push([t.path, t.key, t.kind, pending]);
    pending = '';
  }
  expect(pending).toBe('');
  return out;
}

const CASES: Array<[string, unknown[][]]> = [
  [
    '{"a":{"b":[1,2,{"c":"x"}]},"d":true,"e":null,"f":false}',
    [
      ['$.a.b[0]', '', 'number', '1'],
      ['$.a.b[1]', '', 'number', '2'],
      ['$.a.b[2].c', 'c', 'string', 'x'],
      ['$.d', 'd', 'boolean', 'true'],
      ['$.e', 'e', 'null', 'null'],
      ['$.f', 'f', 'boolean', 'false'],
    ],
  ],
  [
    '{"imei":862012345678901,"n":-0.5e+10,"z":0,"big":1E400}',
    [
      ['$.imei', 'imei', 'number', '862012345678901'],
      ['$.n', 'n', 'number', '-0.5e+10'],
      ['$.z', 'z', 'number', '0'],
      ['$.big', 'big', 'number', '1E400'],
    ],
  ],
  [
    '{"a.b":1,"":2,"x y":3,"user-id":4,"$id":5,"名字":6,"a>b":7}',
    [
      ['$["a.b"]', 'a.b', 'number', '1'],
      ['$[""]', '', 'number', '2'],
      ['$["x y"]', 'x y', 'number', '3'],
      ['$.user-id', 'user-id', 'number', '4'],
      ['$.$id', '$id', 'number', '5'],
      ['$.名字', '名字', 'number', '6'],
      ['$["a>b"]', 'a>b', 'number', '7'],
    ],
  ],
  [
    '"esc \\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00 \\ud800 end"',
    [['$', '', 'string', 'esc " \\ / \b \f \n \r \t é 😀 \ud800 end']],
  ],
  ['"你好, мир, 😀"', [['$', '', 'string', '你好, мир, 😀']]],
  [
    ' \n1 2\t"x"\r\n{"a":[]}[]{}[[]]{"b":{}} true ',
    [
      ['$', '', 'number', '1'],
      ['$', '', 'number', '2'],
      ['$', '', 'string', 'x'],
      ['$', '', 'boolean', 'true'],
    ],
  ],
  [
    '{"a":1}\n{"a":2}\n',
    [
      ['$.a', 'a', 'number', '1'],
      ['$.a', 'a', 'number', '2'],
    ],
  ],
  [
    '[[1,[2]],{"k":[null]}]',
    [
      ['$[0][0]', '', 'number', '1'],
      ['$[0][1][0]', '', 'number', '2'],
      ['$[1].k[0]', '', 'null', 'null'],
    ],
  ],
];

describe('JsonTokenizer: tables', () => {
  it.each(CASES)('%s', (input, expected) => {
    const r = run([utf8(input)]);
    expect(r.violations).toEqual([]);
    expect(brief(r)).toEqual(expected);
    for (const t of r.tokens) expect([t.source, t.offset, t.more, t.depth]).toEqual(['json', 0, false, 0]);
  });

  it('gives the same tokens and violations at every split and one byte at a time', () => {
    const inputs = [...CASES.map(([i]) => i), ...BAD.map(([i]) => i)];
    for (const input of inputs) {
      const bytes = utf8(input);
      const whole = run([bytes]);
      for (const chunks of everySplit(bytes)) expect(run(chunks)).toEqual(whole);
      expect(run(oneByteAtATime(bytes))).toEqual(whole);
    }
  });

  it('puts depth, the path prefix and the parent path on every token (the path made when read)', () => {
    const r = run([utf8('{"lat":31.2}')], {}, { depth: 2, pathPrefix: '$.payload>' });
    expect(r.tokens.map((t) => ({ ...t, path: t.path }))).toEqual([
      {
        source: 'json',
        path: '$.payload>$.lat',
        parent: '$.payload>$',
        container: 1,
        outer: 1,
        key: 'lat',
        kind: 'number',
        value: '31.2',
        offset: 0,
        more: false,
        depth: 2,
      },
    ]);
  });

  it('gives each value the path of its container, the same string for every member', () => {
    const doc = '{"a":{"x":1,"y":[2,{"z":3}]},"b":"top"}';
    const r = run([utf8(doc)]);
    expect(r.tokens.map((t) => [t.path, t.parent])).toEqual([
      ['$.a.x', '$.a'],
      ['$.a.y[0]', '$.a.y'],
      ['$.a.y[1].z', '$.a.y[1]'],
      ['$.b', '$'],
    ]);
    expect(run([utf8('"alone"')]).tokens[0]?.parent).toBe('$');
    const many = run([utf8(`[${'{"k":1,"v":2},'.repeat(80)}{"k":1,"v":2}]`)]).tokens;
    // Past the path cache's width (64 elements) the paths are new strings; members still share their parent.
    expect(Object.is(many[150]?.parent, many[151]?.parent)).toBe(true);
    expect(many[151]).toMatchObject({ path: '$[75].v', parent: '$[75]' });
  });

  it('numbers each container when it opens: two containers on one path (NDJSON lines, a key given twice) differ', () => {
    const ids = (doc: string, extra = {}) =>
      run([utf8(doc)], {}, extra).tokens.map((t) => [t.path, t.container, t.outer]);
    // The tokenizer's own number (0) holds top-level scalars; each `{` or `[` takes the next one.
    expect(ids('{"a":{"x":1,"y":[2,{"z":3}]},"b":"top"}')).toEqual([
      ['$.a.x', 2, 1],
      ['$.a.y[0]', 3, 2],
      ['$.a.y[1].z', 4, 3],
      ['$.b', 1, 1],
    ]);
    expect(ids('"alone" 7')).toEqual([
      ['$', 0, 0],
      ['$', 0, 0],
    ]);
    expect(ids('{"x":1}\n{"x":2}')).toEqual([
      ['$.x', 1, 1],
      ['$.x', 2, 2],
    ]);
    expect(ids('{"w":{"a":1},"w":{"b":2}}')).toEqual([
      ['$.w.a', 2, 1],
      ['$.w.b', 3, 1],
    ]);
    // Tokenizers sharing a message's numbers never give two containers one number.
    const shared = new ContainerIds();
    const first = ids('{"x":1}', { ids: shared });
    expect(ids('{"x":1}', { ids: shared })).toEqual([['$.x', 3, 3]]);
    expect(first).toEqual([['$.x', 1, 1]]);
  });

  it('gives the same container numbers at every split', () => {
    const doc = utf8('{"a":[{"ssid":"x","p":"y"},{"ssid":"\u00e9","p":[1,2]}],"b":{}}\n[[],{"c":true}]');
    const whole = run([doc]).tokens.map((t) => [t.container, t.outer]);
    for (const chunks of everySplit(doc)) expect(run(chunks).tokens.map((t) => [t.container, t.outer])).toEqual(whole);
  });

  it("gives its gate a scalar's whole literal length, at any split", () => {
    const doc = '{"lat":31.23047,"n":-1.5e3,"b":false,"a":[120]}';
    for (const chunks of everySplit(utf8(doc))) {
      const asked: string[] = [];
      const gate: TokenGate = {
        scalar: (key, kind, length) => asked.push(`${key}:${kind}:${length}`) < 0,
        ascii: () => false,
        text: () => false,
      };
      expect(run(chunks, {}, { gate })).toEqual({ tokens: [], violations: [] });
      expect(asked).toEqual(['lat:number:8', 'n:number:6', 'b:boolean:5', ':number:3']);
    }
  });

  it('makes no token its gate refuses, at any split, and asks only about whole scalars', () => {
    const doc = '{"ts":1,"id":"TOY-1","ok":true,"n":null,"imei":"862012345678901","a":[7,"x"],"t":"é\\n","k":{"v":2}}';
    const asked: string[] = [];
    const gate: TokenGate = {
      scalar(key, kind, length) {
        asked.push(`${key}:${kind}:${length}`);
        return key === 'n' || key === '';
      },
      ascii(key, buf, start, end) {
        asked.push(`${key}=${Buffer.from(buf.subarray(start, end)).toString()}`);
        return key === 'imei';
      },
      text(key, value) {
        asked.push(`${key}=${value}`);
        return key === 'imei';
      },
    };
    const whole = brief(run([utf8(doc)], {}, { gate }));
    expect(whole).toEqual([
      ['$.n', 'n', 'null', 'null'],
      ['$.imei', 'imei', 'string', '862012345678901'],
      ['$.a[0]', '', 'number', '7'],
      ['$.t', 't', 'string', 'é\n'], // not plain ASCII: made without asking
    ]);
    expect(asked).toEqual([
      'ts:number:1',
      'id=TOY-1',
      'ok:boolean:4',
      'n:null:4',
      'imei=862012345678901',
      ':number:1',
      '=x',
      'v:number:1',
    ]);
    for (const chunks of everySplit(utf8(doc))) {
      const r = brief(run(chunks, {}, { gate }));
      // A string cut by a chunk end is made in pieces without asking; every other token is as in one chunk.
      expect(r.filter((t) => t[1] !== 'id' && t[1] !== 'imei' && t[3] !== 'x')).toEqual(
        whole.filter((t) => t[1] !== 'imei'),
      );
    }
  });

  it('skips a UTF-8 byte order mark at the start only', () => {
    const withBom = Uint8Array.from([0xef, 0xbb, 0xbf, ...utf8('{"a":1}')]);
    for (const chunks of everySplit(withBom)) expect(brief(run(chunks))).toEqual([['$.a', 'a', 'number', '1']]);
    const late = run([Uint8Array.from([...utf8('1 '), 0xef, 0xbb, 0xbf])]);
    expect(late.violations.map((v) => [v.code, v.offset])).toEqual([['unexpected-byte', 2]]);
    const partial = run([Uint8Array.from([0xef, 0xbb, ...utf8('{}')])]);
    expect(partial.violations.map((v) => [v.code, v.offset])).toEqual([['unexpected-byte', 2]]);
  });

  it('cuts keys at MAX_KEY_BYTES', () => {
    expect(brief(run([utf8('{"abcdefgh":1,"ab":2}')], { MAX_KEY_BYTES: 4 }))).toEqual([
      ['$.abcd', 'abcd', 'number', '1'],
      ['$.ab', 'ab', 'number', '2'],
    ]);
  });
});

const BAD: Array<[string, ViolationInput['code'], number, number]> = [
  // input, code, offset, tokens before the error
  ['{"a":01}', 'unexpected-byte', 6, 0],
  ['{"a":1,}', 'unexpected-byte', 7, 1],
  ['[1,]', 'unexpected-byte', 3, 1],
  ['{"a" 1}', 'unexpected-byte', 5, 0],
  ['{a:1}', 'unexpected-byte', 1, 0],
  ['[1 2]', 'unexpected-byte', 3, 1],
  ['"a\\x"', 'unexpected-byte', 3, 0],
  ['"\\u12G4"', 'unexpected-byte', 5, 0],
  ['"tab\there"', 'unexpected-byte', 4, 0],
  ['[-]', 'unexpected-byte', 2, 0],
  ['[1.]', 'unexpected-byte', 3, 0],
  ['[1e]', 'unexpected-byte', 3, 0],
  ['[tru]', 'unexpected-byte', 4, 0],
  ['}', 'unexpected-byte', 0, 0],
  ['[1,2', 'truncated', 4, 1],
  ['{"a":"xy', 'truncated', 8, 0],
  ['{"a"', 'truncated', 4, 0],
  ['"\\ud83d', 'truncated', 7, 0],
  ['nul', 'truncated', 3, 0],
  ['[[[[1]]]]', 'too-deep', 3, 0],
];

describe('JsonTokenizer: malformed input', () => {
  it.each(BAD)('%s → %s at %i', (input, code, offset, before) => {
    const r = run([utf8(input)], { MAX_JSON_DEPTH: 3 });
    expect(r.violations.map((v) => [v.decoder, v.code, v.offset])).toEqual([['json', code, offset]]);
    expect(r.tokens).toHaveLength(before);
  });

  it('stops at the first violation and ignores what follows', () => {
    const r = run([utf8('[1,}'), utf8('[2]')]);
    expect(brief(r)).toEqual([['$[0]', '', 'number', '1']]);
    expect(r.violations).toHaveLength(1);
  });

  it('refuses numbers longer than MAX_TOKEN_BYTES, reported where they start', () => {
    const input = utf8('[1, 123456789]');
    for (const chunks of everySplit(input)) {
      const r = run(chunks, { MAX_TOKEN_BYTES: 8 });
      expect(r.violations.map((v) => [v.code, v.offset])).toEqual([['number-too-long', 4]]);
      expect(brief(r)).toEqual([['$[0]', '', 'number', '1']]);
    }
  });

  it('accepts MAX_JSON_DEPTH levels exactly', () => {
    expect(brief(run([utf8('[[[1]]]')], { MAX_JSON_DEPTH: 3 }))).toEqual([['$[0][0][0]', '', 'number', '1']]);
  });

  it('keeps every level right as a body nests past the levels a tokenizer starts with, up to MAX_JSON_DEPTH', () => {
    // 20 levels: objects and arrays alternating, a member before and after each inner container.
    let json = '1';
    let path = '';
    for (let d = 19; d >= 0; d--) json = d % 2 ? `[0,${json},2]` : `{"a":0,"k${d}":${json},"z":2}`;
    for (let d = 0; d < 20; d++) path += d % 2 ? '[1]' : `.k${d}`;
    const r = run([utf8(json)], { MAX_JSON_DEPTH: 20 });
    expect(r.violations).toEqual([]);
    expect(brief(r).find(([, , , v]) => v === '1')).toEqual([`$${path}`, '', 'number', '1']);
    expect(brief(r).filter(([p = '']) => p.endsWith('.z') || p.endsWith('[2]'))).toHaveLength(20);
    expect(run([utf8(`[${json}]`)], { MAX_JSON_DEPTH: 20 }).violations.map((v) => v.code)).toEqual(['too-deep']);
  });

  it('gives tokens or violations for mutated JSON, never a throw', () => {
    fc.assert(
      fc.property(
        fc.json(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete'))),
        fc.array(fc.nat()),
        (text, mutations, cuts) => {
          const bytes = [...utf8(text)];
          for (const [at, byte, op] of mutations) {
            const i = at % (bytes.length + 1);
            if (op === 'insert') bytes.splice(i, 0, byte);
            else if (op === 'delete') bytes.splice(i, 1);
            else if (i < bytes.length) bytes[i] = byte;
          }
          const input = Uint8Array.from(bytes);
          const limits = { MAX_TOKEN_BYTES: 4, MAX_JSON_DEPTH: 8 };
          const whole = run([input], limits);
          expect(run(splitAt(input, cuts), limits)).toEqual(whole);
          expect(whole.violations.length).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('JsonTokenizer: long strings in pieces', () => {
  it('cuts pieces every MAX_TOKEN_BYTES units, keeping surrogate pairs whole', () => {
    const r = run([utf8('{"a":"abcdefghij","b":"ab😀cd"}')], { MAX_TOKEN_BYTES: 4 });
    expect(r.tokens.map((t) => [t.path, t.value, t.offset, t.more])).toEqual([
      ['$.a', 'abcd', 0, true],
      ['$.a', 'efgh', 4, true],
      ['$.a', 'ij', 8, false],
      ['$.b', 'ab😀', 0, true],
      ['$.b', 'cd', 4, false],
    ]);
    expect(run([utf8('"abc😀"')], { MAX_TOKEN_BYTES: 4 }).tokens.map((t) => t.value)).toEqual(['abc', '😀']);
    expect(run([utf8('"abcd"')], { MAX_TOKEN_BYTES: 4 }).tokens.map((t) => [t.value, t.more])).toEqual([
      ['abcd', false],
    ]);
  });

  it('cuts pieces at the same places whatever the chunk boundaries (escapes, multibyte UTF-8)', () => {
    const input = utf8('["h\\u00e9llo wörld 😀😀 \\ud83d\\ude00 你好你好你好 end", "x"]');
    for (const max of [1, 2, 3, 5, 8]) {
      const whole = run([input], { MAX_TOKEN_BYTES: max });
      expect(whole.tokens.every((t) => t.value.length <= max || (max === 1 && t.value.length === 1))).toBe(true);
      for (const chunks of everySplit(input)) expect(run(chunks, { MAX_TOKEN_BYTES: max })).toEqual(whole);
      expect(run(oneByteAtATime(input), { MAX_TOKEN_BYTES: max })).toEqual(whole);
      expect(merged(whole.tokens)).toEqual([
        ['$[0]', '', 'string', 'héllo wörld 😀😀 😀 你好你好你好 end'],
        ['$[1]', '', 'string', 'x'],
      ]);
    }
  });

  it('finds quotes, escapes, control and non-ASCII bytes anywhere in long strings (word-wise scan)', () => {
    const specials = ['"', '\\', '\n', '\u0001', 'é', '😀', '你'];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(300), fc.constantFrom(...specials)), { maxLength: 6 }),
        fc.nat(7),
        fc.array(fc.nat()),
        fc.integer({ min: 1, max: 100 }),
        (inserts, lead, cuts, max) => {
          const chars = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.repeat(5)];
          for (const [at, ch] of inserts) chars.splice(at % (chars.length + 1), 0, ch);
          const value = chars.join('');
          // `lead` spaces shift the string against word alignment; a Buffer slice shifts the chunk itself.
          const text = `${' '.repeat(lead)}{"k":${JSON.stringify(value)}}`;
          const backing = Buffer.from(`${'x'.repeat(lead)}${text}`);
          const input = backing.subarray(lead);
          const r = run(splitAt(input, cuts), { MAX_TOKEN_BYTES: max });
          expect(r.violations).toEqual([]);
          expect(merged(r.tokens)).toEqual([['$.k', 'k', 'string', value]]);
          const raw = run([utf8(`["${'a'.repeat(40)}\\u0001\\n${'b'.repeat(lead)}\x01"]`)]);
          expect(raw.violations.map((v) => v.offset)).toEqual([2 + 40 + 8 + lead]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('streams a 200 MB base64 string in bounded memory', { timeout: 120_000 }, () => {
    const MiB = 1024 * 1024;
    const limits = { MAX_TOKEN_BYTES: 64 * 1024 };
    let pieces = 0;
    let chars = 0;
    let last: Token | undefined;
    const t = new JsonTokenizer(
      (tok) => {
        pieces++;
        chars += tok.value.length;
        last = tok;
      },
      { limits: resolveLimits(limits), report: (v) => expect.fail(v.code) },
    );
    const alphabet = utf8('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
    const chunk = new Uint8Array(MiB);
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    t.write(utf8('{"audio":"'));
    for (let n = 0; n < 200; n++) {
      for (let i = 0; i < chunk.length; i++) chunk[i] = alphabet[(i * 7 + n) & 63]!;
      for (let i = 0; i < chunk.length; i += 64 * 1024) t.write(chunk.subarray(i, i + 64 * 1024));
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    t.write(utf8('"}'));
    t.end();
    expect(chars).toBe(200 * MiB);
    expect(pieces).toBe(200 * 16);
    expect(last?.more).toBe(false);
    expect(last?.path).toBe('$.audio');
    expect(peak - baseline).toBeLessThan(64 * MiB);
  });
});

/** The tokens JSON.parse's view of a document implies (numbers as JSON.stringify writes them). */
function expectedTokens(value: unknown, path = '$', key = ''): Array<[string, string, string, string]> {
  if (value === null) return [[path, key, 'null', 'null']];
  if (typeof value === 'boolean') return [[path, key, 'boolean', String(value)]];
  if (typeof value === 'number') return [[path, key, 'number', JSON.stringify(value)]];
  if (typeof value === 'string') return [[path, key, 'string', value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => expectedTokens(v, `${path}[${i}]`, ''));
  return Object.entries(value as object).flatMap(([k, v]) => {
    const plain = /^[A-Za-z0-9_$@\-\u00a0-\uffff]+$/.test(k);
    return expectedTokens(v, plain ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`, k);
  });
}

describe('JsonTokenizer: properties', () => {
  it('pieces arbitrary strings the same way at any split and any MAX_TOKEN_BYTES', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'binary' }), { maxLength: 4 }),
        fc.array(fc.nat()),
        fc.integer({ min: 1, max: 9 }),
        (strings, cuts, max) => {
          const input = utf8(JSON.stringify(strings));
          const whole = run([input], { MAX_TOKEN_BYTES: max });
          expect(run(splitAt(input, cuts), { MAX_TOKEN_BYTES: max })).toEqual(whole);
          expect(merged(whole.tokens)).toEqual(strings.map((s, i) => [`$[${i}]`, '', 'string', s]));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('matches JSON.parse on generated documents cut at random places', () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ stringUnit: 'binary', maxDepth: 6 }),
        fc.constantFrom(undefined, 1, '\t', ' \n '),
        fc.array(fc.nat()),
        // Numbers longer than MAX_TOKEN_BYTES are refused; a double as JSON.stringify writes it takes at most 25
        // characters (`-0.0000010000310198115881`: fixed notation down to 1e-7, 17 digits).
        fc.integer({ min: 25, max: 64 }),
        (value, space, cuts, max) => {
          const text = JSON.stringify(value, null, space);
          const r = run(splitAt(utf8(text), cuts), { MAX_TOKEN_BYTES: max });
          expect(r.violations).toEqual([]);
          expect(merged(r.tokens)).toEqual(expectedTokens(JSON.parse(text)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('builds the right paths past PATH_CACHE_WIDTH array elements and across tokenizers sharing the path cache', () => {
    const item = fc.oneof(
      fc.record({ a: fc.integer(), b: fc.record({ c: fc.string(), d: fc.array(fc.integer(), { maxLength: 3 }) }) }),
      fc.record({ b: fc.integer(), a: fc.record({ x: fc.boolean(), 'k.y': fc.constant(null) }) }),
      fc.integer(),
    );
    fc.assert(
      fc.property(fc.array(item, { minLength: 60, maxLength: 140 }), fc.array(fc.nat()), (items, cuts) => {
        // Several documents in turn, each with its own tokenizer: the second meets the first one's cache entries.
        for (const doc of [{ events: items }, items, { v: 1, list: items, tail: { a: 1 } }, { events: items }]) {
          const text = JSON.stringify(doc);
          expect(merged(run(splitAt(utf8(text), cuts)).tokens)).toEqual(expectedTokens(doc));
          const nested = run([utf8(text)], {}, { pathPrefix: '$.p>' });
          expect(merged(nested.tokens)).toEqual(expectedTokens(doc, '$.p>$'));
        }
      }),
      { numRuns: 40 },
    );
  });

  it('reads fc.json() texts as NDJSON, one document per line', () => {
    fc.assert(
      fc.property(fc.array(fc.json(), { minLength: 1, maxLength: 5 }), fc.array(fc.nat()), (docs, cuts) => {
        const r = run(splitAt(utf8(docs.join('\n')), cuts));
        expect(r.violations).toEqual([]);
        expect(merged(r.tokens)).toEqual(docs.flatMap((d) => expectedTokens(JSON.parse(d))));
      }),
      { numRuns: 300 },
    );
  });
});

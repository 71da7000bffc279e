import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HpackDecoder } from '../../src/decode/hpack.ts';

const hex = (s: string): Uint8Array => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const fields = (r: ReturnType<HpackDecoder['decode']>) => (typeof r === 'string' ? r : r.headers);
const dec = (maxTableBytes = 4096, maxListBytes = 64 * 1024) => new HpackDecoder({ maxTableBytes, maxListBytes });

const REQ1 = [
  [':method', 'GET'],
  [':scheme', 'http'],
  [':path', '/'],
  [':authority', 'www.example.com'],
];
const REQ2 = [...REQ1, ['cache-control', 'no-cache']];
const REQ3 = [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':path', '/index.html'],
  [':authority', 'www.example.com'],
  ['custom-key', 'custom-value'],
];

describe('HPACK, RFC 7541 Appendix C', () => {
  it('C.2: literal fields with and without indexing, and an indexed field', () => {
    expect(dec().decode(hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572'))).toEqual({
      headers: [['custom-key', 'custom-header']],
      truncated: false,
    });
    expect(dec().decode(hex('040c 2f73 616d 706c 652f 7061 7468'))).toEqual({
      headers: [[':path', '/sample/path']],
      truncated: false,
    });
    expect(dec().decode(hex('1008 7061 7373 776f 7264 0673 6563 7265 74'))).toEqual({
      headers: [['password', 'secret']],
      truncated: false,
    });
    expect(dec().decode(hex('82'))).toEqual({ headers: [[':method', 'GET']], truncated: false });
  });

  it('C.3: requests without Huffman coding share one dynamic table', () => {
    const d = dec();
    expect(d.decode(hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d'))).toEqual({
      headers: REQ1,
      truncated: false,
    });
    expect(d.tableBytes).toBe(57);
    expect(d.decode(hex('8286 84be 5808 6e6f 2d63 6163 6865'))).toEqual({ headers: REQ2, truncated: false });
    expect(d.tableBytes).toBe(110);
    const third = '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65';
    expect(d.decode(hex(third))).toEqual({ headers: REQ3, truncated: false });
    expect(d.tableBytes).toBe(164);
  });

  it('C.4: requests with Huffman coding', () => {
    const d = dec();
    expect(d.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'))).toEqual({ headers: REQ1, truncated: false });
    expect(d.decode(hex('8286 84be 5886 a8eb 1064 9cbf'))).toEqual({ headers: REQ2, truncated: false });
    const third = '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf';
    expect(d.decode(hex(third))).toEqual({ headers: REQ3, truncated: false });
    expect(d.tableBytes).toBe(164);
  });

  it('C.6: responses with Huffman coding in a 256-byte table (set by a size update), with evictions', () => {
    const d = dec();
    const location = ['location', 'https://www.example.com'];
    const first =
      '3fe101 4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3';
    expect(fields(d.decode(hex(first)))).toEqual([
      [':status', '302'],
      ['cache-control', 'private'],
      ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'],
      location,
    ]);
    expect(d.tableBytes).toBe(222);
    expect(fields(d.decode(hex('4883 640e ffc1 c0bf')))).toEqual([
      [':status', '307'],
      ['cache-control', 'private'],
      ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'],
      location,
    ]);
    expect(d.tableBytes).toBe(222);
    const third =
      '88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07';
    expect(fields(d.decode(hex(third)))).toEqual([
      [':status', '200'],
      ['cache-control', 'private'],
      ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'],
      location,
      ['content-encoding', 'gzip'],
      ['set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'],
    ]);
    expect(d.tableBytes).toBe(215);
  });
});

describe('HPACK, hostile blocks give an error, never a throw', () => {
  it.each([
    ['index 0', '80', 'bad-index'],
    ['an index past both tables', 'be', 'bad-index'],
    ['an integer that never ends', 'ffffffffffffff', 'bad-integer'],
    ['an integer past 2^31', 'ff ff ff ff ff 0f', 'bad-integer'],
    ['a string longer than the block', '40 0a 61 62', 'bad-string'],
    ['a literal cut before its value', '40 01 61', 'bad-integer'],
    ['a size update above the bound', '3f e1 ff 03', 'table-size-too-large'],
    ['Huffman with EOS inside', '40 84 ff ff ff ff 01 61', 'bad-huffman'],
    ['Huffman padding that is not ones', '40 81 00 01 61', 'bad-huffman'],
  ])('%s', (_name, block, error) => {
    expect(dec().decode(hex(block))).toBe(error);
  });

  it('a header list past its bound keeps the fields that fit, still indexes the rest', () => {
    const d = dec(4096, 80);
    const block = hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572'); // 55 bytes each
    const twice = new Uint8Array([...block, ...hex('be')]);
    expect(d.decode(twice)).toEqual({ headers: [['custom-key', 'custom-header']], truncated: true });
    expect(d.tableBytes).toBe(55);
  });

  it('a size update of 0 empties the table', () => {
    const d = dec();
    d.decode(hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572'));
    expect(d.decode(hex('20'))).toEqual({ headers: [], truncated: false });
    expect(d.tableBytes).toBe(0);
    expect(d.decode(hex('be'))).toBe('bad-index');
  });

  it('random blocks give fields or an error, never a throw, and the table stays within its size', () => {
    const d = dec(256, 1024);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (block) => {
        const r = d.decode(block);
        expect(typeof r === 'string' || Array.isArray(r.headers)).toBe(true);
        expect(d.tableBytes).toBeLessThanOrEqual(4096);
      }),
      { numRuns: 2000 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { charsetOf, createTextDecoder, SNIFF_SAMPLE } from '../../src/decode/text.ts';
import { everySplit, oneByteAtATime, splitAt } from '../helpers/splits.ts';

function decode(charset: string | undefined, chunks: Uint8Array[]) {
  const codes: string[] = [];
  let text = '';
  const d = createTextDecoder(
    charset,
    (t) => (text += t),
    (v) => codes.push(v.code),
  );
  for (const c of chunks) d.write(c);
  d.end();
  return { text, codes };
}

const zh = '你好，小明！今天天气很好。';
const gb18030 = Buffer.from('c4e3bac3a3acd0a1c3f7a3a1bdf1ccecccecc6f8badcbac3a1a3', 'hex');
const big5 = Buffer.from('a741a66e', 'hex'); // 你好
const utf16le = (s: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]);
const utf16be = (s: string) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(s, 'utf16le').swap16()]);

describe('charsetOf', () => {
  it.each([
    ['text/plain; charset=GBK', 'gbk'],
    ['application/json;charset="utf-8"', 'utf-8'],
    ['text/html', undefined],
    [undefined, undefined],
  ])('%s → %s', (ct, want) => expect(charsetOf(ct)).toBe(want));
});

describe('createTextDecoder', () => {
  it.each([
    ['utf-8', Buffer.from(zh), zh],
    ['gbk', gb18030, zh],
    ['gb2312', gb18030, zh],
    ['gb18030', gb18030, zh],
    ['big5', big5, '你好'],
    ['iso-8859-1', Buffer.from('caf\xe9', 'latin1'), 'café'],
    ['latin-1', Buffer.from('caf\xe9', 'latin1'), 'café'],
    ['utf-16le', utf16le(zh), zh],
    ['utf-16be', utf16be(zh), zh],
    ['utf-16', utf16be(zh), zh],
    [undefined, utf16le('hi 你好'), 'hi 你好'],
    [undefined, Buffer.from(`\ufeff${zh}`), zh],
    [undefined, Buffer.from(zh), zh],
    [undefined, gb18030, zh],
    ['"UTF-8"', Buffer.from('ok'), 'ok'],
  ])('%s: decodes the same at every split and byte by byte', (charset, bytes, want) => {
    for (const chunks of [...everySplit(bytes), oneByteAtATime(bytes)]) {
      const r = decode(charset, chunks);
      expect(r.codes).toEqual([]);
      expect(r.text).toBe(want);
    }
  });

  it('an unknown charset gives `unknown-charset` and UTF-8', () => {
    expect(decode('klingon-8', [Buffer.from(zh)])).toEqual({ text: zh, codes: ['unknown-charset'] });
  });

  it('without a charset, the first SNIFF_SAMPLE bytes decide (a cut sequence at the edge is still UTF-8)', () => {
    const ascii = 'a'.repeat(SNIFF_SAMPLE - 1);
    const r = decode(undefined, [Buffer.from(`${ascii}你${zh}`)]);
    expect(r.text).toBe(`${ascii}你${zh}`);
    const late = decode(undefined, [Buffer.from('a'.repeat(SNIFF_SAMPLE)), gb18030]);
    expect(late.text.startsWith('a')).toBe(true); // UTF-8 chosen; later GB bytes become U+FFFD, not a violation
    expect(late.codes).toEqual([]);
  });

  it('charset-less: the same text whatever the random cuts', () => {
    const body = Buffer.concat([Buffer.from('x'.repeat(900)), gb18030, gb18030]);
    const whole = decode(undefined, [body]).text;
    expect(whole).toContain(zh);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 20 }), (cuts) => {
        expect(decode(undefined, splitAt(body, cuts)).text).toBe(whole);
      }),
    );
  });

  it('fuzz: random bytes never throw and are cut-invariant', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(undefined, 'utf-8', 'gbk', 'big5', 'utf-16be'),
        fc.uint8Array({ maxLength: 600 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (cs, bytes, cuts) => {
          expect(decode(cs, splitAt(bytes, cuts))).toEqual(decode(cs, [bytes]));
        },
      ),
      { numRuns: 300 },
    );
  });
});

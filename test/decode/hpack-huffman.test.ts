import { describe, expect, it } from 'vitest';
import { huffmanDecode } from '../../src/decode/hpack-huffman.ts';

const hex = (s: string): Uint8Array => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const text = (r: Uint8Array | string) => (typeof r === 'string' ? r : Buffer.from(r).toString('latin1'));

describe('HPACK Huffman code', () => {
  it.each([
    ['f1e3 c2e5 f23a 6ba0 ab90 f4ff', 'www.example.com'],
    ['a8eb 1064 9cbf', 'no-cache'],
    ['25a8 49e9 5ba9 7d7f', 'custom-key'],
    ['25a8 49e9 5bb8 e8b4 bf', 'custom-value'],
    ['6402', '302'],
    ['aec3 771a 4b', 'private'],
    ['d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff', 'Mon, 21 Oct 2013 20:13:21 GMT'],
    ['9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3', 'https://www.example.com'],
    ['', ''],
  ])('decodes the RFC 7541 Appendix C string %s', (coded, plain) => {
    expect(text(huffmanDecode(hex(coded)))).toBe(plain);
  });

  it('decodes codes of every length, 5 to 30 bits: octets 0, 9, 10, 13, 22, 255 and printable ones', () => {
    // 0x00 = 13 bits 1111111111000; "0" = 5 bits 00000; then EOS-prefix padding (ones) to the byte.
    expect(text(huffmanDecode(Uint8Array.from([0xff, 0xc0, 0x3f])))).toBe('\u00000');
    // 0x0a = 30 bits 3ffffffc, padded with 2 ones.
    expect(text(huffmanDecode(Uint8Array.from([0xff, 0xff, 0xff, 0xf3])))).toBe('\n');
  });

  it('rejects EOS inside the string, padding longer than 7 bits or not all ones', () => {
    expect(huffmanDecode(hex('ffff ffff'))).toBe('bad-huffman'); // EOS (30 ones) then 2 ones
    expect(huffmanDecode(hex('ff'))).toBe('bad-huffman'); // 8 bits of padding
    expect(huffmanDecode(hex('00'))).toBe('bad-huffman'); // "0" then 000: padding of zeros
  });
});

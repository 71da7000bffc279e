/**
 * The HPACK Huffman code (RFC 7541 Appendix B), decoding only. The code is canonical: codes of one length are
 * consecutive and follow the shorter ones in symbol order, so the table is just each symbol's length in bits
 * (256 octets and EOS) and decoding walks one bit at a time comparing against the first code of each length.
 * Not here: encoding (toyscope only reads), the HPACK integer and string framing (hpack.ts).
 */

/** Bit length of the code of each symbol 0..255 and EOS (256), from RFC 7541 Appendix B. */
// biome-ignore format: a table of 257 lengths
const LENGTHS = [
  13,23,28,28,28,28,28,28,28,24,30,28,28,30,28,28,28,28,28,28,28,28,30,28,28,28,28,28,28,28,28,28,6,10,10,12,13,6,8,
  11,10,10,8,11,8,6,6,6,5,5,5,6,6,6,6,6,6,6,7,8,15,6,12,10,13,6,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,8,7,8,13,
  19,13,14,6,15,5,6,5,6,5,6,6,6,5,7,7,6,6,6,5,6,7,6,5,5,6,7,7,7,7,7,15,11,14,13,28,20,22,20,20,22,22,22,23,22,23,23,
  23,23,23,24,23,24,24,22,23,24,23,23,23,23,21,22,23,22,23,23,24,22,21,20,22,22,23,23,21,23,22,22,24,21,22,23,23,21,
  21,22,21,23,22,23,23,20,22,22,22,23,22,22,23,26,26,20,19,22,23,22,25,26,26,26,27,27,26,24,25,19,21,26,27,27,26,27,
  24,21,21,26,26,28,27,27,27,20,24,20,21,22,21,21,23,22,22,25,25,24,24,26,23,26,27,26,26,27,27,27,27,27,28,27,27,27,
  27,27,26,30,
];

const EOS = 256;
const MAX_BITS = 30;

/** Per length: symbols in code order, the first code of that length, and where its symbols start. */
const SYMBOLS: number[] = [];
const FIRST_CODE = new Array<number>(MAX_BITS + 2).fill(0);
const COUNT = new Array<number>(MAX_BITS + 2).fill(0);
const START = new Array<number>(MAX_BITS + 2).fill(0);
{
  for (const l of LENGTHS) COUNT[l]!++;
  let code = 0;
  let at = 0;
  for (let len = 1; len <= MAX_BITS; len++) {
    FIRST_CODE[len] = code;
    START[len] = at;
    at += COUNT[len]!;
    code = (code + COUNT[len]!) * 2;
  }
  const order = LENGTHS.map((l, s) => [l, s] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  for (const [, s] of order) SYMBOLS.push(s);
}

/**
 * The octets a Huffman-coded string stands for, or a reason it is malformed: an EOS symbol inside it, or padding
 * longer than 7 bits or not all ones (RFC 7541 5.2).
 */
export function huffmanDecode(input: Uint8Array): Uint8Array | 'bad-huffman' {
  const out = new Uint8Array(Math.ceil((input.length * 8) / 5));
  let n = 0;
  let code = 0;
  let len = 0;
  for (let i = 0; i < input.length; i++) {
    const byte = input[i]!;
    for (let bit = 7; bit >= 0; bit--) {
      code = code * 2 + ((byte >> bit) & 1);
      len++;
      const index = code - FIRST_CODE[len]!;
      if (index < COUNT[len]!) {
        const sym = SYMBOLS[START[len]! + index]!;
        if (sym === EOS) return 'bad-huffman';
        out[n++] = sym;
        code = 0;
        len = 0;
      } else if (len >= MAX_BITS) return 'bad-huffman';
    }
  }
  // What is left must be a prefix of EOS: at most 7 bits, all ones.
  if (len > 7 || code !== (1 << len) - 1) return 'bad-huffman';
  return out.subarray(0, n);
}

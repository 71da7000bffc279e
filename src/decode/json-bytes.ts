/**
 * The JSON tokenizer's byte-level scanning (json-tokens.ts): the escapes table, plain-ASCII runs read byte by byte or
 * four bytes at a time (SWAR on an aligned Int32Array view), whitespace and the byte order mark. Pure functions
 * over bytes; no state, no tokens.
 */
/** The character each simple escape stands for (0 = not a simple escape). */
export const ESCAPES = new Uint16Array(128);
ESCAPES[0x22] = 0x22;
ESCAPES[0x5c] = 0x5c;
ESCAPES[0x2f] = 0x2f;
ESCAPES[0x62] = 0x08;
ESCAPES[0x66] = 0x0c;
ESCAPES[0x6e] = 0x0a;
ESCAPES[0x72] = 0x0d;
ESCAPES[0x74] = 0x09;

/** Bytes a string run reads one by one before switching to words (short strings never pay for words). */
export const SWAR_AFTER = 16;

/** A chunk's bytes from `pad` on, as 32-bit words (`pad` aligns the view). */
export interface Words {
  view: Int32Array;
  pad: number;
}

export function wordsOf(buf: Uint8Array): Words {
  const pad = (4 - (buf.byteOffset & 3)) & 3;
  return { view: new Int32Array(buf.buffer, buf.byteOffset + pad, (buf.length - pad) >> 2), pad };
}

/**
 * From an aligned `i`, past the whole words of plain ASCII (no `"`, `\\`, control or non-ASCII byte: the SWAR
 * has-zero-byte tests are exact as booleans, so a word skipped holds none). Returns `i` itself when unaligned.
 */
export function skipPlainWords(words: Words, i: number, end: number): number {
  const { view, pad } = words;
  let k = (i - pad) >> 2;
  if (pad + (k << 2) !== i) return i;
  const last = (end - pad) >> 2;
  while (k < last) {
    const x = view[k]!;
    const q = x ^ 0x22222222;
    const b = x ^ 0x5c5c5c5c;
    if (((((q - 0x01010101) & ~q) | ((b - 0x01010101) & ~b) | ((x - 0x20202020) & ~x) | x) & 0x80808080) !== 0) break;
    k++;
  }
  return pad + (k << 2);
}

/** The first word boundary after `i`. */
export const nextWord = (words: Words, i: number): number => words.pad + ((((i - words.pad) >> 2) + 1) << 2);

/** A UTF-8 byte order mark, skipped at the start of the stream (some device clouds send one). */
export const BOM = [0xef, 0xbb, 0xbf];

/** Index of the first byte of buf[i, stop) that is not plain ASCII text (`"`, `\\`, a control or a non-ASCII byte). */
export function plainRun(buf: Uint8Array, i: number, stop: number): number {
  while (i < stop) {
    const b = buf[i]!;
    if (b === 0x22 || b === 0x5c || b < 0x20 || b >= 0x80) return i;
    i++;
  }
  return i;
}

export const isWhitespace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

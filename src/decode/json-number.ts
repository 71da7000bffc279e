/**
 * The JSON number grammar (RFC 8259 §6) as a transition table over byte classes, for the streaming tokenizer
 * (json-tokens.ts): it walks a number byte by byte across chunks and knows, at any byte, whether the literal so far
 * may end there. Not a number parser: tokens keep the literal text.
 */

// Number sub-states (terminal ones may end the number).
export const N_START = 0; // before the first byte ('-' or a digit, checked by the caller)
const N_MINUS = 1;
const N_ZERO = 2; // terminal
const N_INT = 3; // terminal
const N_DOT = 4;
const N_FRAC = 5; // terminal
const N_EXP = 6;
const N_EXP_SIGN = 7;
const N_EXP_DIGITS = 8; // terminal
export const N_BAD = 9;
export const N_TERMINAL = [false, false, true, true, false, true, false, false, true];
/** States a digit leaves unchanged (the integer, fraction and exponent digits): a run of digits is skipped at once. */
export const N_DIGIT_RUN = [false, false, false, true, false, true, false, false, true];
/** Byte class in a number: 0 ends it, 1 '0', 2 '1'-'9', 3 '.', 4 'e'/'E', 5 '+'/'-'. */
export const NUM_CLASS = new Uint8Array(256);
NUM_CLASS[0x30] = 1;
for (let c = 0x31; c <= 0x39; c++) NUM_CLASS[c] = 2;
NUM_CLASS[0x2e] = 3;
NUM_CLASS[0x65] = 4;
NUM_CLASS[0x45] = 4;
NUM_CLASS[0x2b] = 5;
NUM_CLASS[0x2d] = 5;
/** NUM_NEXT[state * 6 + class]: the next number sub-state. */
// biome-ignore format: a transition table reads best as a grid
export const NUM_NEXT = new Uint8Array([
  //          end    '0'     1-9    '.'    e/E    sign
  /* START */ N_BAD, N_ZERO, N_INT, N_BAD, N_BAD, N_MINUS,
  /* MINUS */ N_BAD, N_ZERO, N_INT, N_BAD, N_BAD, N_BAD,
  /* ZERO  */ N_BAD, N_BAD, N_BAD, N_DOT, N_EXP, N_BAD,
  /* INT   */ N_BAD, N_INT, N_INT, N_DOT, N_EXP, N_BAD,
  /* DOT   */ N_BAD, N_FRAC, N_FRAC, N_BAD, N_BAD, N_BAD,
  /* FRAC  */ N_BAD, N_FRAC, N_FRAC, N_BAD, N_EXP, N_BAD,
  /* EXP   */ N_BAD, N_EXP_DIGITS, N_EXP_DIGITS, N_BAD, N_BAD, N_EXP_SIGN,
  /* ESIGN */ N_BAD, N_EXP_DIGITS, N_EXP_DIGITS, N_BAD, N_BAD, N_BAD,
  /* EDIG  */ N_BAD, N_EXP_DIGITS, N_EXP_DIGITS, N_BAD, N_BAD, N_BAD,
]);

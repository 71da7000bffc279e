/**
 * The JSON tokenizer's memo of repeated string values (json-tokens.ts): per path-cache slot, the last short string
 * value made there without escapes, as a string and as its bytes. Telemetry sends the same IMEI, MAC, SSID, BSSID and
 * child's name at the same place in every event; the tokenizer recognises such a value by comparing the input's
 * bytes with the memo's and takes the memo's string, instead of scanning the bytes, decoding a new string and
 * routing its characters again (the gate compares the string it is given with the last one by reference first).
 * Module state shared by every tokenizer of the process, bounded; a memo is used only when the bytes match, so
 * another tokenizer's entry costs time, never correctness. No tokens and no parsing here.
 */
import { PATH_CACHE_SLOTS } from './json-path-cache.ts';

/** Longest value kept (bytes): IMEIs, MACs, UUIDs, dates and names; longer values rarely repeat whole. */
export const MEMO_VALUE_BYTES = 40;

/** Bytes per slot in memoBytes: the value, then its closing `"`. */
const STRIDE = MEMO_VALUE_BYTES + 4;
/** Length of the value kept at each slot, -1 for none. */
const memoLength = new Int8Array(PATH_CACHE_SLOTS).fill(-1);
/** Whether it is plain ASCII (else UTF-8 with a byte ≥ 0x80). */
const memoAscii = new Uint8Array(PATH_CACHE_SLOTS);
/** Its bytes and closing quote, at STRIDE × slot, also read as words. */
const memoBytes = new Uint8Array(PATH_CACHE_SLOTS * STRIDE);
const memoWords = new DataView(memoBytes.buffer);
/** Its string. */
const memoText: string[] = new Array<string>(PATH_CACHE_SLOTS).fill('');

/**
 * Keeps `text`, the string the bytes buf[start, end) decode to (a whole value without `"`, `\\` or a control byte;
 * `ascii` when every byte is below 0x80), as the value of `slot`. Values longer than MEMO_VALUE_BYTES are not kept
 * (the slot keeps its last one).
 */
export function keepValue(
  slot: number,
  buf: Uint8Array,
  start: number,
  end: number,
  text: string,
  ascii: boolean,
): void {
  if (end - start > MEMO_VALUE_BYTES) return;
  const at = slot * STRIDE - start;
  for (let j = start; j < end; j++) memoBytes[at + j] = buf[j]!;
  memoBytes[at + end] = 0x22;
  memoLength[slot] = end - start;
  memoAscii[slot] = ascii ? 1 : 0;
  memoText[slot] = text;
}

/**
 * The byte length of the value kept at `slot` when buf[i, end) holds exactly its bytes followed by the closing `"`,
 * else -1 (no value kept there, another value, or the chunk ends first). `view` reads the same bytes as `buf`; the
 * bytes are compared four at a time. `repeatedText(slot)` is then the value's string.
 */
export function repeatedValue(slot: number, buf: Uint8Array, view: DataView, i: number, end: number): number {
  const n = memoLength[slot]!;
  if (n < 0 || i + n >= end) return -1;
  const last = n + 1; // with the closing quote
  const at = slot * STRIDE;
  if (last < 4) {
    for (let j = 0; j < last; j++) if (memoBytes[at + j] !== buf[i + j]) return -1;
    return n;
  }
  for (let j = 0; j + 4 < last; j += 4) if (view.getInt32(i + j, true) !== memoWords.getInt32(at + j, true)) return -1;
  return view.getInt32(i + last - 4, true) === memoWords.getInt32(at + last - 4, true) ? n : -1;
}

/** The string kept at `slot` (valid after `repeatedValue` matched it). */
export function repeatedText(slot: number): string {
  return memoText[slot]!;
}

/** Whether the value kept at `slot` is plain ASCII (a gate is asked about it; other UTF-8 is made without asking). */
export function repeatedAscii(slot: number): boolean {
  return memoAscii[slot] === 1;
}

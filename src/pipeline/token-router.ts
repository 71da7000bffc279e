/**
 * Decides, once per token, which analyzers' `token()` it goes to, from the TokenInterest each analyzer declared:
 * a per-key answer cached by key string, then, for string tokens some analyzer may still want by value, one pass
 * over the value for the characters, digit count and length those analyzers named. The answer is a bit mask
 * over the pipeline's analyzer list (bit i = analyzers[i]). Not a detector: it only skips calls that would
 * have returned without doing anything.
 */
import { GATE_SLOTS } from '../decode/filter.ts';
import type { Analyzer, TokenInterest } from '../model/analyzer.ts';
import type { Token, TokenKind, TokenSource } from '../model/token.ts';

/** Analyzers past this index in the list get every token (a mask has 31 usable bits). */
export const MAX_ROUTED_ANALYZERS = 31;
/** Distinct keys whose answer is cached (bounded: cleared when full). */
const MAX_CACHED_KEYS = 4096;
const DIGITS = 0;
const LENGTH = 1;

export class TokenRouter {
  /** Per analyzer; undefined (no interest declared, or past MAX_ROUTED_ANALYZERS): every token, bit 0. */
  readonly #interests: Array<TokenInterest | undefined>;
  readonly #elements: number;
  /** Analyzers with any value clause: they also get every piece of a streamed string. */
  readonly #byValue: number;
  /** ASCII character → analyzers that named it. */
  readonly #chars = new Int32Array(128);
  /** Digit and length clauses, three numbers each: DIGITS or LENGTH, the minimum, the analyzer's bit. */
  readonly #rules: number[] = [];
  readonly #sources = new Map<TokenSource, number>();
  readonly #keys = new Map<string, number>();
  #lastKey = '';
  #lastKeyMask = 0;
  /** Per gate slot (see TokenGate), the key last asked about there and its mask: no key lookup for the next one. */
  readonly #slotKeys: Array<string | undefined> = new Array<string | undefined>(GATE_SLOTS).fill(undefined);
  readonly #slotMasks = new Int32Array(GATE_SLOTS);
  /** The last source looked up (a body's tokens all come from one tokenizer), and its mask. */
  #lastSource: TokenSource | '' = '';
  #lastSourceMask = 0;

  constructor(analyzers: readonly Analyzer[]) {
    this.#interests = analyzers.map((a, i) => (i < MAX_ROUTED_ANALYZERS ? a.tokens : undefined));
    let elements = 0;
    let byValue = 0;
    this.#interests.forEach((interest, i) => {
      const bit = 1 << i;
      if (!interest) return;
      if (interest.elements) elements |= bit;
      for (const ch of interest.chars ?? '') {
        const c = ch.charCodeAt(0);
        if (c < 128) this.#chars[c]! |= bit;
      }
      if (interest.minDigits !== undefined) this.#rules.push(DIGITS, interest.minDigits, bit);
      if (interest.minLength !== undefined) this.#rules.push(LENGTH, interest.minLength, bit);
      if (interest.chars || interest.minDigits !== undefined || interest.minLength !== undefined) byValue |= bit;
      for (const s of interest.sources ?? []) this.#sources.set(s, (this.#sources.get(s) ?? 0) | bit);
    });
    this.#elements = elements;
    this.#byValue = byValue;
    this.#lastKeyMask = this.#keyMask('');
  }

  /** The bit of `analyzers[index]`, or 0 for one that gets every token without asking. */
  bitOf(index: number): number {
    return index < MAX_ROUTED_ANALYZERS && this.#interests[index] !== undefined ? 1 << index : 0;
  }

  /**
   * The analyzers (as bits) that want this token. An `encoded` string (one the pipeline decodes as base64, whose
   * content reaches analyzers as a nested part) goes by key only: searching base64 text for e-mail addresses or
   * phone numbers finds nothing real, and it is most of a media upload's bytes.
   */
  route(t: Token, encoded = false): number {
    if (encoded) return this.#keyMaskCached(t.key);
    if (t.kind !== 'string') return this.routeScalar(t.key, t.source, t.kind);
    const mask = this.#keyMaskCached(t.key) | this.#sourceMask(t.source);
    if ((this.#byValue & ~mask) === 0) return mask;
    return mask | (t.more || t.offset > 0 ? this.#byValue : this.#valueMask(t.value));
  }

  /** `route` of a number, boolean or null before its Token is made (value clauses read strings only). */
  routeScalar(key: string, source: TokenSource, kind: TokenKind, slot = -1): number {
    const mask = this.#keyMaskAt(key, slot) | this.#sourceMask(source);
    return kind === 'number' && key === '' ? mask | this.#elements : mask;
  }

  /** `route` of a whole string before its Token is made, from its bytes buf[start, end): plain ASCII, no escape. */
  routeAscii(key: string, source: TokenSource, buf: Uint8Array, start: number, end: number, slot = -1): number {
    const mask = this.#keyMaskAt(key, slot) | this.#sourceMask(source);
    if ((this.#byValue & ~mask) === 0) return mask;
    const chars = this.#chars;
    let m = 0;
    let digits = 0;
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      m |= chars[c]!;
      digits += (c - 0x30) >>> 0 < 10 ? 1 : 0;
    }
    return mask | this.#ruled(m, digits, end - start);
  }

  #sourceMask(source: TokenSource): number {
    if (source !== this.#lastSource) {
      this.#lastSource = source;
      this.#lastSourceMask = this.#sources.get(source) ?? 0;
    }
    return this.#lastSourceMask;
  }

  /** The key's mask, remembered at a gate slot (-1: none). */
  #keyMaskAt(key: string, slot: number): number {
    if (slot < 0) return this.#keyMaskCached(key);
    if (this.#slotKeys[slot] === key) return this.#slotMasks[slot]!;
    const m = this.#keyMaskCached(key);
    this.#slotKeys[slot] = key;
    this.#slotMasks[slot] = m;
    return m;
  }

  #keyMaskCached(key: string): number {
    if (key === this.#lastKey) return this.#lastKeyMask;
    let m = this.#keys.get(key);
    if (m === undefined) {
      m = this.#keyMask(key);
      if (this.#keys.size >= MAX_CACHED_KEYS) this.#keys.clear();
      this.#keys.set(key, m);
    }
    this.#lastKey = key;
    this.#lastKeyMask = m;
    return m;
  }

  /** An interest whose `key` throws takes the token: its `token()` then runs under the fan-out's guard. */
  #keyMask(key: string): number {
    let m = 0;
    this.#interests.forEach((interest, i) => {
      if (!interest) return;
      try {
        if (interest.key(key)) m |= 1 << i;
      } catch {
        m |= 1 << i;
      }
    });
    return m;
  }

  /** One pass over a value: the analyzers whose characters, digit count or length it has. */
  #valueMask(value: string): number {
    const chars = this.#chars;
    let m = 0;
    let digits = 0;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c < 128) {
        m |= chars[c]!;
        digits += (c - 0x30) >>> 0 < 10 ? 1 : 0;
      }
    }
    return this.#ruled(m, digits, value.length);
  }

  /** The character mask `m` of a value plus the analyzers whose digit or length clause it meets. */
  #ruled(m: number, digits: number, length: number): number {
    const rules = this.#rules;
    for (let r = 0; r < rules.length; r += 3) {
      if ((rules[r] === DIGITS ? digits : length) >= rules[r + 1]!) m |= rules[r + 2]!;
    }
    return m;
  }
}

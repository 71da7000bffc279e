/**
 * Decides, once per token, which analyzers' `token()` it goes to, from the TokenInterest each analyzer declared:
 * a per-key answer cached by key string (the analyzers whose `key` accepts it, less those whose `keyedMinLength`
 * the whole value is too short for), then, for string tokens some analyzer may still want by value, one pass
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

/** What a key admits: `mask`, or for a whole value shorter than `cut`, `mask` less the bits whose minimum it misses. */
interface KeyRoute {
  readonly mask: number;
  readonly cut: number;
  /** Pairs: an analyzer's keyedMinLength, its bit. */
  readonly mins: readonly number[];
}

/** A key's mask for a whole value of `length` (Infinity: a piece of a long string, never filtered). */
function keyedMask(r: KeyRoute, length: number): number {
  if (length >= r.cut) return r.mask;
  let m = r.mask;
  const mins = r.mins;
  for (let k = 0; k < mins.length; k += 2) if (length < mins[k]!) m &= ~mins[k + 1]!;
  return m;
}

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
  readonly #keys = new Map<string, KeyRoute>();
  #lastKey = '';
  #lastKeyRoute: KeyRoute;
  /** Per gate slot (see TokenGate), the key last asked about there and its route: no key lookup for the next one. */
  readonly #slotKeys: Array<string | undefined> = new Array<string | undefined>(GATE_SLOTS).fill(undefined);
  readonly #slotRoutes: KeyRoute[] = [];
  /** Per gate slot, the string value last routed there by `routeText` and its value clauses' mask. */
  readonly #slotValues: Array<string | undefined> = new Array<string | undefined>(GATE_SLOTS).fill(undefined);
  readonly #slotValueMasks = new Int32Array(GATE_SLOTS);
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
    this.#lastKeyRoute = this.#keyRoute('');
    this.#slotRoutes = new Array<KeyRoute>(GATE_SLOTS).fill(this.#lastKeyRoute);
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
    const length = t.offset === 0 && !t.more ? t.value.length : Number.POSITIVE_INFINITY;
    if (encoded) return keyedMask(this.#keyRouteCached(t.key), length);
    if (t.kind !== 'string') return this.routeScalar(t.key, t.source, t.kind, length);
    const mask = keyedMask(this.#keyRouteCached(t.key), length) | this.#sourceMask(t.source);
    if ((this.#byValue & ~mask) === 0) return mask;
    return mask | (t.more || t.offset > 0 ? this.#byValue : this.#valueMask(t.value));
  }

  /**
   * `route` of a number, boolean or null before its Token is made, from its literal's length (value clauses read
   * strings only).
   */
  routeScalar(key: string, source: TokenSource, kind: TokenKind, length: number, slot = -1): number {
    const mask = keyedMask(this.#keyRouteAt(key, slot), length) | this.#sourceMask(source);
    return kind === 'number' && key === '' ? mask | this.#elements : mask;
  }

  /** `route` of a whole string before its Token is made, from its bytes buf[start, end): plain ASCII, no escape. */
  routeAscii(key: string, source: TokenSource, buf: Uint8Array, start: number, end: number, slot = -1): number {
    const mask = keyedMask(this.#keyRouteAt(key, slot), end - start) | this.#sourceMask(source);
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

  /**
   * `route` of a whole string before its Token is made, given as a string of plain ASCII (no escape): the value
   * clauses' answer is kept per gate slot and reused while the same value comes there again (compared by reference
   * first: the JSON tokenizer hands a repeated value's same string).
   */
  routeText(key: string, source: TokenSource, value: string, slot: number): number {
    const mask = keyedMask(this.#keyRouteAt(key, slot), value.length) | this.#sourceMask(source);
    if ((this.#byValue & ~mask) === 0) return mask;
    if (this.#slotValues[slot] !== value) {
      this.#slotValues[slot] = value;
      this.#slotValueMasks[slot] = this.#valueMask(value);
    }
    return mask | this.#slotValueMasks[slot]!;
  }

  #sourceMask(source: TokenSource): number {
    if (source !== this.#lastSource) {
      this.#lastSource = source;
      this.#lastSourceMask = this.#sources.get(source) ?? 0;
    }
    return this.#lastSourceMask;
  }

  /** The key's route, remembered at a gate slot (-1: none). */
  #keyRouteAt(key: string, slot: number): KeyRoute {
    if (slot < 0) return this.#keyRouteCached(key);
    if (this.#slotKeys[slot] === key) return this.#slotRoutes[slot]!;
    const r = this.#keyRouteCached(key);
    this.#slotKeys[slot] = key;
    this.#slotRoutes[slot] = r;
    return r;
  }

  #keyRouteCached(key: string): KeyRoute {
    if (key === this.#lastKey) return this.#lastKeyRoute;
    let r = this.#keys.get(key);
    if (r === undefined) {
      r = this.#keyRoute(key);
      if (this.#keys.size >= MAX_CACHED_KEYS) this.#keys.clear();
      this.#keys.set(key, r);
    }
    this.#lastKey = key;
    this.#lastKeyRoute = r;
    return r;
  }

  /**
   * An interest whose `key` or `keyedMinLength` throws takes the token, whatever its length: its `token()` then runs
   * under the fan-out's guard.
   */
  #keyRoute(key: string): KeyRoute {
    let mask = 0;
    let cut = 0;
    const mins: number[] = [];
    this.#interests.forEach((interest, i) => {
      if (!interest) return;
      let min = 0;
      try {
        if (!interest.key(key)) return;
        min = interest.keyedMinLength?.(key) ?? 0;
      } catch {
        min = 0;
      }
      mask |= 1 << i;
      if (min > 0) mins.push(min, 1 << i);
      cut = Math.max(cut, min);
    });
    return { mask, cut, mins };
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

/**
 * contacts: phone numbers (validated with libphonenumber-js: a bare 11-digit Chinese number counts only as a
 * MOBILE number and only with context: a phone key, or a phone/relation word just before it in text; `+`/E.164
 * numbers in text are validated without context), e-mail addresses, vCards, contact lists (arrays of objects
 * with a name and a number) and family relations (妈妈, dad, 奶奶 …) next to a number. Not identifiers (IMSI,
 * ICCID) and not the child's own profile (child-profile).
 */
import type { Analyzer, AnalyzerContext, AnalyzerState, Verdict } from '../src/model/analyzer.ts';
import type { Token } from '../src/model/token.ts';
import { classify, isWrappedValueKey, K, keyOf, listOf, objectKeyOf } from './lib/keys.ts';
import { matchesIn } from './lib/matches.ts';
import { ObjectTable } from './lib/objects.ts';
import { PHONE_CONTEXT, PHONE_IN_TEXT, type Phone, RELATION_WORDS, validatePhone } from './lib/phone.ts';
import { QuietValues } from './lib/quiet-values.ts';
import { Reporter } from './lib/reporter.ts';
import { TextWindow } from './lib/text-window.ts';

/** Objects tracked per message for contact lists and relations; past it new objects are ignored. */
const MAX_TRACKED_OBJECTS = 1024;
/** Entries an array needs to be called a contact list. */
const MIN_LIST_ENTRIES = 2;
/** Digits a string needs before it is searched for phone numbers (the shortest E.164 numbers have 7). */
const MIN_PHONE_DIGITS = 7;
/** Characters of the shortest address EMAIL matches: `a@b.cc`. */
const MIN_EMAIL_CHARS = 6;
/** Digits of a Chinese mobile number, the only kind PHONE_IN_TEXT finds without a `+`. */
const CN_MOBILE_DIGITS = 11;
/** Keys already tested against RELATION_WORDS (bounded: cleared when full). */
const MAX_RELATION_KEYS = 4096;
const relationKeys = new Map<string, boolean>();
/** Characters before a number searched for a context word. */
const CONTEXT_CHARS = 24;
const EMAIL =
  /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})*\.([A-Za-z]{2,24})\b/g;
const NOT_TLDS = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'js', 'css', 'json', 'mp3', 'wav', 'local']);
const VCARD_FN = /BEGIN:VCARD[\s\S]*?\bFN[^:\r\n]*:([^\r\n]{1,80})/g;

export const contacts: Analyzer = {
  name: 'contacts',
  wants: (head) => head.direction === 'upload',
  // Keys that name a phone, a person or a relation; other strings only with an `@` (e-mail), a `+` (E.164), a `B`
  // (BEGIN:VCARD) or the digits of a Chinese mobile number: `#scanText` leaves every other string at once.
  tokens: { key: (key) => isMyKey(key) || isWrappedValueKey(key), chars: '@+B', minDigits: CN_MOBILE_DIGITS },
  open: (ctx) => new ContactsState(ctx),
};

interface Entry {
  /** The path of the list the object is a member of (lib/keys.ts listOf), if it is one. */
  listPath: string | undefined;
  /** The number of the array holding the object when a member told it (Token.outer), else -1. */
  list: number;
  name?: string;
  relation?: string;
  phone?: Phone;
  phonePath?: string;
}

class ContactsState implements AnalyzerState {
  readonly #out: Reporter;
  readonly #window = new TextWindow();
  readonly #objects = new ObjectTable<Entry>(MAX_TRACKED_OBJECTS);
  #vcards = 0;
  #vcardFirst: { excerpt: string; path: string } | undefined;
  /** Values that came to nothing (QuietValues). */
  readonly #quiet = new QuietValues();

  constructor(ctx: AnalyzerContext) {
    this.#out = new Reporter(ctx, 'contacts');
  }

  token(t: Token): Verdict {
    // Keys of a phone, a name or a relation keep per-object state (`#entry`): never theirs.
    const plain = QuietValues.takes(t) && !isMyKey(t.key);
    if (plain && this.#quiet.has(t)) return undefined;
    const reported = this.#out.reported;
    const vcards = this.#vcards;
    const v = this.#token(t);
    if (plain && v === undefined && this.#out.reported === reported && this.#vcards === vcards) this.#quiet.keep(t);
    return v;
  }

  #token(t: Token): Verdict {
    if (t.kind !== 'string' && t.kind !== 'number') return undefined;
    const whole = t.offset === 0 && !t.more;
    const key = keyOf(t);
    const c = classify(key);
    if (whole) {
      const relationKey = c.a === 0 && key !== '' && isRelationKey(key);
      if (c.a & K.PHONE || relationKey) {
        const phone = validatePhone(t.value);
        if (phone) {
          const e = this.#entry(t);
          if (e) {
            e.phone = phone;
            e.phonePath = t.path;
            if (relationKey) e.relation = key;
          }
          return this.#phone(t, phone, 0.9);
        }
      }
      if (t.kind === 'string' && c.a & (K.PERSON_NAME | K.RELATION) && t.value.length <= 80) {
        const e = this.#entry(t);
        if (e) {
          if (c.a & K.PERSON_NAME) e.name ??= t.value;
          const rel = RELATION_WORDS.exec(t.value);
          if (rel) e.relation = rel[0];
        }
      }
    }
    if (t.kind !== 'string') return undefined;
    return this.#scanText(t, c.a);
  }

  #scanText(t: Token, keyFlags: number): Verdict {
    const text = this.#window.text(t);
    // Nothing searched for here fits in fewer characters than the shortest e-mail address (`a@b.cc`).
    if (text.length < MIN_EMAIL_CHARS) return undefined;
    const shape = shapeOf(text);
    if (shape & HAS_AT) {
      for (const m of matchesIn(EMAIL, text)) {
        if (NOT_TLDS.has((m[1] as string).toLowerCase())) continue;
        const confidence = keyFlags & K.EMAIL ? 0.95 : 0.85;
        const v = this.#out.report({ subtype: 'email', confidence, excerpt: m[0], path: t.path });
        if (v) return v;
      }
    }
    if (shape & HAS_B && text.includes('BEGIN:VCARD')) this.#vcard(t, text);
    if (keyFlags & K.PHONE && t.offset === 0 && !t.more) return undefined;
    if (!phoneShaped(shape)) return undefined;
    let prevEnd = 0;
    for (const m of matchesIn(PHONE_IN_TEXT, text)) {
      const raw = m[0];
      const at = m.index ?? 0;
      // Context belongs to the nearest number: the window stops at the previous one.
      const before = text.slice(Math.max(prevEnd, at - CONTEXT_CHARS), at);
      prevEnd = at + raw.length;
      const plus = raw.startsWith('+') || raw.startsWith('00');
      const relation = RELATION_WORDS.exec(before);
      if (!plus && !relation && !PHONE_CONTEXT.test(before)) continue;
      const phone = validatePhone(raw, !plus);
      if (!phone) continue;
      const v = this.#phone(t, phone, plus ? 0.85 : 0.8);
      if (v) return v;
      if (relation) {
        const r = this.#relation(relation[0], phone, t.path);
        if (r) return r;
      }
    }
    return undefined;
  }

  #phone(t: Token, phone: Phone, confidence: number): Verdict {
    const detail = { country: phone.country, type: phone.type, source: t.source };
    const personal = { e164: phone.e164 };
    return this.#out.report({
      subtype: 'phone-number',
      confidence,
      excerpt: phone.e164,
      path: t.path,
      detail,
      personal,
    });
  }

  #relation(relation: string, phone: Phone, path: string): Verdict {
    const excerpt = [`${relation} `, { personal: phone.e164 }];
    return this.#out.report({ subtype: 'family-relation', confidence: 0.85, excerpt, path, detail: { relation } });
  }

  #vcard(t: Token, text: string): void {
    const begins = text.split('BEGIN:VCARD').length - 1;
    // Pieces overlap by the window's tail: count only cards that start in this piece's own text.
    const fresh = t.offset > 0 ? t.value.split('BEGIN:VCARD').length - 1 : begins;
    this.#vcards += fresh;
    if (!this.#vcardFirst) {
      const fn = VCARD_FN.exec(text);
      VCARD_FN.lastIndex = 0;
      this.#vcardFirst = { excerpt: fn ? (fn[1] as string).trim() : 'BEGIN:VCARD', path: t.path };
    }
  }

  #entry(t: Token): Entry | undefined {
    const key = objectKeyOf(t);
    let e = this.#objects.get(key);
    if (!e && !this.#objects.full) {
      e = { listPath: listOf(t), list: -1 };
      this.#objects.add(key, e);
    }
    // A wrapped value's object is its wrapper's container, whose own holder no token names.
    if (e && e.list < 0 && key === t.container) e.list = t.outer;
    return e;
  }

  end(): void {
    // Entries of one array: by the array's number (two arrays on one path, as in two NDJSON lines, are two lists).
    const lists = new Map<string, { path: string; n: number; first: string }>();
    for (const e of this.#objects.values()) {
      if (!e.phone) continue;
      if (e.relation) this.#relation(e.relation, e.phone, e.phonePath ?? '');
      if (e.name === undefined) continue;
      const path = e.listPath;
      if (path === undefined) continue;
      const id = `${e.list}|${path}`;
      const l = lists.get(id) ?? { path, n: 0, first: `${e.name} ${e.phone.e164}` };
      l.n++;
      lists.set(id, l);
    }
    for (const { path, n, first } of lists.values()) {
      if (n < MIN_LIST_ENTRIES) continue;
      this.#out.report({ subtype: 'contact-list', confidence: 0.9, excerpt: first, path, detail: { entries: n } });
    }
    if (this.#vcardFirst && this.#vcards > 0) {
      const { excerpt, path } = this.#vcardFirst;
      this.#out.report({ subtype: 'vcard', confidence: 0.95, excerpt, path, detail: { cards: this.#vcards } });
    }
  }
}

/** A key `token` reads before any text scan: a phone, name or relation key. */
function isMyKey(key: string): boolean {
  const a = classify(key).a;
  return (a & (K.PHONE | K.PERSON_NAME | K.RELATION)) !== 0 || (a === 0 && key !== '' && isRelationKey(key));
}

/** Whether a key names a family relation (`mom`, 妈妈): the regex runs once per distinct key. */
function isRelationKey(key: string): boolean {
  let r = relationKeys.get(key);
  if (r === undefined) {
    r = RELATION_WORDS.test(key);
    if (relationKeys.size >= MAX_RELATION_KEYS) relationKeys.clear();
    relationKeys.set(key, r);
  }
  return r;
}

/** `shapeOf` result: the count of ASCII digits (up to 15) in the low bits, then what the text holds. */
const DIGITS = 0xf;
const HAS_AT = 0x10;
const HAS_PLUS = 0x20;
const HAS_B = 0x40;
/** A maximal run of 11 digits (15 from `0086`), or a digit, a space or dash, a digit: where a Chinese mobile can be. */
const MOBILE_SHAPE = 0x80;

/**
 * Whether PHONE_IN_TEXT can match in a text of this shape: without a `+` it finds only Chinese mobile numbers,
 * 11 digits as a whole run (15 with `0086`) or split by spaces or dashes. Exact pre-tests: never false on a match.
 */
function phoneShaped(shape: number): boolean {
  const enough = (shape & DIGITS) >= (shape & HAS_PLUS ? MIN_PHONE_DIGITS : CN_MOBILE_DIGITS);
  return enough && (shape & (HAS_PLUS | MOBILE_SHAPE)) !== 0;
}

/** `phoneShaped` of a text (for its test). */
export const mayHoldPhone = (s: string): boolean => phoneShaped(shapeOf(s));

/** One pass over a text for the cheap pre-tests of `#scanText` (one loop instead of a search per character). */
function shapeOf(s: string): number {
  let digits = 0;
  let flags = 0;
  let run = 0;
  let split = false;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 0;
    if (c >= 48 && c <= 57) {
      digits++;
      if (split) flags |= MOBILE_SHAPE;
      split = false;
      run++;
      continue;
    }
    split = run > 0 && (c === 0x20 || c === 0x2d);
    if (run === CN_MOBILE_DIGITS || (run === CN_MOBILE_DIGITS + 4 && s.startsWith('0086', i - run)))
      flags |= MOBILE_SHAPE;
    run = 0;
    if (c === 0x40) flags |= HAS_AT;
    else if (c === 0x2b) flags |= HAS_PLUS;
    else if (c === 0x42) flags |= HAS_B;
  }
  return flags | Math.min(digits, DIGITS);
}

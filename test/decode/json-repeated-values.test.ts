import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TokenGate } from '../../src/decode/filter.ts';
import {
  keepValue,
  MEMO_VALUE_BYTES,
  repeatedAscii,
  repeatedText,
  repeatedValue,
} from '../../src/decode/json-repeated-values.ts';
import { JsonTokenizer } from '../../src/decode/json-tokens.ts';
import { type Limits, resolveLimits } from '../../src/model/limits.ts';
import type { Token } from '../../src/model/token.ts';
import { everySplit, splitAt, utf8 } from '../helpers/splits.ts';

/** [path, key, kind, value] of every token of `chunks`, pieces of long strings merged back. */
function tokens(chunks: Uint8Array[], limits: Partial<Limits> = {}, gate?: TokenGate): string[][] {
  const out: Token[] = [];
  const t = new JsonTokenizer((tok) => out.push(tok), {
    limits: resolveLimits(limits),
    report: (v) => {
      throw new Error(`violation ${v.code}`);
    },
    gate,
  });
  for (const c of chunks) t.write(c);
  t.end();
  const merged: string[][] = [];
  let pending = '';
  for (const tok of out) {
    pending += tok.value;
    if (tok.more) continue;
    merged.push([tok.path, tok.key, tok.kind, pending]);
    pending = '';
  }
  return merged;
}

/** The tokens JSON.parse's reading of `value` gives (integers only: their literal is their JSON.stringify). */
function expected(value: unknown, path = '$', key = ''): string[][] {
  if (value === null) return [[path, key, 'null', 'null']];
  if (typeof value === 'string') return [[path, key, 'string', value]];
  if (typeof value !== 'object') return [[path, key, typeof value, JSON.stringify(value)]];
  if (Array.isArray(value)) return value.flatMap((v, i) => expected(v, `${path}[${i}]`, ''));
  return Object.entries(value as object).flatMap(([k, v]) => expected(v, `${path}.${k}`, k));
}

/**
 * Events whose members repeat, change, and change in the ways a byte comparison could get wrong: the same length, a
 * prefix of the last value, the last value plus a byte, the same text spelled with an escape, the same bytes no longer
 * closed by a quote, UTF-8, the empty string, a number where a string was, a value too long to keep.
 */
const EVENTS = [
  { imei: '862012345678901', ssid: '邻居家', name: 'Mimi', id: 'TOY-1', e: '', v: 'abc', n: 1 },
  { imei: '862012345678901', ssid: '邻居家', name: 'Mimi', id: 'TOY-2', e: '', v: 'ab', n: 'x' },
  { imei: '862012345678901', ssid: '邻居家', name: 'Mimo', id: 'TOY-3', e: '', v: 'abc', n: 2 },
  { imei: '862012345678901', ssid: '邻居', name: 'Mimi', id: 'TOY-3', e: 'x', v: 'abcd', n: 'x' },
  { imei: '86201234567890', ssid: '邻居家', name: 'Mimi', id: 'TOY-3', e: '', v: 'abc', n: 'x' },
  { imei: '862012345678901', ssid: '邻居家', name: 'Mimi', id: 'TOY-3', e: '', v: 'x'.repeat(MEMO_VALUE_BYTES + 1) },
  { imei: '862012345678901', ssid: '邻居家', name: 'Mimi', id: 'TOY-3', e: '', v: 'x'.repeat(MEMO_VALUE_BYTES + 1) },
];

/** `repeatedValue` of buf[i, end). */
const found = (slot: number, buf: Uint8Array, i: number, end: number) =>
  repeatedValue(slot, buf, new DataView(buf.buffer, buf.byteOffset, buf.length), i, end);

describe('JSON repeated values', () => {
  it('finds a kept value of any length only when every byte and the closing quote match', () => {
    const slot = 9;
    for (let n = 0; n <= MEMO_VALUE_BYTES; n++) {
      const value = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH'.slice(0, n);
      const bytes = utf8(`${value}"`);
      keepValue(slot, bytes, 0, n, value, true);
      expect(found(slot, bytes, 0, bytes.length)).toBe(n);
      expect(found(slot, utf8(`${value}x"`), 0, n + 2)).toBe(-1);
      expect(found(slot, utf8(`${value}\\"`), 0, n + 2)).toBe(-1);
      for (let j = 0; j < n; j++)
        expect(found(slot, utf8(`${value.slice(0, j)}_${value.slice(j + 1)}"`), 0, n + 1)).toBe(-1);
    }
  });

  it('keeps a value with its bytes, and finds it again only when the same bytes are closed by a quote', () => {
    const slot = 7;
    const bytes = utf8('..862012345678901"');
    keepValue(slot, bytes, 2, 17, '862012345678901', true);
    expect(found(slot, bytes, 2, bytes.length)).toBe(15);
    expect([repeatedText(slot), repeatedAscii(slot)]).toEqual(['862012345678901', true]);
    expect(found(slot, utf8('862012345678901'), 0, 15)).toBe(-1); // the chunk ends before the quote
    expect(found(slot, utf8('862012345678902"'), 0, 16)).toBe(-1);
    expect(found(slot, utf8('8620123456789012"'), 0, 17)).toBe(-1);
    expect(found(slot, utf8('86201234567890"'), 0, 15)).toBe(-1);
    const utf = utf8('邻居家"');
    keepValue(slot, utf, 0, utf.length - 1, '邻居家', false);
    expect([found(slot, utf, 0, utf.length), repeatedAscii(slot)]).toEqual([9, false]);
    // Too long to keep: the slot keeps its last value.
    const long = utf8(`${'y'.repeat(MEMO_VALUE_BYTES + 1)}"`);
    keepValue(slot, long, 0, long.length - 1, 'y'.repeat(MEMO_VALUE_BYTES + 1), true);
    expect(found(slot, long, 0, long.length)).toBe(-1);
    expect(repeatedText(slot)).toBe('邻居家');
  });

  it('gives the tokens JSON.parse reads, at every split, whatever the memo holds from the run before', () => {
    // Each split is tokenized after the previous one filled the memo: values are recognised or not depending on
    // where the chunk boundary falls, and the tokens must not change.
    for (const doc of [EVENTS, { events: EVENTS }]) {
      const text = utf8(JSON.stringify(doc));
      const want = expected(doc);
      for (const chunks of everySplit(text, text.length)) expect(tokens(chunks)).toEqual(want);
    }
  });

  it('takes an escaped spelling of a repeated value as any string (the bytes differ, the text is the same)', () => {
    const doc = '[{"v":"abc"},{"v":"abc"},{"v":"a\\u0062c"},{"v":"ab\\"c"},{"v":"abc"}]';
    const want = expected(JSON.parse(doc));
    for (const chunks of everySplit(utf8(doc), doc.length)) expect(tokens(chunks)).toEqual(want);
  });

  it('asks the gate about a repeated ASCII value by its string, the same answer as for its bytes; UTF-8 is never asked', () => {
    const doc = utf8(JSON.stringify(EVENTS));
    const asked: string[] = [];
    const byText: string[] = [];
    const gate: TokenGate = {
      scalar: () => true,
      ascii(key, buf, start, end) {
        asked.push(`${key}=${Buffer.from(buf.subarray(start, end)).toString()}`);
        return key !== 'name';
      },
      text(key, value) {
        asked.push(`${key}=${value}`);
        byText.push(key);
        return key !== 'name';
      },
    };
    const want = expected(EVENTS).filter((t) => t[1] !== 'name' || t[2] !== 'string');
    expect(tokens([doc], {}, gate)).toEqual(want);
    expect(asked.filter((a) => a.startsWith('ssid='))).toEqual([]);
    expect(asked.filter((a) => a.startsWith('imei='))).toEqual(EVENTS.map((e) => `imei=${e.imei}`));
    expect(byText).toContain('imei'); // asked by its string: the memo's
    // A string cut by a chunk end is made in pieces without asking (json-tokens.ts): at most the one name cut here.
    const unnamed = (ts: string[][]) => ts.filter((t) => t[1] !== 'name');
    for (const chunks of everySplit(doc, doc.length)) {
      const r = tokens(chunks, {}, gate);
      expect(unnamed(r)).toEqual(unnamed(want));
      expect(r.length - unnamed(r).length).toBeLessThanOrEqual(1);
    }
  });

  it('cuts a repeated value into pieces where MAX_TOKEN_BYTES is shorter than it', () => {
    const doc = utf8(JSON.stringify(EVENTS));
    tokens([doc]); // the memo now holds the events' values
    for (const chunks of everySplit(doc, doc.length)) {
      const out: Token[] = [];
      const t = new JsonTokenizer((tok) => out.push(tok), {
        limits: resolveLimits({ MAX_TOKEN_BYTES: 4 }),
        report() {},
      });
      for (const c of chunks) t.write(c);
      t.end();
      expect(out.every((tok) => tok.value.length <= 4)).toBe(true);
      expect(out.filter((tok) => tok.key === 'imei').map((tok) => tok.value)).toEqual(
        EVENTS.flatMap((e) => e.imei.match(/.{1,4}/g) ?? []),
      );
    }
  });

  it('reads generated batches of repeating events like JSON.parse, cut at random places', () => {
    const event = fc.record({
      a: fc.constantFrom('862012345678901', '86201234567890', '邻居家', '', 'ab', 'abc'),
      b: fc.oneof(fc.string({ maxLength: 50 }), fc.integer()),
      c: fc.constantFrom('x', 'y', '\u00e9', 'x"y'),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 80 }), fc.array(fc.nat()), (events, cuts) => {
        const text = utf8(JSON.stringify({ events }));
        expect(tokens(splitAt(text, cuts))).toEqual(expected({ events }));
      }),
      { numRuns: 200 },
    );
  });
});

/**
 * Text helpers every tokenizer of this folder shares (JSON, form, binary): the options they take, the path segment
 * of a key, key and string cutting that never splits a surrogate pair, and StringPieces, which streams a long
 * string in content-determined pieces so the tokens do not depend on chunk boundaries. No tokenizer here.
 */
import type { Buffer } from 'node:buffer';
import type { Limits } from '../model/limits.ts';
import type { ViolationSink } from '../model/violation.ts';
import type { TokenGate } from './filter.ts';

/** Options shared by the tokenizers of this folder. */
export interface TokenizerOptions {
  limits: Limits;
  report: ViolationSink;
  /** `Token.depth` of every token: the nesting level of the part being tokenized (0 = message body). */
  depth?: number;
  /** Prepended verbatim to every path, e.g. `$.payload>` for a part decoded from the value at `$.payload`. */
  pathPrefix?: string;
  /** Asked before a whole scalar is made (JSON only); absent: every token is made. */
  gate?: TokenGate | undefined;
  /** Numbers the containers (Token.container): one per message, shared by its tokenizers; absent: the tokenizer's own. */
  ids?: ContainerIds | undefined;
}

/**
 * Container numbers for one message (Token.container): each container a tokenizer opens takes the next one, so
 * numbers are small integers, unique within the message whatever tokenizer drew them.
 */
export class ContainerIds {
  #next = 0;

  next(): number {
    return this.#next++;
  }
}

/** Node's long-standing slicers behind `Buffer#toString`, called directly to skip the encoding lookup. */
export type SliceBuffer = Buffer & {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
};

/** The value of an ASCII hex digit, or -1. */
export function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x57 : -1;
}

/** ASCII bytes allowed in a dotted path segment; other keys are quoted (`$["a.b"]`). */
const PLAIN_KEY = new Uint8Array(128);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-$@') PLAIN_KEY[ch.charCodeAt(0)] = 1;

/** The path segment for an object key: `.name` when plain, `["a.b"]` (JSON-quoted) otherwise. */
export function keySegment(key: string): string {
  if (key.length === 0) return '[""]';
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x80 ? PLAIN_KEY[c] === 0 : c < 0xa0) return `[${JSON.stringify(key)}]`;
  }
  return '.' + key;
}

const isHighSurrogate = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;

/**
 * Length of the next piece of a streamed string holding more than `max` UTF-16 units: `max`, or `max - 1`
 * so as not to split a surrogate pair. Depends only on the content, never on the chunk boundaries.
 */
export function pieceLength(text: string, max: number): number {
  return max > 1 && isHighSurrogate(text.charCodeAt(max - 1)) && isLowSurrogate(text.charCodeAt(max)) ? max - 1 : max;
}

/** A key cut to `max` UTF-16 units (one fewer rather than split a surrogate pair). */
export function cutKey(key: string, max: number): string {
  if (key.length <= max) return key;
  return key.slice(0, max > 0 && isHighSurrogate(key.charCodeAt(max - 1)) ? max - 1 : max);
}

/**
 * A string streamed in content-determined pieces of at most `max` UTF-16 units (Token `offset`/`more`): text is
 * pushed as it is decoded, a piece leaves as soon as more than `max` units wait, the rest at `finish`.
 */
export class StringPieces {
  readonly #max: number;
  readonly #emit: (value: string, offset: number, more: boolean) => void;
  #text = '';
  #offset = 0;

  constructor(max: number, emit: (value: string, offset: number, more: boolean) => void) {
    this.#max = Math.max(1, max);
    this.#emit = emit;
  }

  /** Nothing of the current string has been pushed yet. */
  get empty(): boolean {
    return this.#offset === 0 && this.#text === '';
  }

  push(text: string): void {
    this.#text += text;
    const max = this.#max;
    while (this.#text.length > max) {
      const n = pieceLength(this.#text, max);
      this.#emit(this.#text.slice(0, n), this.#offset, true);
      this.#offset += n;
      this.#text = this.#text.slice(n);
    }
  }

  /**
   * Pushes ASCII bytes, cutting whole pieces straight from the bytes (one copy each, no concatenation to flatten).
   * ASCII holds no surrogate, so every cut here is exactly at `max`.
   */
  pushAscii(buf: SliceBuffer, start: number, end: number): void {
    const max = this.#max;
    let text = this.#text;
    while (text.length + (end - start) > max) {
      const need = max - text.length;
      this.#emit(text + buf.latin1Slice(start, start + need), this.#offset, true);
      this.#offset += max;
      start += need;
      text = '';
    }
    this.#text = start < end ? text + buf.latin1Slice(start, end) : text;
  }

  /** Emits the last piece (the whole string when it was short) and resets for the next string. */
  finish(): void {
    const text = this.#text;
    const offset = this.#offset;
    this.#text = '';
    this.#offset = 0;
    this.#emit(text, offset, false);
  }
}

/**
 * The JSON-like half shared by the CBOR and MessagePack tokenizers: maps and arrays (definite counts or, for
 * CBOR, indefinite until a break), map keys of any scalar type stringified, paths built like JSON's (`$.phone`,
 * `$.list[2]`, `$["a.b"]`), text values streamed in pieces, byte strings handed to the `onBytes` hook.
 * A subclass only reads its format's item headers and calls the protected item methods; it never builds paths.
 * Not for protobuf, whose structure is guessed rather than declared (protobuf-tokens.ts).
 */
import type { TokenKind } from '../model/token.ts';
import { BinaryInput, type BinaryTokenizerOptions, decodeText, TextStream } from './binary-tokens.ts';
import type { TokenSink } from './filter.ts';
import { cutKey, keySegment } from './token-text.ts';

// What the payload bytes being read are.
const TEXT = 0;
const BYTES = 1;
const SKIP = 2;
const KEY_TEXT = 3;
const KEY_BYTES = 4;

/** Hex digits of a byte-string key kept at most (keys are cut at MAX_KEY_BYTES anyway). */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export abstract class TreeTokenizer extends BinaryInput {
  readonly #maxDepth: number;
  readonly #maxKey: number;
  readonly #minBytes: number;
  /** The longest string or byte string a length field may announce (MAX_INFLATE_BYTES). */
  protected readonly maxLength: number;

  // Open containers, innermost last (level 0 = top level, no container).
  #level = 0;
  readonly #isMap: Uint8Array;
  /** Items (arrays) or pairs (maps) still to come; -1 = indefinite, ends at a break. */
  readonly #left: Float64Array;
  readonly #index: Int32Array;
  readonly #expectKey: Uint8Array;
  readonly #framePath: string[] = [];
  readonly #frameKey: string[] = [];
  /** Number of each open container (Token.container); [0]: the tokenizer's own, for top-level items. */
  readonly #frameNo: Int32Array;

  // The value being read.
  #path = '';
  /** The container holding the item being read (its own path at the top level). */
  #parent = '';
  #container = 0;
  #outer = 0;
  #key = '';
  /** Bytes of the current text/byte string still to read (its current chunk, for an indefinite one). */
  protected payload = 0;
  #mode = TEXT;
  /** The current string is indefinite (CBOR): it ends at a break, not when `payload` reaches 0. */
  protected indefinite = false;
  #keyText = '';
  /** Decodes a key's bytes, which may arrive in several pieces. */
  readonly #keyDecoder = new TextDecoder('utf-8');
  readonly #text: TextStream;

  constructor(sink: TokenSink, opts: BinaryTokenizerOptions) {
    super(sink, opts);
    const max = opts.limits.MAX_JSON_DEPTH;
    this.#maxDepth = max;
    this.#maxKey = opts.limits.MAX_KEY_BYTES;
    this.#minBytes = opts.minBytes ?? 1;
    this.maxLength = opts.limits.MAX_INFLATE_BYTES;
    this.#isMap = new Uint8Array(max + 1);
    this.#left = new Float64Array(max + 1);
    this.#index = new Int32Array(max + 1);
    this.#expectKey = new Uint8Array(max + 1);
    this.#frameNo = new Int32Array(max + 1);
    this.#frameNo[0] = this.ids.next();
    this.#text = new TextStream(this.maxToken, (v, o, m) =>
      this.emit(this.#path, this.#parent, this.#container, this.#outer, this.#key, 'string', v, o, m),
    );
  }

  protected finish(): string | undefined {
    if (this.payload > 0 || this.indefinite) return 'a string is incomplete';
    if (this.#level > 0) return 'a container is incomplete';
    return undefined;
  }

  /** Sets path and key for the item starting now; true when the item is a map key. */
  #begin(): boolean {
    const level = this.#level;
    this.#container = this.#frameNo[level]!;
    this.#outer = this.#frameNo[level > 1 ? level - 1 : level]!;
    if (level === 0) {
      this.#path = this.root;
      this.#parent = this.root;
      this.#key = '';
      return false;
    }
    if (this.#isMap[level] === 1) {
      if (this.#expectKey[level] === 1) return true;
      this.#key = this.#frameKey[level]!;
      this.#parent = this.#framePath[level]!;
      this.#path = this.#parent + keySegment(this.#key);
      return false;
    }
    this.#key = '';
    this.#parent = this.#framePath[level]!;
    this.#path = `${this.#parent}[${this.#index[level]}]`;
    return false;
  }

  /** A scalar item; `emit` false for values that carry nothing (CBOR simple values, MessagePack ext). */
  protected scalar(kind: TokenKind, text: string, emit = true): void {
    if (this.#begin()) this.#frameKey[this.#level] = cutKey(text, this.#maxKey);
    else if (emit) this.emit(this.#path, this.#parent, this.#container, this.#outer, this.#key, kind, text);
    this.#itemDone();
  }

  /** A text or byte string of `length` bytes (its first chunk's length when indefinite). */
  protected string(isText: boolean, length: number, indefinite: boolean): void {
    const isKey = this.#begin();
    if (isKey) {
      this.#keyText = '';
      this.#keyDecoder.decode(); // drops what an earlier, cut key left pending
    }
    this.#mode = isKey
      ? isText
        ? KEY_TEXT
        : KEY_BYTES
      : isText
        ? TEXT
        : this.opts.onBytes && (indefinite || length >= this.#minBytes)
          ? BYTES
          : SKIP;
    this.indefinite = indefinite;
    this.payload = length;
    if (length === 0 && !indefinite) this.#endString(true);
  }

  /** Bytes to skip as one value that gives no token (MessagePack ext). */
  protected skip(length: number): void {
    const isKey = this.#begin();
    if (isKey) this.#keyText = '';
    this.#mode = isKey ? KEY_TEXT : SKIP;
    this.indefinite = false;
    this.payload = length;
    if (length === 0) this.#endString(true);
  }

  /** The next chunk of an indefinite string. */
  protected stringChunk(length: number): void {
    this.payload = length;
  }

  /** The break that ends an indefinite string. */
  protected stringBreak(): void {
    this.indefinite = false;
    if (this.#mode === BYTES) this.opts.onBytes?.(this.#path, new Uint8Array(0), true);
    this.#endString(true);
  }

  /** Reads payload bytes of the current string from `buf[i, end)`; returns the position after them. */
  protected readPayload(buf: Uint8Array, i: number, end: number): number {
    const n = Math.min(end - i, this.payload);
    this.payload -= n;
    const done = this.payload === 0 && !this.indefinite;
    switch (this.#mode) {
      case TEXT:
        if (done && this.#text.idle && n <= this.maxToken) {
          // The usual case: a whole short string in this view.
          this.emit(
            this.#path,
            this.#parent,
            this.#container,
            this.#outer,
            this.#key,
            'string',
            decodeText(buf, i, i + n),
          );
          this.#endString(false);
          return i + n;
        }
        this.#text.push(buf.subarray(i, i + n));
        break;
      case BYTES:
        this.opts.onBytes?.(this.#path, buf.subarray(i, i + n), done);
        break;
      case KEY_TEXT:
        if (this.#keyText.length < this.#maxKey) {
          const text = this.#keyDecoder.decode(buf.subarray(i, i + n), { stream: !done });
          this.#keyText = cutKey(this.#keyText + text, this.#maxKey);
        }
        break;
      case KEY_BYTES:
        for (let k = i; k < i + n && this.#keyText.length < this.#maxKey; k++) this.#keyText += HEX[buf[k]!];
        break;
    }
    if (done) this.#endString(true);
    return i + n;
  }

  #endString(finishText: boolean): void {
    const mode = this.#mode;
    if (mode === TEXT && finishText) this.#text.finish();
    if (mode === KEY_TEXT || mode === KEY_BYTES) this.#frameKey[this.#level] = cutKey(this.#keyText, this.#maxKey);
    this.#itemDone();
  }

  /** A map or array of `count` pairs/items (-1 = indefinite). */
  protected open(isMap: boolean, count: number, at: number): void {
    if (this.#begin()) {
      this.fail('container-key', at, 'a map key that is a map or array');
      return;
    }
    if (count === 0) {
      this.#itemDone();
      return;
    }
    if (this.#level >= this.#maxDepth) {
      this.fail('too-deep', at, `nesting deeper than ${this.#maxDepth}`);
      return;
    }
    const level = ++this.#level;
    this.#isMap[level] = isMap ? 1 : 0;
    this.#left[level] = count;
    this.#index[level] = 0;
    this.#expectKey[level] = 1;
    this.#framePath[level] = this.#path;
    this.#frameNo[level] = this.ids.next();
  }

  /** A break (CBOR 0xff) outside a string: closes the innermost indefinite container. */
  protected breakContainer(at: number): void {
    const level = this.#level;
    if (level === 0 || this.#left[level] !== -1 || (this.#isMap[level] === 1 && this.#expectKey[level] === 0)) {
      this.fail('unexpected-break', at, 'a break outside an indefinite container');
      return;
    }
    this.#level--;
    this.#itemDone();
  }

  #itemDone(): void {
    while (this.#level > 0) {
      const level = this.#level;
      if (this.#isMap[level] === 1) {
        if (this.#expectKey[level] === 1) {
          this.#expectKey[level] = 0;
          return;
        }
        this.#expectKey[level] = 1;
      }
      this.#index[level]!++;
      const left = this.#left[level]!;
      if (left < 0) return;
      if (left > 1) {
        this.#left[level] = left - 1;
        return;
      }
      this.#level--;
    }
  }
}

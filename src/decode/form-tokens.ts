/**
 * Token streams for the flat key=value syntaxes: application/x-www-form-urlencoded bodies (streaming, chunk by
 * chunk), the query string of a request target, message headers (Cookie split into its cookies) and an MQTT
 * CONNECT's identity fields (client id, username, password).
 * Paths are `$.<name>` (quoted like JSON keys when needed); repeated names give one token each.
 * It is not a URL parser (only the part between `?` and `#` is read) and it does not unquote cookie values.
 */
import { Buffer } from 'node:buffer';
import { TextDecoder } from 'node:util';
import type { Headers, MqttMeta } from '../model/message.ts';
import type { Token, TokenSource } from '../model/token.ts';
import type { Tokenizer, TokenSink } from './filter.ts';
import {
  ContainerIds,
  cutKey,
  hexValue,
  keySegment,
  type SliceBuffer,
  StringPieces,
  type TokenizerOptions,
} from './token-text.ts';

export interface FormTokenizerOptions extends TokenizerOptions {
  /** WHATWG label of the charset of the %XX-decoded bytes (`gbk`, `gb18030`, `big5`, …); default `utf-8`. */
  charset?: string;
  /** `form` for a body (default), `query` for a query string. */
  source?: 'form' | 'query';
}

/** Decoded bytes of a value held before they are turned into text (bounds memory on huge values). */
const FIELD_FLUSH_BYTES = 16 * 1024;

/** Bytes that end a run of plain bytes: `&`, `%`, `+`, and in a key also `=`. */
const KEY_STOP = new Uint8Array(256);
const VALUE_STOP = new Uint8Array(256);
for (const c of [0x26, 0x25, 0x2b]) {
  KEY_STOP[c] = 1;
  VALUE_STOP[c] = 1;
}
KEY_STOP[0x3d] = 1;

export class FormTokenizer implements Tokenizer {
  readonly #sink: TokenSink;
  readonly #report: FormTokenizerOptions['report'];
  readonly #source: TokenSource;
  readonly #depth: number;
  readonly #root: string;
  /** The number of the one container every field belongs to. */
  readonly #container: number;
  readonly #maxKey: number;
  readonly #decoder: TextDecoder;
  readonly #pieces: StringPieces;

  /** Decoded bytes of the current key or value not yet turned into text. */
  #bytes = Buffer.allocUnsafe(256) as SliceBuffer;
  #len = 0;
  /** OR of the bytes in `#bytes` (≥ 0x80 means not plain ASCII). */
  #high = 0;
  /** The stream decoder holds state for this value. */
  #decoding = false;
  #inValue = false;
  #key = '';
  #path = '';

  /** Percent escape in progress: 0 none, 1 after `%`, 2 after `%X`. */
  #pct = 0;
  #pctFirst = 0;
  /** Input offset of the `%` in progress. */
  #pctOffset = 0;
  #badPercentReported = false;
  #consumed = 0;
  #ended = false;

  constructor(sink: TokenSink, opts: FormTokenizerOptions) {
    this.#sink = sink;
    this.#report = opts.report;
    this.#source = opts.source ?? 'form';
    this.#depth = opts.depth ?? 0;
    this.#root = (opts.pathPrefix ?? '') + '$';
    this.#container = (opts.ids ?? new ContainerIds()).next();
    this.#maxKey = opts.limits.MAX_KEY_BYTES;
    this.#decoder = makeDecoder(opts.charset, opts.report);
    this.#pieces = new StringPieces(opts.limits.MAX_TOKEN_BYTES, (value, offset, more) =>
      this.#emit(value, offset, more),
    );
  }

  write(chunk: Uint8Array): void {
    if (this.#ended) return;
    const end = chunk.length;
    let i = 0;
    while (i < end) {
      if (this.#pct !== 0) {
        if (this.#percent(chunk[i]!)) i++;
        continue;
      }
      const stop = this.#inValue ? VALUE_STOP : KEY_STOP;
      const start = i;
      while (i < end && stop[chunk[i]!] === 0) i++;
      if (i > start) this.#pushRun(chunk, start, i);
      if (i === end) break;
      const c = chunk[i++]!;
      if (c === 0x26) this.#endField();
      else if (c === 0x3d) this.#endKey();
      else if (c === 0x2b) this.#pushByte(0x20);
      else {
        this.#pct = 1;
        this.#pctOffset = this.#consumed + i - 1;
      }
    }
    this.#consumed += end;
  }

  end(): void {
    if (this.#ended) return;
    this.#endField();
    this.#ended = true;
  }

  /** One byte of a percent escape; false when the escape was bad and the byte must be read again as plain. */
  #percent(c: number): boolean {
    const h = hexValue(c);
    if (h >= 0 && this.#pct === 1) {
      this.#pct = 2;
      this.#pctFirst = c;
      return true;
    }
    if (h >= 0) {
      this.#pct = 0;
      this.#pushByte((hexValue(this.#pctFirst) << 4) | h);
      return true;
    }
    this.#literalPercent();
    return false;
  }

  /** A bad or unfinished escape: its bytes are kept as they were, reported once per tokenizer. */
  #literalPercent(): void {
    this.#pushByte(0x25);
    if (this.#pct === 2) this.#pushByte(this.#pctFirst);
    this.#pct = 0;
    if (this.#badPercentReported) return;
    this.#badPercentReported = true;
    this.#report({
      decoder: this.#source,
      code: 'bad-percent-escape',
      message: 'a % not followed by two hex digits was kept as it was',
      offset: this.#pctOffset,
    });
  }

  #pushRun(chunk: Uint8Array, start: number, end: number): void {
    while (start < end) {
      const n = Math.min(end - start, FIELD_FLUSH_BYTES - this.#len);
      this.#reserve(n);
      const bytes = this.#bytes;
      let high = this.#high;
      let len = this.#len;
      for (let i = start; i < start + n; i++) {
        const c = chunk[i]!;
        high |= c;
        bytes[len++] = c;
      }
      this.#high = high;
      this.#len = len;
      start += n;
      if (this.#len >= FIELD_FLUSH_BYTES) this.#flush();
    }
  }

  /** Grows the field buffer (from 256 bytes up to FIELD_FLUSH_BYTES) to hold `n` more bytes. */
  #reserve(n: number): void {
    if (this.#len + n <= this.#bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.min(FIELD_FLUSH_BYTES, Math.max(this.#len + n, this.#bytes.length * 2)));
    grown.set(this.#bytes.subarray(0, this.#len));
    this.#bytes = grown as SliceBuffer;
  }

  #pushByte(c: number): void {
    this.#reserve(1);
    this.#bytes[this.#len++] = c;
    this.#high |= c;
    if (this.#len >= FIELD_FLUSH_BYTES) this.#flush();
  }

  /** Turns the held bytes into text: into the value's pieces, or (bounded) into the key. */
  #flush(): void {
    const text = this.#text(true);
    if (this.#inValue) this.#pieces.push(text);
    else this.#key = cutKey(this.#key + text, this.#maxKey);
  }

  /** The held bytes as text; `stream` keeps an unfinished multibyte sequence in the decoder for the next call. */
  #text(stream: boolean): string {
    const len = this.#len;
    const ascii = this.#high < 0x80 && !this.#decoding;
    this.#len = 0;
    this.#high = 0;
    if (ascii) return this.#bytes.latin1Slice(0, len);
    this.#decoding = stream;
    return this.#decoder.decode(this.#bytes.subarray(0, len), { stream });
  }

  #endKey(): void {
    this.#key = cutKey(this.#key + this.#text(false), this.#maxKey);
    this.#path = this.#root + keySegment(this.#key);
    this.#inValue = true;
  }

  /** `&` or the end: emits the field (a key without `=` gives an empty value; an empty field gives nothing). */
  #endField(): void {
    if (this.#pct !== 0) this.#literalPercent();
    if (!this.#inValue) {
      if (this.#len === 0 && this.#key === '') return;
      this.#endKey();
    }
    this.#pieces.push(this.#text(false));
    this.#pieces.finish();
    this.#inValue = false;
    this.#key = '';
  }

  #emit(value: string, offset: number, more: boolean): void {
    const t: Token = {
      source: this.#source,
      path: this.#path,
      parent: this.#root,
      container: this.#container,
      outer: this.#container,
      key: this.#key,
      kind: 'string',
      value,
      offset,
      more,
      depth: this.#depth,
    };
    this.#sink(t);
  }
}

function makeDecoder(charset: string | undefined, report: FormTokenizerOptions['report']): TextDecoder {
  try {
    return new TextDecoder(charset ?? 'utf-8');
  } catch {
    report({ decoder: 'form', code: 'unknown-charset', message: 'unknown charset label, decoding as utf-8' });
    return new TextDecoder('utf-8');
  }
}

/** Tokens of the query string of a request target (`/p?a=1&b=2#f`): source `query`, path `$.a`. */
export function queryTokens(url: string, sink: TokenSink, opts: FormTokenizerOptions): void {
  const q = url.indexOf('?');
  if (q < 0) return;
  const hash = url.indexOf('#', q);
  const t = new FormTokenizer(sink, { ...opts, source: 'query' });
  t.write(Buffer.from(hash < 0 ? url.slice(q + 1) : url.slice(q + 1, hash), 'utf8'));
  t.end();
}

/**
 * Tokens of message headers: source `header`, path `$.<lower-case name>`, the value whole (Authorization
 * included); a Cookie header gives one token per cookie at `$.cookie.<name>`.
 */
export function headerTokens(headers: Headers, sink: TokenSink, opts: TokenizerOptions): void {
  const { root, emit, next } = flatEmitter(sink, opts);
  const top = next();
  const cookies = `${root}.cookie`;
  let cookieNo = -1;
  for (const [name, value] of headers) {
    const lower = cutKey(name.toLowerCase(), opts.limits.MAX_KEY_BYTES);
    if (lower !== 'cookie') {
      emit(root + keySegment(lower), root, top, top, lower, value);
      continue;
    }
    if (cookieNo < 0) cookieNo = next();
    for (const part of value.split(';')) {
      const eq = part.indexOf('=');
      const cookie = cutKey((eq < 0 ? part : part.slice(0, eq)).trim(), opts.limits.MAX_KEY_BYTES);
      if (cookie === '' && eq < 0) continue;
      emit(cookies + keySegment(cookie), cookies, cookieNo, top, cookie, eq < 0 ? '' : part.slice(eq + 1).trim());
    }
  }
}

/** `k=v` members of a credential field (`XY1|securemode=3,signmethod=hmacsha1|`, `user?token=…&x=1`). */
const FIELD_MEMBER = /(?:^|[|,;&?])([A-Za-z_][\w.-]{0,63})=([^|,;&?]*)/g;

/**
 * Tokens of an MQTT CONNECT's identity fields: source `header`, `$.client-id`, `$.username` and `$.password`
 * (the Secret revealed here and nowhere else), each whole; `k=v` members inside a field (IoT platforms pack
 * signing parameters, device names and tokens into them) also as `$.<field>.<k>`.
 */
export function mqttConnectTokens(meta: MqttMeta, sink: TokenSink, opts: TokenizerOptions): void {
  const { root, emit, next } = flatEmitter(sink, opts);
  const top = next();
  const fields: Array<[string, string | undefined]> = [
    ['client-id', meta.clientId],
    ['username', meta.username],
    ['password', meta.password?.reveal()],
  ];
  for (const [name, value] of fields) {
    if (value === undefined) continue;
    const path = root + keySegment(name);
    emit(path, root, top, top, name, value);
    let fieldNo = -1;
    for (const m of value.matchAll(FIELD_MEMBER)) {
      const k = cutKey(m[1]!, opts.limits.MAX_KEY_BYTES);
      if (fieldNo < 0) fieldNo = next();
      emit(path + keySegment(k), path, fieldNo, top, k, m[2]!);
    }
  }
}

/** One whole string token per call, in MAX_TOKEN_BYTES pieces: the flat syntaxes' shared emitter. */
function flatEmitter(sink: TokenSink, opts: TokenizerOptions) {
  const root = (opts.pathPrefix ?? '') + '$';
  const depth = opts.depth ?? 0;
  const ids = opts.ids ?? new ContainerIds();
  let path = '';
  let parent = root;
  let container = 0;
  let outer = 0;
  let key = '';
  const pieces = new StringPieces(opts.limits.MAX_TOKEN_BYTES, (value, offset, more) =>
    sink({ source: 'header', path, parent, container, outer, key, kind: 'string', value, offset, more, depth }),
  );
  /** One token at `p` in the container `holder` (numbered `no`, held by `outerNo`). */
  const emit = (p: string, holder: string, no: number, outerNo: number, k: string, value: string): void => {
    path = p;
    parent = holder;
    container = no;
    outer = outerNo;
    key = k;
    pieces.push(value);
    pieces.finish();
  };
  return { root, emit, next: () => ids.next() };
}

/**
 * XML bodies as tokens (source `xml`), streaming: an element's text is a string token named after the element
 * (`<imei>490…</imei>` → key `imei`, path `$.report.imei`), an attribute a token named after the attribute, so the
 * analyzers read XML by key as they read JSON (a SOAP envelope, a device's XML report, a property list). Members of
 * one element share its container number: `<report><latitude>…<longitude>…` pair as one object. A property list's
 * `<dict>` names its values by their `<key>` (`<key>lat</key><real>39.9</real>` → key `lat`, a number); `<array>`
 * members are `[i]`. Namespace prefixes are dropped (`soap:Body` → `Body`). Entities: the five predefined and
 * character references; no DTD is read (a document's own entities stay as written: no expansion, no bombs).
 * Bounded: MAX_JSON_DEPTH elements deep, a tag or a comment at most MAX_TAG_CHARS, long text in MAX_TOKEN_BYTES
 * pieces. Malformed input is reported once (decoder `xml`) and the rest of the part is not tokenized.
 */
import type { Limits } from '../model/limits.ts';
import type { Token, TokenKind } from '../model/token.ts';
import type { ViolationSink } from '../model/violation.ts';
import type { Tokenizer, TokenSink } from './filter.ts';
import { createTextDecoder } from './text.ts';
import { type ContainerIds, cutKey, keySegment, pieceLength } from './token-text.ts';

/** The longest tag (with its attributes), comment, CDATA section or declaration read; past it the part is malformed. */
export const MAX_TAG_CHARS = 64 * 1024;

export interface XmlTokenizerOptions {
  limits: Pick<Limits, 'MAX_TOKEN_BYTES' | 'MAX_JSON_DEPTH' | 'MAX_KEY_BYTES'>;
  report: ViolationSink;
  depth?: number;
  pathPrefix?: string;
  ids: ContainerIds;
  charset?: string | undefined;
}

/** What holds a token: an element (its attributes, its children's values) or the document. */
interface Holder {
  path: string;
  container: number;
  /** The container of the element holding this one (its own for the document). */
  outer: number;
}

/** An open element. */
interface Frame extends Holder {
  name: string;
  /** A property list's `dict`: the next value is named by the last `<key>`. */
  dict: boolean;
  array: boolean;
  /** Members seen, for `[i]` of an `array`. */
  members: number;
  /** In a `dict`, the text of the last `<key>`, waiting for its value. */
  pendingKey: string | undefined;
  /** The element's own text, for the value token made at its end tag (or in pieces when long). */
  text: string;
  /** Characters of the text already emitted as pieces. */
  emitted: number;
  /** A child element opened: whitespace text is layout, not a value. */
  hasChildren: boolean;
  /** The key and path its value token takes (the plist key, or its own name). */
  key: string;
  valuePath: string;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const ATTRIBUTE = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
const PLIST_NUMBERS = new Set(['real', 'integer']);

/** `&lt;`, `&#233;`, `&#xE9;` decoded; unknown entities stay as written. */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|[a-zA-Z]{2,8});/g, (whole, name: string) => {
    if (name.startsWith('#')) {
      const code = name[1] === 'x' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name] ?? whole;
  });
}

const localName = (qname: string) => qname.slice(qname.indexOf(':') + 1);

export class XmlTokenizer implements Tokenizer {
  readonly #sink: TokenSink;
  readonly #opts: XmlTokenizerOptions;
  readonly #decoder: Tokenizer;
  /** The document, holder of the root element's value. */
  readonly #doc: Holder;
  readonly #stack: Frame[] = [];
  /** Decoded text not yet read: an unfinished tag, or text whose end is not known yet. */
  #buf = '';
  /** Inside a CDATA section: its text streams as it comes (a large base64 payload is not held whole). */
  #cdata = false;
  #broken = false;

  constructor(sink: TokenSink, opts: XmlTokenizerOptions) {
    this.#sink = sink;
    this.#opts = opts;
    const container = opts.ids.next();
    this.#doc = { path: `${opts.pathPrefix ?? ''}$`, container, outer: container };
    this.#decoder = createTextDecoder(opts.charset, (text) => this.#text(text), opts.report);
  }

  write(chunk: Uint8Array): void {
    if (!this.#broken) this.#decoder.write(chunk);
  }

  end(): void {
    if (this.#broken) return;
    this.#decoder.end();
    if (this.#stack.length > 0) this.#fail('truncated', `${this.#stack.length} element(s) left open`);
  }

  #text(text: string): void {
    if (this.#broken) return;
    this.#buf += text;
    let at = 0;
    const buf = this.#buf;
    while (at < buf.length && !this.#broken) {
      if (this.#cdata) {
        const end = buf.indexOf(']]>', at);
        // Not closed here: all but the last two characters (a `]]>` may be cut) are its text so far.
        const upTo = end < 0 ? Math.max(at, buf.length - 2) : end;
        this.#content(buf.slice(at, upTo), true);
        at = end < 0 ? upTo : end + 3;
        if (end < 0) break;
        this.#cdata = false;
        continue;
      }
      const lt = buf.indexOf('<', at);
      if (lt < 0) {
        // Text whose end is not here yet: keep a possibly cut entity (`&am`) for the next chunk.
        const amp = buf.lastIndexOf('&');
        const keep = amp >= at && amp > buf.length - 12 && !buf.includes(';', amp) ? amp : buf.length;
        this.#content(buf.slice(at, keep));
        at = keep;
        break;
      }
      if (lt > at) this.#content(buf.slice(at, lt));
      const end = this.#construct(buf, lt);
      if (end < 0) {
        at = lt;
        if (buf.length - lt > MAX_TAG_CHARS) this.#fail('tag-too-long', `a tag past ${MAX_TAG_CHARS} characters`);
        break;
      }
      at = end;
    }
    this.#buf = this.#broken ? '' : buf.slice(at);
  }

  /** Reads the construct at `lt` (`<`…); returns the index past it, or -1 when it is not all here yet. */
  #construct(buf: string, lt: number): number {
    if (buf.startsWith('<!--', lt)) return this.#skipTo(buf, lt, '-->');
    if (buf.startsWith('<![CDATA[', lt)) {
      this.#cdata = true;
      return lt + 9;
    }
    if (buf.length - lt < 9 && '<![CDATA['.startsWith(buf.slice(lt))) return -1; // perhaps a CDATA cut short
    if (buf.startsWith('<?', lt)) return this.#skipTo(buf, lt, '?>');
    if (buf.startsWith('<!', lt)) {
      // A DOCTYPE with an internal subset ends at `]>`; its entities are never expanded.
      const bracket = buf.indexOf('[', lt);
      const gt = buf.indexOf('>', lt);
      if (gt < 0) return -1;
      return bracket >= 0 && bracket < gt ? this.#skipTo(buf, lt, ']>') : gt + 1;
    }
    const gt = buf.indexOf('>', lt);
    if (gt < 0) return -1;
    const tag = buf.slice(lt + 1, gt);
    if (tag.startsWith('/')) this.#close(localName(tag.slice(1).trim()));
    else this.#open(tag);
    return gt + 1;
  }

  #skipTo(buf: string, from: number, end: string): number {
    const i = buf.indexOf(end, from + 2);
    return i < 0 ? -1 : i + end.length;
  }

  #open(tag: string): void {
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const space = body.search(/\s/);
    const qname = space < 0 ? body : body.slice(0, space);
    if (qname === '') {
      this.#fail('bad-tag', 'an empty tag name');
      return;
    }
    if (this.#stack.length >= this.#opts.limits.MAX_JSON_DEPTH) {
      this.#fail('too-deep', `elements nested past MAX_JSON_DEPTH (${this.#opts.limits.MAX_JSON_DEPTH})`);
      return;
    }
    const name = cutKey(localName(qname), this.#opts.limits.MAX_KEY_BYTES);
    const parent = this.#stack.at(-1);
    const holder = parent ?? this.#doc;
    let key = name;
    let path: string;
    if (parent) {
      parent.hasChildren = true;
      this.#flushText(parent);
      // A plist value takes the name of the `<key>` before it (a `<key>` element itself keeps its own).
      if (parent.dict && name !== 'key' && parent.pendingKey !== undefined) {
        key = parent.pendingKey;
        parent.pendingKey = undefined;
      } else if (parent.array) {
        key = '';
      }
      path = parent.array ? `${parent.path}[${parent.members}]` : `${parent.path}${keySegment(key)}`;
      parent.members++;
    } else {
      path = `${this.#doc.path}${keySegment(name)}`;
    }
    const frame: Frame = {
      name,
      path,
      container: this.#opts.ids.next(),
      outer: holder.container,
      dict: name === 'dict',
      array: name === 'array',
      members: 0,
      pendingKey: undefined,
      text: '',
      emitted: 0,
      hasChildren: false,
      key,
      valuePath: path,
    };
    if (space >= 0) this.#attributes(frame, body.slice(space));
    if (selfClosing) {
      // A property list's `<true/>` and `<false/>` are values.
      if (parent?.dict || parent?.array) {
        if (name === 'true' || name === 'false') this.#sink(this.#token(parent, key, path, 'boolean', name, 0, false));
      }
      return;
    }
    this.#stack.push(frame);
  }

  #attributes(frame: Frame, text: string): void {
    ATTRIBUTE.lastIndex = 0;
    for (let m = ATTRIBUTE.exec(text); m !== null; m = ATTRIBUTE.exec(text)) {
      const qname = m[1] as string;
      if (qname === 'xmlns' || qname.startsWith('xmlns:')) continue;
      const key = cutKey(localName(qname), this.#opts.limits.MAX_KEY_BYTES);
      const value = decodeEntities(m[2] ?? m[3] ?? '');
      this.#sink(this.#token(frame, key, `${frame.path}${keySegment(key)}`, 'string', value, 0, false));
    }
  }

  #close(name: string): void {
    const frame = this.#stack.pop();
    if (!frame || frame.name !== name) {
      this.#fail('mismatched-tag', frame ? 'an end tag that closes another element' : 'an end tag with no start');
      return;
    }
    const parent = this.#stack.at(-1);
    if (parent?.dict && frame.name === 'key') {
      parent.pendingKey = cutKey(frame.text.trim(), this.#opts.limits.MAX_KEY_BYTES);
      return;
    }
    this.#flushText(frame);
  }

  /** Text inside the innermost element (or between top-level constructs, where it is ignored). */
  #content(raw: string, cdata = false): void {
    const frame = this.#stack.at(-1);
    if (!frame || raw === '') return;
    frame.text += cdata ? raw : decodeEntities(raw);
    const max = this.#opts.limits.MAX_TOKEN_BYTES;
    while (frame.text.length > max && !(frame.emitted === 0 && frame.text.trim() === '')) {
      if (frame.emitted === 0) frame.text = frame.text.trimStart();
      if (frame.text.length <= max) break;
      const n = pieceLength(frame.text, max);
      this.#emitValue(frame, frame.text.slice(0, n), true);
      frame.text = frame.text.slice(n);
    }
  }

  /**
   * The element's text so far as its value: at its end tag, or before a child element (mixed content: the text
   * before it). Whitespace-only text is layout. A leaf's value is its own token, held by its parent element.
   */
  #flushText(frame: Frame): void {
    const text = frame.emitted === 0 ? frame.text.trim() : frame.text.trimEnd();
    frame.text = '';
    if (text !== '' || frame.emitted > 0) this.#emitValue(frame, text, false);
  }

  #emitValue(frame: Frame, value: string, more: boolean): void {
    const top = this.#stack.at(-1) === frame ? this.#stack.length - 2 : this.#stack.length - 1;
    const holder = this.#stack[top] ?? this.#doc;
    const plist = (holder as Partial<Frame>).dict || (holder as Partial<Frame>).array;
    const number = plist && PLIST_NUMBERS.has(frame.name) && frame.emitted === 0 && !more && /^[-+]?\d/.test(value);
    this.#sink(
      this.#token(holder, frame.key, frame.valuePath, number ? 'number' : 'string', value, frame.emitted, more),
    );
    frame.emitted = more ? frame.emitted + value.length : 0;
  }

  #token(
    holder: Holder,
    key: string,
    path: string,
    kind: TokenKind,
    value: string,
    offset: number,
    more: boolean,
  ): Token {
    const { path: parent, container, outer } = holder;
    return {
      source: 'xml',
      path,
      parent,
      container,
      outer,
      key,
      kind,
      value,
      offset,
      more,
      depth: this.#opts.depth ?? 0,
    };
  }

  #fail(code: string, message: string): void {
    if (this.#broken) return;
    this.#broken = true;
    this.#buf = '';
    this.#opts.report({ decoder: 'xml', code, message });
  }
}

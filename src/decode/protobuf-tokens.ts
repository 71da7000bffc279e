import {
  asBuffer,
  BinaryInput,
  type BinaryTokenizerOptions,
  decodeText,
  float32At,
  float64At,
  floatText,
  looksLikeText,
  plausibleFloat,
  TextStream,
  uint64Text,
} from './binary-tokens.ts';
import type { TokenSink } from './filter.ts';

const FIELD = 0;
const COLLECT = 1;
const STREAM_TEXT = 2;
const STREAM_BYTES = 3;

/** Field keys as strings, made once for the usual small field numbers. */
const KEYS = Array.from({ length: 256 }, (_, i) => String(i));
const keyOf = (n: number): string => (n < 256 ? KEYS[n]! : String(n));

/** Largest length-delimited field accepted (protobuf's own 2 GiB bound). */
const MAX_FIELD_LENGTH = 0x7fffffff;

// Result of the last readVarint (module state: the tokenizers are synchronous).
let vLo = 0;
let vHi = 0;
/** Bytes a varint may still need when a read returns INCOMPLETE. */
const INCOMPLETE = -1;
const MALFORMED = -2;

/**
 * Reads a varint of at most `maxBytes` bytes at `p`: returns the position after it (value in vLo/vHi),
 * INCOMPLETE when `end` cuts it, MALFORMED when it is longer than `maxBytes`.
 */
export function readVarint(b: Uint8Array, p: number, end: number, maxBytes: number): number {
  let lo = 0;
  let hi = 0;
  for (let k = 0; k < maxBytes; k++) {
    if (p >= end) return INCOMPLETE;
    const c = b[p++]!;
    const v = c & 0x7f;
    if (k < 4) lo |= v << (7 * k);
    else if (k === 4) {
      lo |= v << 28;
      hi = v >>> 4;
    } else hi |= v << (7 * k - 32);
    if (c < 0x80) {
      vLo = lo >>> 0;
      vHi = hi >>> 0;
      return p;
    }
  }
  return MALFORMED;
}

/** What `walkFields` accepts beyond the wire format (stricter for guessing a whole body). */
export interface WalkRules {
  /** Highest field number accepted. */
  maxField: number;
  /**
   * Levels below which every complete length-delimited field must itself read as text or as a message (0 = no
   * check). A guess believes no opaque bytes but the last, cut field.
   */
  strictLevels: number;
  /** Field numbers must not decrease within a message (encoders write fields in number order). */
  ordered: boolean;
  /** Groups (wire types 3 and 4, deprecated since proto3) are accepted. */
  groups: boolean;
}

const WIRE_RULES: WalkRules = { maxField: 0x1fffffff, strictLevels: 0, ordered: false, groups: true };

/**
 * Walks `b[s, e)` as protobuf fields without emitting anything: the number of complete fields, or -1 when the
 * bytes are not a message. `complete` = the bytes are the whole message (they must end on a field boundary with
 * groups closed); otherwise they are a prefix and the last field may be cut.
 */
export function walkFields(b: Uint8Array, s: number, e: number, complete: boolean, rules = WIRE_RULES): number {
  let i = s;
  let fields = 0;
  let last = 0;
  const groups: number[] = [];
  const cut = complete ? -1 : fields;
  while (i < e) {
    let p = readVarint(b, i, e, 5);
    if (p === MALFORMED) return -1;
    if (p === INCOMPLETE) return complete ? -1 : fields;
    const field = (vLo >>> 3) + vHi * 0x20000000;
    const wt = vLo & 7;
    if (field === 0 || field > rules.maxField || (rules.ordered && field < last)) return -1;
    last = field;
    switch (wt) {
      case 0:
        p = readVarint(b, p, e, 10);
        if (p === MALFORMED) return -1;
        if (p === INCOMPLETE) return complete ? -1 : fields;
        break;
      case 1:
      case 5:
        p += wt === 1 ? 8 : 4;
        if (p > e) return complete ? -1 : fields;
        break;
      case 2: {
        p = readVarint(b, p, e, 10);
        if (p === MALFORMED || vHi !== 0 || vLo > MAX_FIELD_LENGTH) return -1;
        if (p === INCOMPLETE) return complete ? -1 : fields;
        const len = vLo;
        if (p + len > e) return complete ? -1 : fields;
        if (rules.strictLevels > 0 && len > 0 && !looksLikeText(b, p, p + len, false)) {
          const inner = { ...rules, strictLevels: rules.strictLevels - 1 };
          if (walkFields(b, p, p + len, true, inner) < 1) return -1;
        }
        p += len;
        break;
      }
      case 3:
        if (!rules.groups || groups.length >= 64) return -1;
        groups.push(field);
        break;
      case 4:
        if (groups.pop() !== field) return -1;
        break;
      default:
        return -1;
    }
    i = p;
    fields++;
  }
  return complete && groups.length > 0 ? cut : fields;
}

/** Repeated-field paths numbered per body (bounded: cleared when full, a path then takes a new number). */
const MAX_REPEAT_PATHS = 4096;

export class ProtobufTokenizer extends BinaryInput {
  protected readonly decoderName = 'protobuf';
  readonly #maxDepth: number;
  readonly #minBytes: number;
  #state = FIELD;

  // Open messages (level 0 = the body). A group frame keeps its parent's end and closes on its end-group tag.
  #level = 0;
  readonly #frameEnd: Float64Array;
  readonly #frameGroup: Int32Array;
  readonly #framePath: string[];
  /** Number of each open message (Token.container). */
  readonly #frameNo: Int32Array;
  /** Numbers of the repeated fields that hold repeats (`$.1.3` for `$.1.3[2]`), by path. */
  readonly #repeatNo = new Map<string, number>();
  readonly #lastField: Int32Array;
  readonly #repeat: Int32Array;

  // The length-delimited field being read.
  #path = '';
  /** What holds the current field: its message, or for a repeat (`$.1.3[2]`) the repeated field (`$.1.3`). */
  #parent = '';
  #container = 0;
  #outer = 0;
  #key = '';
  #fieldStart = 0;
  #fieldLen = 0;
  #collect = new Uint8Array(0);
  #have = 0;
  #remaining = 0;
  #bytesHook = false;
  /** Set after a field's bytes were replayed as a nested message: `step` must return at once. */
  #replayed = false;
  readonly #text: TextStream;

  constructor(sink: TokenSink, opts: BinaryTokenizerOptions) {
    super(sink, opts);
    this.#maxDepth = opts.limits.MAX_JSON_DEPTH;
    this.#minBytes = opts.minBytes ?? 1;
    this.#frameEnd = new Float64Array(this.#maxDepth + 1);
    this.#frameGroup = new Int32Array(this.#maxDepth + 1);
    this.#lastField = new Int32Array(this.#maxDepth + 1);
    this.#repeat = new Int32Array(this.#maxDepth + 1);
    this.#framePath = [this.root];
    this.#frameNo = new Int32Array(this.#maxDepth + 1);
    this.#frameNo[0] = this.ids.next();
    this.#frameEnd[0] = Number.POSITIVE_INFINITY;
    this.#text = new TextStream(this.maxToken, (v, o, m) =>
      this.emit(this.#path, this.#parent, this.#container, this.#outer, this.#key, 'string', v, o, m),
    );
  }

  protected finish(): string | undefined {
    if (this.#state !== FIELD) return 'a length-delimited field is incomplete';
    for (let l = this.#level; l > 0; l--) {
      if (this.#frameEnd[l] !== this.total || this.#frameGroup[l] !== 0) return 'a message is incomplete';
    }
    return undefined;
  }

  protected step(buf: Uint8Array, i: number, end: number): number {
    while (i < end && !this.stopped) {
      switch (this.#state) {
        case FIELD: {
          const r = this.#field(buf, i, end);
          if (r < 0) {
            if (r === INCOMPLETE) this.need = true;
            return i;
          }
          if (this.#replayed) {
            this.#replayed = false;
            return r;
          }
          i = r;
          break;
        }
        case COLLECT: {
          const n = Math.min(end - i, this.#collect.length - this.#have);
          this.#collect.set(buf.subarray(i, i + n), this.#have);
          this.#have += n;
          i += n;
          if (this.#have === this.#collect.length) {
            this.#state = FIELD;
            this.#decide(this.#collect, 0, this.#have);
            if (this.#replayed) {
              this.#replayed = false;
              return i;
            }
          }
          break;
        }
        default: {
          const n = Math.min(end - i, this.#remaining);
          const piece = buf.subarray(i, i + n);
          this.#remaining -= n;
          i += n;
          const last = this.#remaining === 0;
          if (this.#state === STREAM_TEXT) {
            this.#text.push(piece);
            if (last) this.#text.finish();
          } else if (this.#bytesHook) this.opts.onBytes?.(this.#path, piece, last);
          if (last) this.#state = FIELD;
        }
      }
    }
    return i;
  }

  /** Reads one field at `i`: returns the position after what it consumed, or INCOMPLETE / MALFORMED. */
  #field(b: Uint8Array, i: number, end: number): number {
    const base = this.base;
    while (this.#level > 0 && this.#frameEnd[this.#level] === base + i) {
      if (this.#frameGroup[this.#level] !== 0) return this.#malformed('unterminated-group', base + i);
      this.#level--;
    }
    let p = readVarint(b, i, end, 5);
    if (p === INCOMPLETE) return INCOMPLETE;
    if (p === MALFORMED) return this.#malformed('bad-tag', base + i);
    const field = (vLo >>> 3) + vHi * 0x20000000;
    const wt = vLo & 7;
    if (field === 0) return this.#malformed('bad-field-number', base + i);
    const level = this.#level;
    const limit = this.#frameEnd[level]!;
    if (wt === 4) {
      if (level === 0 || this.#frameGroup[level] !== field) return this.#malformed('bad-end-group', base + i);
      this.#level--;
      return p;
    }
    if (wt !== 0 && wt !== 1 && wt !== 2 && wt !== 5 && wt !== 3) return this.#malformed('bad-wire-type', base + i);
    // The field's path: an occurrence index from the second contiguous repeat on.
    const lastField = this.#lastField[level]!;
    const lastRepeat = this.#repeat[level]!;
    const repeat = lastField === field ? lastRepeat + 1 : 0;
    this.#lastField[level] = field;
    this.#repeat[level] = repeat;
    const key = keyOf(field);
    const first = `${this.#framePath[level]}.${key}`;
    const parent = repeat === 0 ? this.#framePath[level]! : first;
    const path = repeat === 0 ? first : `${first}[${repeat}]`;
    const outerLevel = repeat === 0 && level > 0 ? level - 1 : level;
    const container = repeat === 0 ? this.#frameNo[level]! : this.#repeatOf(first);
    const outer = this.#frameNo[outerLevel]!;
    switch (wt) {
      case 0: {
        p = readVarint(b, p, end, 10);
        if (p === INCOMPLETE) return this.#retry(level, lastField, lastRepeat);
        if (p === MALFORMED) return this.#malformed('bad-varint', base + i);
        if (base + p > limit) return this.#malformed('field-overruns-message', base + i);
        this.emit(path, parent, container, outer, key, 'number', vHi === 0 ? String(vLo) : uint64Text(vHi, vLo));
        return p;
      }
      case 1:
      case 5: {
        const size = wt === 1 ? 8 : 4;
        if (p + size > end) return this.#retry(level, lastField, lastRepeat);
        if (base + p + size > limit) return this.#malformed('field-overruns-message', base + i);
        const buf = asBuffer(b);
        if (size === 8) {
          this.emit(
            path,
            parent,
            container,
            outer,
            key,
            'number',
            uint64Text(buf.readUInt32LE(p + 4), buf.readUInt32LE(p)),
          );
          const d = float64At(b, p, true);
          if (plausibleFloat(d)) this.emit(path, parent, container, outer, key, 'number', String(d));
        } else {
          this.emit(path, parent, container, outer, key, 'number', String(buf.readUInt32LE(p)));
          const f = float32At(b, p, true);
          if (plausibleFloat(f)) this.emit(path, parent, container, outer, key, 'number', floatText(f));
        }
        return p + size;
      }
      case 3: {
        if (level >= this.#maxDepth) return this.#malformed('too-deep', base + i);
        this.#push(limit, field, path);
        return p;
      }
      default: {
        const q = readVarint(b, p, end, 10);
        if (q === INCOMPLETE) return this.#retry(level, lastField, lastRepeat);
        if (q === MALFORMED || vHi !== 0 || vLo > MAX_FIELD_LENGTH) return this.#malformed('bad-length', base + i);
        const len = vLo;
        if (base + q + len > limit) return this.#malformed('length-overruns-message', base + i);
        this.#path = path;
        this.#parent = parent;
        this.#container = container;
        this.#outer = outer;
        this.#key = key;
        if (len === 0) {
          this.emit(path, parent, container, outer, key, 'string', '');
          return q;
        }
        this.#fieldStart = base + q;
        this.#fieldLen = len;
        const peek = Math.min(len, this.maxToken);
        if (q + peek <= end) {
          // The peek is in this view: decide without copying.
          this.#decide(b, q, q + peek);
          return q + peek;
        }
        this.#collect = new Uint8Array(peek);
        this.#have = 0;
        this.#state = COLLECT;
        return q;
      }
    }
  }

  /** Reads the peeked head `b[s, e)` of the current length-delimited field as text, message or bytes. */
  #decide(b: Uint8Array, s: number, e: number): void {
    const whole = e - s === this.#fieldLen;
    const rest = this.#fieldLen - (e - s);
    if (looksLikeText(b, s, e, !whole)) {
      if (whole && e - s <= this.maxToken) {
        this.emit(this.#path, this.#parent, this.#container, this.#outer, this.#key, 'string', decodeText(b, s, e));
        return;
      }
      this.#text.push(b.subarray(s, e));
      if (whole) this.#text.finish();
      else this.#stream(STREAM_TEXT, rest);
      return;
    }
    if (this.#level < this.#maxDepth && walkFields(b, s, e, whole) > 0) {
      this.#push(this.#fieldStart + this.#fieldLen, 0, this.#path);
      this.replay(b.subarray(s, e), this.#fieldStart);
      this.#replayed = true;
      return;
    }
    this.#bytesHook = this.opts.onBytes !== undefined && this.#fieldLen >= this.#minBytes;
    if (this.#bytesHook) this.opts.onBytes?.(this.#path, b.subarray(s, e), whole);
    if (!whole) this.#stream(STREAM_BYTES, rest);
  }

  /** A field cut by the end of the view: forget its occurrence, it is read again with more bytes. */
  #retry(level: number, lastField: number, lastRepeat: number): number {
    this.#lastField[level] = lastField;
    this.#repeat[level] = lastRepeat;
    return INCOMPLETE;
  }

  #stream(state: number, remaining: number): void {
    this.#state = state;
    this.#remaining = remaining;
  }

  #push(end: number, group: number, path: string): void {
    const level = ++this.#level;
    this.#frameEnd[level] = end;
    this.#frameGroup[level] = group;
    this.#framePath[level] = path;
    this.#frameNo[level] = this.ids.next();
    this.#lastField[level] = 0;
    this.#repeat[level] = 0;
  }

  /** The number of a repeated field holding repeats: one per path, as a repeat's `parent` is that path. */
  #repeatOf(path: string): number {
    let n = this.#repeatNo.get(path);
    if (n === undefined) {
      if (this.#repeatNo.size >= MAX_REPEAT_PATHS) this.#repeatNo.clear();
      n = this.ids.next();
      this.#repeatNo.set(path, n);
    }
    return n;
  }

  #malformed(code: string, offset: number): number {
    this.fail(code, offset, `protobuf ${code.replaceAll('-', ' ')}`);
    return MALFORMED;
  }
}

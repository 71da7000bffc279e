/**
 * Streaming MessagePack tokenizer: every format of the spec (fixint, int/uint 8–64, float 32/64, nil, bool,
 * fixstr/str8/16/32, bin8/16/32, fixarray/array16/32, fixmap/map16/32, fixext/ext8/16/32), several top-level
 * objects in a row. 64-bit integers keep every digit; ext values (timestamps included) are skipped without a
 * token; bin values give no token and go to the `onBytes` hook. Paths, keys and pieces as in binary-tree.ts.
 * Not a validator beyond the formats (0xc1 "never used" is a violation; duplicate keys pass).
 */
import { asBuffer, float32At, float64At, floatText, int64Text, readUint32BE, uint64Text } from './binary-tokens.ts';
import { TreeTokenizer } from './binary-tree.ts';

/** Header bytes after the type byte for 0xc4..0xdf (length/value field, plus the ext type byte). */
// biome-ignore format: one entry per type byte reads best as a row
const EXTRA = [
  /* c4 bin8 */ 1, 2, 4, /* c7 ext8 */ 2, 3, 5, /* ca float */ 4, 8, /* cc uint */ 1, 2, 4, 8, /* d0 int */ 1, 2, 4, 8,
  /* d4 fixext */ 1, 1, 1, 1, 1, /* d9 str8 */ 1, 2, 4, /* dc array */ 2, 4, /* de map */ 2, 4,
];
/** Data bytes of fixext 1, 2, 4, 8, 16. */
const FIXEXT = [1, 2, 4, 8, 16];

export class MsgpackTokenizer extends TreeTokenizer {
  protected readonly decoderName = 'msgpack';
  protected step(buf: Uint8Array, i: number, end: number): number {
    while (i < end && !this.stopped) {
      if (this.payload > 0) {
        i = this.readPayload(buf, i, end);
        continue;
      }
      const at = this.base + i;
      const c = buf[i]!;
      if (c <= 0x7f) {
        this.scalar('number', String(c));
        i++;
      } else if (c <= 0x9f) {
        this.open(c <= 0x8f, c & 0x0f, at);
        i++;
      } else if (c <= 0xbf) {
        this.string(true, c & 0x1f, false);
        i++;
      } else if (c >= 0xe0) {
        this.scalar('number', String(c - 256));
        i++;
      } else if (c <= 0xc3) {
        if (c === 0xc1) this.fail('bad-type', at, 'type byte 0xc1 is never used');
        else if (c === 0xc0) this.scalar('null', 'null');
        else this.scalar('boolean', c === 0xc3 ? 'true' : 'false');
        i++;
      } else {
        const extra = EXTRA[c - 0xc4]!;
        if (i + 1 + extra > end) {
          this.need = true;
          return i;
        }
        this.#typed(c, buf, i + 1, at);
        i += 1 + extra;
      }
    }
    return i;
  }

  /** An item whose type byte 0xc4..0xdf is followed by a length or value field at `p` (already in view). */
  #typed(c: number, buf: Uint8Array, p: number, at: number): void {
    if (c >= 0xca && c <= 0xd3) {
      this.scalar('number', numberAt(c, buf, p));
      return;
    }
    if (c >= 0xd4 && c <= 0xd8) {
      this.skip(FIXEXT[c - 0xd4]!);
      return;
    }
    const size =
      c <= 0xc6 ? 1 << (c - 0xc4) : c <= 0xc9 ? 1 << (c - 0xc7) : c <= 0xdb ? 1 << (c - 0xd9) : c & 1 ? 4 : 2;
    const n = size === 1 ? buf[p]! : size === 2 ? (buf[p]! << 8) | buf[p + 1]! : readUint32BE(buf, p);
    if (c >= 0xdc) this.open(c >= 0xde, n, at);
    else if (n > this.maxLength) this.fail('length-too-large', at, 'value longer than MAX_INFLATE_BYTES');
    else if (c <= 0xc6) this.string(false, n, false);
    else if (c <= 0xc9) this.skip(n);
    else this.string(true, n, false);
  }
}

/** The number of a float/uint/int item (type byte 0xca..0xd3) whose value is at `p`. */
function numberAt(c: number, buf: Uint8Array, p: number): string {
  const b = asBuffer(buf);
  switch (c) {
    case 0xca:
      return floatText(float32At(buf, p, false));
    case 0xcb:
      return String(float64At(buf, p, false));
    case 0xcc:
      return String(buf[p]);
    case 0xcd:
      return String(b.readUInt16BE(p));
    case 0xce:
      return String(readUint32BE(buf, p));
    case 0xcf:
      return uint64Text(readUint32BE(buf, p), readUint32BE(buf, p + 4));
    case 0xd0:
      return String(b.readInt8(p));
    case 0xd1:
      return String(b.readInt16BE(p));
    case 0xd2:
      return String(b.readInt32BE(p));
    default:
      return int64Text(readUint32BE(buf, p), readUint32BE(buf, p + 4));
  }
}

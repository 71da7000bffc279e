/**
 * Streaming CBOR (RFC 8949) tokenizer: every major type, definite and indefinite lengths, a sequence of
 * top-level items (RFC 8742). Integers keep all 64 bits (`-1 - n` for major type 1), floats are half, single or
 * double, `undefined` reads as null, other simple values give no token. Tags are skipped and their value kept
 * (a tag-1 epoch time is just its number). Byte strings give no token: they go to the `onBytes` hook.
 * Paths, keys and pieces as in binary-tree.ts. Not a validator of tag semantics, of duplicate keys, or of
 * preferred serialization.
 */
import {
  float32At,
  float64At,
  floatText,
  halfValue,
  negUint64Text,
  readUint32BE,
  uint64Text,
} from './binary-tokens.ts';
import { TreeTokenizer } from './binary-tree.ts';

const BREAK = 0xff;

export class CborTokenizer extends TreeTokenizer {
  protected readonly decoderName = 'cbor';
  /** Major type (2 bytes, 3 text) of the indefinite string being read, whose chunks must match it. */
  #chunkMajor = 0;
  protected step(buf: Uint8Array, i: number, end: number): number {
    while (i < end && !this.stopped) {
      if (this.payload > 0) {
        i = this.readPayload(buf, i, end);
        continue;
      }
      const at = this.base + i;
      const ib = buf[i]!;
      const major = ib >> 5;
      const info = ib & 31;
      let p = i + 1;
      let lo = info;
      let hi = 0;
      if (info >= 24 && info <= 27) {
        const size = 1 << (info - 24);
        if (p + size > end) {
          this.need = true;
          return i;
        }
        if (size === 1) lo = buf[p]!;
        else if (size === 2) lo = (buf[p]! << 8) | buf[p + 1]!;
        else if (size === 4) lo = readUint32BE(buf, p);
        else {
          hi = readUint32BE(buf, p);
          lo = readUint32BE(buf, p + 4);
        }
        p += size;
      } else if (info >= 28 && (info !== 31 || major === 0 || major === 1 || major === 6)) {
        this.fail('bad-additional-info', at, `major type ${major} with additional info ${info}`);
        return p;
      }
      i = p;
      if (this.indefinite) {
        // Inside an indefinite string only definite chunks of the same major type, or the break.
        if (ib === BREAK) this.stringBreak();
        else if (major !== this.#chunkMajor || info === 31) this.fail('bad-string-chunk', at, 'bad chunk');
        else if (this.#length(hi, lo, at)) this.stringChunk(lo);
        continue;
      }
      const indefinite = info === 31;
      switch (major) {
        case 0:
          this.scalar('number', hi === 0 ? String(lo) : uint64Text(hi, lo));
          break;
        case 1:
          this.scalar('number', negUint64Text(hi, lo));
          break;
        case 2:
        case 3:
          if (indefinite) {
            this.#chunkMajor = major;
            this.string(major === 3, 0, true);
          } else if (this.#length(hi, lo, at)) this.string(major === 3, lo, false);
          break;
        case 4:
        case 5:
          if (indefinite) this.open(major === 5, -1, at);
          else this.open(major === 5, hi * 0x100000000 + lo, at);
          break;
        case 6:
          break; // a tag: its value follows and is read as is
        default:
          this.#simple(info, lo, buf, p, at);
      }
    }
    return i;
  }

  #simple(info: number, lo: number, buf: Uint8Array, p: number, at: number): void {
    if (info === 20 || info === 21) this.scalar('boolean', info === 21 ? 'true' : 'false');
    else if (info === 22 || info === 23) this.scalar('null', 'null');
    else if (info === 25) this.scalar('number', String(halfValue(lo)));
    else if (info === 26) this.scalar('number', floatText(float32At(buf, p - 4, false)));
    else if (info === 27) this.scalar('number', String(float64At(buf, p - 8, false)));
    else if (info === 31) this.breakContainer(at);
    else if (info === 24 && lo < 32) this.fail('bad-simple-value', at, `simple value ${lo} in two bytes`);
    else this.scalar('number', `simple(${lo})`, false);
  }

  /** A string length within bounds, else a violation. */
  #length(hi: number, lo: number, at: number): boolean {
    if (hi === 0 && lo <= this.maxLength) return true;
    this.fail('length-too-large', at, 'string longer than MAX_INFLATE_BYTES');
    return false;
  }
}

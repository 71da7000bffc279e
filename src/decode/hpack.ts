/**
 * HPACK header block decoding (RFC 7541) for one direction of an HTTP/2 connection: the static table, the
 * dynamic table with its size updates, integers, literals plain or Huffman-coded (hpack-huffman.ts). A block
 * goes in whole (HEADERS + CONTINUATION, assembled and bounded by http2-frames.ts); header fields come out in
 * wire order. Bounded: a size update above `maxTableBytes` is an error, and past `maxListBytes` (counted as RFC
 * 7540 SETTINGS_MAX_HEADER_LIST_SIZE does, name + value + 32 per field) fields are dropped but the block is still
 * read to its end so the dynamic table stays in step with the encoder's. Errors are returned, never thrown: after
 * one the table no longer matches the encoder's, so the caller stops reading that direction.
 * Not here: frames, pseudo-header meaning (src/streams/http2.ts), encoding.
 */
import { huffmanDecode } from './hpack-huffman.ts';

/** Why a header block could not be read. */
export type HpackError = 'bad-index' | 'bad-integer' | 'bad-string' | 'bad-huffman' | 'table-size-too-large';

/** A decoded block: its fields, and whether some were dropped past the list bound. */
export interface HpackBlock {
  headers: Array<[name: string, value: string]>;
  truncated: boolean;
}

/** RFC 7541 Appendix A. */
// biome-ignore format: a table
const STATIC_TABLE: ReadonlyArray<readonly [string, string]> = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
  [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
  ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''], ['etag', ''],
  ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''],
  ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''],
  ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''],
  ['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''], ['set-cookie', ''],
  ['strict-transport-security', ''], ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''],
  ['www-authenticate', ''],
];

/** Per-entry overhead in the table size (RFC 7541 4.1). */
const ENTRY_OVERHEAD = 32;
/** The table size both ends start with (RFC 7540 SETTINGS_HEADER_TABLE_SIZE default). */
const HPACK_DEFAULT_TABLE_BYTES = 4096;

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');

/** The decoding context of one direction: its dynamic table lives across blocks. */
export class HpackDecoder {
  /** Newest first. */
  readonly #table: Array<readonly [string, string]> = [];
  #size = 0;
  #max = HPACK_DEFAULT_TABLE_BYTES;
  readonly #maxTableBytes: number;
  readonly #maxListBytes: number;

  constructor(bounds: { maxTableBytes: number; maxListBytes: number }) {
    this.#maxTableBytes = bounds.maxTableBytes;
    this.#maxListBytes = bounds.maxListBytes;
  }

  /** Bytes the dynamic table holds now (entries + 32 each). */
  get tableBytes(): number {
    return this.#size;
  }

  /** One header block, or why it is malformed. */
  decode(block: Uint8Array): HpackBlock | HpackError {
    const r: Reader = { block, pos: 0 };
    const out: HpackBlock = { headers: [], truncated: false };
    let listBytes = 0;
    while (r.pos < block.length) {
      const b = block[r.pos]!;
      let field: readonly [string, string] | undefined;
      if (b & 0x80) {
        field = this.#entry(r, readInt(r, 7));
      } else if ((b & 0xe0) === 0x20) {
        const size = readInt(r, 5);
        if (size < 0) return r.err ?? 'bad-integer';
        if (size > this.#maxTableBytes) return 'table-size-too-large';
        this.#max = size;
        this.#evict(0);
        continue;
      } else {
        // 01xxxxxx: incremental indexing (6-bit index); 0000xxxx / 0001xxxx: without / never indexed (4-bit).
        const indexed = (b & 0xc0) === 0x40;
        field = this.#literal(r, indexed ? 6 : 4);
        if (indexed && field) this.#add(field);
      }
      if (!field) return r.err ?? 'bad-index';
      listBytes += field[0].length + field[1].length + ENTRY_OVERHEAD;
      if (listBytes > this.#maxListBytes) out.truncated = true;
      else out.headers.push([field[0], field[1]]);
    }
    return out;
  }

  #literal(r: Reader, prefix: number): readonly [string, string] | undefined {
    const index = readInt(r, prefix);
    if (index < 0) return undefined;
    const name = index === 0 ? readString(r) : this.#entry(r, index)?.[0];
    if (name === undefined) return undefined;
    const value = readString(r);
    return value === undefined ? undefined : [name, value];
  }

  /** Entry `index` of the static then the dynamic table; undefined (r.err set) if there is none. */
  #entry(r: Reader, index: number): readonly [string, string] | undefined {
    if (index < 0) return undefined;
    const e =
      index === 0
        ? undefined
        : index <= STATIC_TABLE.length
          ? STATIC_TABLE[index - 1]
          : this.#table[index - STATIC_TABLE.length - 1];
    if (!e) r.err = 'bad-index';
    return e;
  }

  #add(field: readonly [string, string]): void {
    const size = field[0].length + field[1].length + ENTRY_OVERHEAD;
    this.#evict(size);
    // An entry larger than the table empties it and is not added (RFC 7541 4.4).
    if (size > this.#max) return;
    this.#table.unshift(field);
    this.#size += size;
  }

  /** Drops the oldest entries until `room` more bytes fit. */
  #evict(room: number): void {
    while (this.#table.length > 0 && this.#size + room > this.#max) {
      const [n, v] = this.#table.pop()!;
      this.#size -= n.length + v.length + ENTRY_OVERHEAD;
    }
  }
}

/** A read position in one block, and the first error met. */
interface Reader {
  block: Uint8Array;
  pos: number;
  err?: HpackError;
}

/** An HPACK integer with an N-bit prefix (RFC 7541 5.1) at r.pos, or -1 (r.err set) if truncated or ≥ 2^31. */
function readInt(r: Reader, prefix: number): number {
  const { block } = r;
  const mask = (1 << prefix) - 1;
  if (r.pos < block.length) {
    const value = block[r.pos++]! & mask;
    if (value < mask) return value;
    let extra = 0;
    for (let shift = 0; shift <= 28 && r.pos < block.length; shift += 7) {
      const b = block[r.pos++]!;
      extra += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (value + extra <= 0x7fffffff) return value + extra;
        break;
      }
    }
  }
  r.err = 'bad-integer';
  return -1;
}

/**
 * A string literal (RFC 7541 5.2), plain or Huffman-coded, or undefined (r.err set). Header names and values are
 * octets: kept one char per octet (latin1), as the HTTP/1 head reader keeps them.
 */
function readString(r: Reader): string | undefined {
  const huffman = r.pos < r.block.length && (r.block[r.pos]! & 0x80) !== 0;
  const len = readInt(r, 7);
  if (len < 0) return undefined;
  if (r.pos + len > r.block.length) {
    r.err = 'bad-string';
    return undefined;
  }
  const raw = r.block.subarray(r.pos, r.pos + len);
  r.pos += len;
  const decoded = huffman ? huffmanDecode(raw) : raw;
  if (decoded === 'bad-huffman') {
    r.err = decoded;
    return undefined;
  }
  return latin1(decoded);
}

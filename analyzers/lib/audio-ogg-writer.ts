/**
 * Ogg Opus writer (RFC 3533 pages, RFC 7845 mapping) for evidence: raw Opus packets sent with no container are
 * wrapped so the clip plays — an OpusHead page, an OpusTags page, then the packets in pages with granule
 * positions (48 kHz samples, pre-skip 0) and Ogg's CRC32. Append-only: each page is written once complete, the
 * last one (end of stream) at `end()`. It does not encode, decode or check the packets (the caller does).
 */

/** Packets per audio page before it is written out (about 1.5 s at 60 ms): a live clip grows page by page. */
const PAGE_PACKETS = 25;
/** Lacing values per page (RFC 3533: at most 255). */
const MAX_SEGMENTS = 255;
/** Largest packet the writer takes in one page (255 segments of 255 bytes); larger ones are refused. */
export const MAX_OGG_PACKET_BYTES = 255 * 254;

const BOS = 0x02;
const EOS = 0x04;

/** Ogg's CRC32: polynomial 0x04c11db7, initial value 0, no reflection, no final XOR. */
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let k = 0; k < 8; k++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    t[i] = r >>> 0;
  }
  return t;
})();

/** The Ogg CRC32 of `bytes` (a page with its CRC field zeroed gives the value to store there). */
export function oggCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b) & 0xff]!) >>> 0;
  return crc;
}

/** One Ogg page holding whole `packets` (each under MAX_OGG_PACKET_BYTES). */
export function oggPage(packets: readonly Uint8Array[], flags: number, granule: bigint, serial: number, seq: number) {
  const lacing: number[] = [];
  let bodyBytes = 0;
  for (const p of packets) {
    for (let n = p.length; n >= 0; n -= 255) lacing.push(Math.min(n, 255));
    bodyBytes += p.length;
  }
  const page = Buffer.alloc(27 + lacing.length + bodyBytes);
  page.write('OggS', 0, 'latin1');
  page[5] = flags;
  page.writeBigInt64LE(granule, 6);
  page.writeUInt32LE(serial, 14);
  page.writeUInt32LE(seq, 18);
  page[26] = lacing.length;
  page.set(lacing, 27);
  let o = 27 + lacing.length;
  for (const p of packets) {
    page.set(p, o);
    o += p.length;
  }
  page.writeUInt32LE(oggCrc(page), 22);
  return page;
}

/** RFC 7845 identification header: version 1, pre-skip 0, gain 0, mapping family 0. */
function opusHead(sampleRate: number, channels: number): Uint8Array {
  const b = Buffer.alloc(19);
  b.write('OpusHead', 0, 'latin1');
  b[8] = 1;
  b[9] = channels;
  b.writeUInt16LE(0, 10);
  b.writeUInt32LE(sampleRate, 12);
  return b;
}

/** RFC 7845 comment header naming toyscope as the muxer, no comments. */
function opusTags(): Uint8Array {
  const vendor = Buffer.from('toyscope evidence', 'latin1');
  const b = Buffer.alloc(8 + 4 + vendor.length + 4);
  b.write('OpusTags', 0, 'latin1');
  b.writeUInt32LE(vendor.length, 8);
  b.set(vendor, 12);
  return b;
}

/** Writes an Ogg Opus stream page by page through `write`. */
export class OggOpusWriter {
  readonly #write: (page: Uint8Array) => void;
  readonly #serial: number;
  #seq = 0;
  #granule = 0n;
  #pending: Uint8Array[] = [];
  #segments = 0;

  constructor(write: (page: Uint8Array) => void, sampleRate: number, channels = 1, serial = 0x746f7973) {
    this.#write = write;
    this.#serial = serial;
    this.#page([opusHead(sampleRate, channels)], BOS, 0n);
    this.#page([opusTags()], 0, 0n);
  }

  /** Adds one packet holding `ms` milliseconds of audio; false (not written) when it is too large. */
  packet(p: Uint8Array, ms: number): boolean {
    if (p.length > MAX_OGG_PACKET_BYTES) return false;
    const segments = Math.floor(p.length / 255) + 1;
    if (this.#pending.length >= PAGE_PACKETS || this.#segments + segments > MAX_SEGMENTS) this.#flush(0);
    this.#pending.push(p.slice());
    this.#segments += segments;
    this.#granule += BigInt(Math.round(ms * 48));
    return true;
  }

  /** Writes the last page, flagged end of stream (an empty one if no packet is pending). */
  end(): void {
    this.#flush(EOS);
  }

  #flush(flags: number): void {
    this.#page(this.#pending, flags, this.#granule);
    this.#pending = [];
    this.#segments = 0;
  }

  #page(packets: Uint8Array[], flags: number, granule: bigint): void {
    this.#write(oggPage(packets, flags, granule, this.#serial, this.#seq++));
  }
}

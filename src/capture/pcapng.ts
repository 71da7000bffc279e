/**
 * pcapng reader: sections (SHB, either byte order, each resetting its interfaces), IDB (link type, snaplen,
 * if_tsresol incl. power-of-2 resolutions, if_tsoffset), EPB, SPB, the obsolete OPB, and DSB (Decryption
 * Secrets → `secrets(type, data)`), and an EPB's packet comment (`comment`, which a toyscope capture uses for
 * its connection notes). NRB, ISB, custom and other non-packet blocks are stepped over by their
 * length. Sans-io and streaming like pcap.ts. It does not decode link layers.
 * A bad block length (not a multiple of 4, < 12, over the bound, or trailer ≠ header) → skipped('corrupt-block')
 * and the reader stops: pcapng has no safe resync point. A section of a major version other than 1 is counted
 * (`pcapng-version-M.m`) and read on.
 */
import { DEFAULT_LIMITS, type Limits } from '../model/limits.ts';
import { Framer, u16, u32 } from './framer.ts';
import type { CaptureReader, ReaderEvents } from './types.ts';

/** The bound of src/model/limits.ts the reader enforces: larger blocks are taken as corruption. */
export type PcapngLimits = Pick<Limits, 'MAX_PCAPNG_BLOCK_BYTES'>;

const SHB = 0x0a0d0d0a;
const IDB = 1;
const OPB = 2;
const SPB = 3;
const NRB = 4;
const ISB = 5;
const EPB = 6;
const DSB = 10;
const BOM = 0x1a2b3c4d;
/** Metadata blocks with nothing to count: name resolution, statistics, custom, systemd journal, … */
const QUIET_BLOCKS = new Set([NRB, ISB, 0x0bad, 0x40000bad, 9]);

interface Iface {
  linkType: number;
  snaplen: number;
  /** Timestamp units (high, low) → microseconds since the epoch. */
  toMicros: (high: number, low: number) => number;
}

export class PcapngReader implements CaptureReader {
  readonly #ev: ReaderEvents;
  readonly #framer: Framer;
  readonly #maxBlock: number;
  #le = true;
  #inSection = false;
  #ifaces: Iface[] = [];
  #lastTs = 0;

  constructor(events: ReaderEvents, limits: PcapngLimits = DEFAULT_LIMITS) {
    this.#ev = events;
    this.#maxBlock = limits.MAX_PCAPNG_BLOCK_BYTES;
    this.#framer = new Framer({
      headerBytes: 12,
      size: (b, o) => this.#size(b, o),
      record: (b, o, n) => this.#block(b, o, n),
      corrupt: () => this.#ev.skipped('corrupt-block'),
    });
  }

  write(chunk: Uint8Array): void {
    this.#framer.write(chunk);
  }

  end(): void {
    if (this.#framer.pending > 0) this.#ev.skipped('truncated-record');
    this.#framer.stop();
  }

  #size(b: Uint8Array, o: number): number {
    let le = this.#le;
    if (u32(b, o, true) === SHB) {
      const bom = u32(b, o + 8, true);
      if (bom === BOM) le = true;
      else if (u32(b, o + 8, false) === BOM) le = false;
      else return -1;
      this.#le = le;
    } else if (!this.#inSection) return -1;
    const len = u32(b, o + 4, le);
    return len < 12 || len % 4 !== 0 || len > this.#maxBlock ? -1 : len;
  }

  #block(b: Uint8Array, o: number, len: number): void {
    const le = this.#le;
    if (u32(b, o + len - 4, le) !== len) {
      this.#framer.stop();
      this.#ev.skipped('corrupt-block');
      return;
    }
    const type = u32(b, o, le);
    const body = b.subarray(o + 8, o + len - 4);
    switch (type) {
      case SHB: {
        this.#inSection = true;
        this.#ifaces = [];
        const major = body.length >= 8 ? u16(body, 4, le) : -1;
        if (major !== 1) this.#ev.skipped(`pcapng-version-${major}.${body.length >= 8 ? u16(body, 6, le) : 0}`);
        return;
      }
      case IDB:
        this.#idb(body, le);
        return;
      case EPB:
        this.#packet(body, u32(body, 0, le), u32(body, 4, le), u32(body, 8, le), 20, le, true);
        return;
      case OPB:
        this.#packet(body, u16(body, 0, le), u32(body, 4, le), u32(body, 8, le), 20, le);
        return;
      case SPB:
        this.#simple(body, le);
        return;
      case DSB:
        this.#dsb(body, le);
        return;
      default:
        if (!QUIET_BLOCKS.has(type)) this.#ev.skipped(`pcapng-block-0x${type.toString(16)}`);
    }
  }

  #idb(body: Uint8Array, le: boolean): void {
    if (body.length < 8) {
      this.#ev.skipped('corrupt-block');
      return;
    }
    let resol = 6;
    let pow2 = false;
    let offsetSec = 0;
    for (let p = 8; p + 4 <= body.length; ) {
      const code = u16(body, p, le);
      const olen = u16(body, p + 2, le);
      if (code === 0 || p + 4 + olen > body.length) break;
      if (code === 9 && olen >= 1) {
        const v = body[p + 4]!;
        pow2 = (v & 0x80) !== 0;
        resol = v & 0x7f;
      } else if (code === 14 && olen >= 8) {
        const hi = u32(body, p + 4 + (le ? 4 : 0), le) | 0;
        offsetSec = hi * 2 ** 32 + u32(body, p + 4 + (le ? 0 : 4), le);
      }
      p += 4 + ((olen + 3) & ~3);
    }
    this.#ifaces.push({
      linkType: u16(body, 0, le),
      snaplen: u32(body, 4, le),
      toMicros: timeConverter(resol, pow2, offsetSec * 1_000_000),
    });
  }

  #packet(
    body: Uint8Array,
    ifId: number,
    high: number,
    low: number,
    dataAt: number,
    le: boolean,
    withOptions = false,
  ): void {
    const iface = this.#ifaces[ifId];
    if (!iface) {
      this.#ev.skipped('pcapng-unknown-interface');
      return;
    }
    if (body.length < dataAt) {
      this.#ev.skipped('corrupt-block');
      return;
    }
    const caplen = u32(body, 12, le);
    if (dataAt + caplen > body.length) {
      this.#ev.skipped('corrupt-block');
      return;
    }
    this.#lastTs = iface.toMicros(high, low);
    const comment = withOptions ? commentOption(body, dataAt + ((caplen + 3) & ~3), le) : undefined;
    this.#ev.packet({
      ts: this.#lastTs,
      linkType: iface.linkType,
      data: body.subarray(dataAt, dataAt + caplen),
      origLen: u32(body, 16, le),
      interfaceId: ifId,
      ...(comment !== undefined ? { comment } : {}),
    });
  }

  #simple(body: Uint8Array, le: boolean): void {
    const iface = this.#ifaces[0];
    if (!iface) {
      this.#ev.skipped('pcapng-unknown-interface');
      return;
    }
    const origLen = u32(body, 0, le);
    let caplen = Math.min(origLen, body.length - 4);
    if (iface.snaplen > 0) caplen = Math.min(caplen, iface.snaplen);
    // An SPB carries no timestamp: it takes the previous packet's.
    this.#ev.packet({
      ts: this.#lastTs,
      linkType: iface.linkType,
      data: body.subarray(4, 4 + caplen),
      origLen,
      interfaceId: 0,
    });
  }

  #dsb(body: Uint8Array, le: boolean): void {
    if (body.length < 8) {
      this.#ev.skipped('corrupt-block');
      return;
    }
    const len = u32(body, 4, le);
    if (8 + len > body.length) {
      this.#ev.skipped('corrupt-block');
      return;
    }
    this.#ev.secrets?.(u32(body, 0, le), body.subarray(8, 8 + len));
  }
}

/** The first opt_comment (code 1) among the options from `at`, as UTF-8; damaged options end the search. */
function commentOption(body: Uint8Array, at: number, le: boolean): string | undefined {
  for (let p = at; p + 4 <= body.length; ) {
    const code = u16(body, p, le);
    const len = u16(body, p + 2, le);
    if (code === 0 || p + 4 + len > body.length) return undefined;
    if (code === 1) return Buffer.from(body.buffer, body.byteOffset + p + 4, len).toString('utf8');
    p += 4 + ((len + 3) & ~3);
  }
  return undefined;
}

/**
 * A timestamp converter for if_tsresol (10^-resol, or 2^-resol when `pow2`) plus if_tsoffset (µs).
 * Microseconds and nanoseconds take an exact fast path; other resolutions go through BigInt.
 */
export function timeConverter(resol: number, pow2: boolean, offsetUs: number): (high: number, low: number) => number {
  if (!pow2 && resol === 6) return (h, l) => h * 2 ** 32 + l + offsetUs;
  if (!pow2 && resol === 9) {
    // 2^32 = 4294967 * 1000 + 296: exact without exceeding 2^53.
    return (h, l) => h * 4294967 + Math.floor((h * 296 + l) / 1000) + offsetUs;
  }
  const perSec = pow2 ? 2n ** BigInt(resol) : 10n ** BigInt(resol);
  return (h, l) => Number((((BigInt(h) << 32n) | BigInt(l)) * 1_000_000n) / perSec) + offsetUs;
}

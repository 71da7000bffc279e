/**
 * Classic pcap reader (libpcap format): both byte orders, microsecond (a1b2c3d4) and nanosecond (a1b23c4d)
 * magic. Sans-io and streaming: fed file chunks of any size, it emits RawPacket with `ts` in microseconds,
 * `data` a view into the fed bytes (never overwritten). It does not decode link layers (see link.ts) and does
 * not read pcapng (see pcapng.ts). A header with a version other than 2.x or a nonsense snap length is counted
 * as skipped (`pcap-version-M.m`, `pcap-bad-snaplen`) and the records are read on.
 */

import { DEFAULT_LIMITS, type Limits } from '../model/limits.ts';
import { Framer, u16, u32 } from './framer.ts';
import type { CaptureReader, ReaderEvents } from './types.ts';

/** The bound of src/model/limits.ts the reader enforces (pcap has no resync marker: a larger record is corrupt). */
export type PcapLimits = Pick<Limits, 'MAX_PCAP_RECORD_BYTES'>;

const FILE_HEADER_BYTES = 24;
/** A snap length past this is nonsense: libpcap's largest, for D-Bus, is 128 MiB. */
const MAX_SANE_SNAPLEN = 256 * 1024 * 1024;
const RECORD_HEADER_BYTES = 16;

/** Byte order and time unit of a pcap file, from its magic; undefined when the magic is not classic pcap. */
export function pcapMagic(b: Uint8Array): { le: boolean; nanos: boolean } | undefined {
  if (b.length < 4) return undefined;
  const le = u32(b, 0, true);
  if (le === 0xa1b2c3d4) return { le: true, nanos: false };
  if (le === 0xa1b23c4d) return { le: true, nanos: true };
  const be = u32(b, 0, false);
  if (be === 0xa1b2c3d4) return { le: false, nanos: false };
  if (be === 0xa1b23c4d) return { le: false, nanos: true };
  return undefined;
}

export class PcapReader implements CaptureReader {
  readonly #ev: ReaderEvents;
  readonly #framer: Framer;
  readonly #maxRecord: number;
  #le = true;
  #nanos = false;
  #linkType = -1;
  #headerSeen = false;

  constructor(events: ReaderEvents, limits: PcapLimits = DEFAULT_LIMITS) {
    this.#ev = events;
    this.#maxRecord = limits.MAX_PCAP_RECORD_BYTES;
    this.#framer = new Framer({
      headerBytes: RECORD_HEADER_BYTES,
      size: (b, o) => this.#size(b, o),
      record: (b, o) => this.#record(b, o),
      corrupt: () => this.#ev.skipped('corrupt-record'),
    });
  }

  write(chunk: Uint8Array): void {
    this.#framer.write(chunk);
  }

  end(): void {
    if (!this.#headerSeen) this.#ev.skipped('truncated-file-header');
    else if (this.#framer.pending > 0) this.#ev.skipped('truncated-record');
    this.#framer.stop();
  }

  #size(b: Uint8Array, o: number): number {
    if (!this.#headerSeen) return pcapMagic(b.subarray(o, o + 4)) ? FILE_HEADER_BYTES : -1;
    const incl = u32(b, o + 8, this.#le);
    return incl > this.#maxRecord ? -1 : RECORD_HEADER_BYTES + incl;
  }

  #record(b: Uint8Array, o: number): void {
    const le = this.#le;
    if (!this.#headerSeen) {
      const m = pcapMagic(b.subarray(o, o + 4))!;
      this.#le = m.le;
      this.#nanos = m.nanos;
      this.#linkType = u32(b, o + 20, m.le) & 0xffff;
      this.#headerSeen = true;
      // A nonsense header is read on (records carry their own lengths) but counted, so --strict fails on it.
      const major = u16(b, o + 4, m.le);
      if (major !== 2) this.#ev.skipped(`pcap-version-${major}.${u16(b, o + 6, m.le)}`);
      if (u32(b, o + 16, m.le) > MAX_SANE_SNAPLEN) this.#ev.skipped('pcap-bad-snaplen');
      return;
    }
    const sec = u32(b, o, le);
    const frac = u32(b, o + 4, le);
    const incl = u32(b, o + 8, le);
    this.#ev.packet({
      ts: sec * 1_000_000 + (this.#nanos ? Math.floor(frac / 1000) : frac),
      linkType: this.#linkType,
      data: b.subarray(o + RECORD_HEADER_BYTES, o + RECORD_HEADER_BYTES + incl),
      origLen: u32(b, o + 12, le),
      interfaceId: 0,
    });
  }
}

/**
 * Picks the capture reader from a file's first 4 bytes (classic pcap in either byte order and time unit, or
 * pcapng), and tells a HAR (JSON) apart. It reads nothing itself; an unknown magic is a clear error naming it.
 */
import { DEFAULT_LIMITS } from '../model/limits.ts';
import { type PcapLimits, PcapReader, pcapMagic } from './pcap.ts';
import { type PcapngLimits, PcapngReader } from './pcapng.ts';
import type { CaptureReader, ReaderEvents } from './types.ts';

export type CaptureFormat = 'pcap' | 'pcap-nanos' | 'pcapng';

/** Thrown when the first bytes are no capture format we read. */
export class UnknownCaptureFormatError extends Error {
  readonly code = 'unknown-capture-format';
}

/** The format named by the first 4 bytes; throws {@link UnknownCaptureFormatError} otherwise. */
export function detectFormat(first: Uint8Array): CaptureFormat {
  if (first.length < 4) throw new UnknownCaptureFormatError(`not a capture file: only ${first.length} bytes`);
  const m = pcapMagic(first);
  if (m) return m.nanos ? 'pcap-nanos' : 'pcap';
  if (first[0] === 0x0a && first[1] === 0x0d && first[2] === 0x0d && first[3] === 0x0a) return 'pcapng';
  const hex = Array.from(first.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
  throw new UnknownCaptureFormatError(`unknown capture format: magic 0x${hex} is neither pcap nor pcapng`);
}

/** The file starts like a JSON document (a HAR): optional BOM and whitespace, then `{`. */
export function startsLikeJson(first: Uint8Array): boolean {
  let i = first[0] === 0xef && first[1] === 0xbb && first[2] === 0xbf ? 3 : 0;
  while (i < first.length && (first[i] === 0x20 || first[i] === 0x09 || first[i] === 0x0a || first[i] === 0x0d)) i++;
  return first[i] === 0x7b;
}

/** The bounds of src/model/limits.ts the capture readers enforce. */
export type ReaderLimits = PcapLimits & PcapngLimits;

/** The reader for the file whose first bytes are `first` (feed it from the start, `first` included). */
export function createReader(
  first: Uint8Array,
  events: ReaderEvents,
  limits: ReaderLimits = DEFAULT_LIMITS,
): CaptureReader {
  return detectFormat(first) === 'pcapng' ? new PcapngReader(events, limits) : new PcapReader(events, limits);
}

/**
 * A reader that waits for the first 4 bytes, then hands everything to the right reader. `write` throws
 * {@link UnknownCaptureFormatError} on an unknown magic; `end` on a file shorter than 4 bytes reports
 * skipped('truncated-file-header').
 */
export class AutoReader implements CaptureReader {
  readonly #ev: ReaderEvents;
  readonly #limits: ReaderLimits;
  #head: Uint8Array = new Uint8Array(0);
  #inner: CaptureReader | undefined;

  constructor(events: ReaderEvents, limits: ReaderLimits = DEFAULT_LIMITS) {
    this.#ev = events;
    this.#limits = limits;
  }

  write(chunk: Uint8Array): void {
    if (this.#inner) {
      this.#inner.write(chunk);
      return;
    }
    let joined: Uint8Array = chunk;
    if (this.#head.length > 0) {
      joined = new Uint8Array(this.#head.length + chunk.length);
      joined.set(this.#head);
      joined.set(chunk, this.#head.length);
    }
    if (joined.length < 4) {
      this.#head = joined;
      return;
    }
    this.#inner = createReader(joined, this.#ev, this.#limits);
    this.#inner.write(joined);
  }

  end(): void {
    if (this.#inner) this.#inner.end();
    else this.#ev.skipped('truncated-file-header');
  }
}

/** mitmproxy's flow files (`mitmdump -w`) begin with a tnetstring dict: `2232:4:type;4:http;…` (a length, a key). */
export function startsLikeMitmFlows(head: Uint8Array): boolean {
  return /^\d{1,12}:\d{1,6}:[a-z_]{1,40};/.test(Buffer.from(head.subarray(0, 64)).toString('latin1'));
}

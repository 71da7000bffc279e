/**
 * Where a JPEG ends, streaming: the image's marker segments walked by their lengths (an Exif thumbnail inside APP1
 * is skipped with its segment, so its own end marker is not taken), its entropy-coded data scanned for the next
 * marker (`FF 00` is a data byte, `FF D0`–`FF D7` restart markers, `FF FF` fill), to the EOI marker `FF D9`. A
 * progressive JPEG's later tables and scans are segments like the first. Used to find where media found behind a
 * header stops, so the search for the next one can go on (embedded-media.ts).
 */

/** Where the walk stands. */
type State = 'marker' | 'code' | 'length1' | 'length2' | 'skip' | 'data' | 'dataMarker';

const SOS = 0xda;
const EOI = 0xd9;

export class JpegEnd {
  #state: State = 'marker';
  /** Bytes of a segment still to skip, and its length's first byte while the second is awaited. */
  #skip = 0;
  #lengthHigh = 0;
  #marker = 0;
  #done = false;

  /** Whether the walk has seen the end marker (or given up on bytes that are no JPEG). */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Reads `chunk` (bytes of the image from its SOI on, in order); returns the index just past the EOI marker when it
   * is in this chunk, or -1. Bytes that break the structure end the walk at once (the image ends there).
   */
  push(chunk: Uint8Array): number {
    if (this.#done) return 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      switch (this.#state) {
        case 'marker': // expecting FF (fill FFs included)
          if (b !== 0xff) return this.#stop(i);
          this.#state = 'code';
          break;
        case 'code':
          if (b === 0xff) break; // fill
          this.#marker = b;
          if (b === EOI) return this.#stop(i + 1);
          // SOI and the markers without a length (TEM, restart) stand alone.
          this.#state = b === 0xd8 || b === 0x01 || (b >= 0xd0 && b <= 0xd7) ? 'marker' : 'length1';
          break;
        case 'length1':
          this.#lengthHigh = b;
          this.#state = 'length2';
          break;
        case 'length2': {
          const length = (this.#lengthHigh << 8) | b;
          if (length < 2) return this.#stop(i);
          this.#skip = length - 2;
          this.#state = this.#skip > 0 ? 'skip' : this.#afterSegment();
          break;
        }
        case 'skip': {
          const n = Math.min(this.#skip, chunk.length - i);
          this.#skip -= n;
          i += n - 1;
          if (this.#skip === 0) this.#state = this.#afterSegment();
          break;
        }
        case 'data': {
          const ff = chunk.indexOf(0xff, i);
          if (ff < 0) return -1;
          i = ff;
          this.#state = 'dataMarker';
          break;
        }
        case 'dataMarker':
          if (b === 0x00 || (b >= 0xd0 && b <= 0xd7)) this.#state = 'data';
          else if (b === EOI) return this.#stop(i + 1);
          else if (b !== 0xff) {
            this.#marker = b;
            this.#state = 'length1';
          }
          break;
      }
    }
    return -1;
  }

  /** After a segment: a scan's header is followed by entropy-coded data, any other segment by a marker. */
  #afterSegment(): State {
    return this.#marker === SOS ? 'data' : 'marker';
  }

  #stop(at: number): number {
    this.#done = true;
    return at;
  }
}

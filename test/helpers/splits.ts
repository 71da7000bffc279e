/**
 * Split-invariance helpers (llparse scan): feed a decoder the same input cut at every offset, one byte at a
 * time, or at random points, and compare what it produced with the output of a single write.
 */

/** The input as [whole], then cut in two at every offset 1..n-1 (only for inputs ≤ maxLen bytes). */
export function* everySplit(bytes: Uint8Array, maxLen = 4096): Generator<Uint8Array[]> {
  yield [bytes];
  if (bytes.length > maxLen) return;
  for (let i = 1; i < bytes.length; i++) yield [bytes.subarray(0, i), bytes.subarray(i)];
}

/** The input one byte per chunk. */
export function oneByteAtATime(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i++) out.push(bytes.subarray(i, i + 1));
  return out;
}

/** Cut the input at the given offsets (sorted, deduplicated, clamped). For fast-check `fc.array(fc.nat())`. */
export function splitAt(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const cuts = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of cuts) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  out.push(bytes.subarray(prev));
  return out;
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Small timing helpers shared by the benches: best-of-N throughput and peak RSS. */

/** Runs `fn` `rounds` times (after one warm-up) and returns the best MB/s for `bytes` processed per round. */
export function mbPerSec(bytes: number, fn: () => void, rounds = 5): number {
  fn();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < rounds; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    const ns = Number(process.hrtime.bigint() - t0);
    best = Math.min(best, ns);
  }
  return round(bytes / (1024 * 1024) / (best / 1e9));
}

/** `mbPerSec` for work that finishes asynchronously (a Node stream's parser, say). */
export async function mbPerSecAsync(bytes: number, fn: () => Promise<void>, rounds = 5): Promise<number> {
  await fn();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < rounds; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0));
  }
  return round(bytes / (1024 * 1024) / (best / 1e9));
}

/** `bytes` as the 64 KiB reads a socket or file stream would hand over (views, no copies). */
export function chunksOf(bytes: Uint8Array, size = 64 * 1024): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMiB(): number {
  return round(process.resourceUsage().maxRSS / 1024);
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** A plain read of the same bytes: touches every 8th byte so the reference is not optimised away. */
export function plainRead(chunks: Uint8Array[]): number {
  let sum = 0;
  for (const c of chunks) for (let i = 0; i < c.length; i += 8) sum += c[i]!;
  return sum;
}

/**
 * Opus packet TOC bytes (RFC 6716 § 3.1): the duration a raw Opus packet holds, read from its first one or two
 * bytes. It validates the TOC only, not the frames, and does not decode.
 */

/** Frame duration in ms per TOC configuration (SILK 0–11, hybrid 12–15, CELT 16–31). */
function frameMs(config: number): number {
  if (config < 12) return [10, 20, 40, 60][config % 4]!;
  if (config < 16) return [10, 20][config % 2]!;
  return [2.5, 5, 10, 20][config % 4]!;
}

/** Milliseconds of audio in a packet starting with `toc` (and `second`, the frame count byte of code 3). */
export function opusPacketMs(toc: number, second: number | undefined): number | undefined {
  const per = frameMs(toc >> 3);
  const code = toc & 3;
  if (code === 0) return per;
  if (code !== 3) return 2 * per;
  if (second === undefined) return undefined;
  const frames = second & 0x3f;
  const ms = frames * per;
  return frames === 0 || ms > 120 ? undefined : ms;
}

/**
 * Vendor binary framing around a gzip payload (a few bytes of magic and length, then a gzip member holding PCM
 * or a codec's frames), as some toy clouds take audio over WebSocket and MQTT. The pipeline does not inflate
 * inside a binary frame, so the voice analyzer inflates a bounded sample of each such message itself. This only
 * finds and inflates the payload; what the bytes are is the caller's question.
 */
import { gunzipSync, constants as zlib } from 'node:zlib';

import type { Limits } from '../../src/model/limits.ts';

/** Bytes of vendor header tolerated before the gzip member (a format tolerance, not a resource bound). */
export const MAX_GZIP_HEADER_OFFSET = 16;

/** Offset of a gzip member (1f 8b, method 8, reserved flag bits clear) in the first bytes of `b`, or -1. */
export function gzipOffset(b: Uint8Array): number {
  const last = Math.min(MAX_GZIP_HEADER_OFFSET, b.length - 10);
  for (let o = 0; o <= last; o++)
    if (b[o] === 0x1f && b[o + 1] === 0x8b && b[o + 2] === 8 && (b[o + 3]! & 0xe0) === 0) return o;
  return -1;
}

/**
 * The inflated payload (what inflates of a truncated member too), at most MAX_AUDIO_GUNZIP_BYTES, of a frame of
 * at most MAX_AUDIO_GZIP_FRAME_BYTES; undefined if bad or too big.
 */
export function gunzipFrame(
  frame: Uint8Array,
  limits: Pick<Limits, 'MAX_AUDIO_GZIP_FRAME_BYTES' | 'MAX_AUDIO_GUNZIP_BYTES'>,
): Uint8Array | undefined {
  const o = gzipOffset(frame);
  if (o < 0 || frame.length > limits.MAX_AUDIO_GZIP_FRAME_BYTES) return undefined;
  try {
    const out = gunzipSync(frame.subarray(o), {
      finishFlush: zlib.Z_SYNC_FLUSH,
      maxOutputLength: limits.MAX_AUDIO_GUNZIP_BYTES,
    });
    return out.length > 0 ? out : undefined;
  } catch {
    return undefined;
  }
}

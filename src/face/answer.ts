/**
 * What a face-pool worker does with one image: decode it, then detect. The detector (tfjs, its WASM heap and the
 * models, ≈ 70 MiB of a worker's memory) is loaded at the first image that decodes, not when the worker starts: a
 * replay whose images never decode (a format we do not read, a broken or made-up JPEG) never pays for it
 * (docs/adr/0019-face-worker-memory.md). Free of worker_threads so that tests drive it with a stand-in detector.
 */
import type { Limits } from '../model/limits.ts';
import { decodeImage } from './decode-image.ts';
import type { Detect } from './detector.ts';
import type { DetectReply, DetectRequest } from './protocol.ts';

/** The detector could not be loaded: the worker reports it (`failed`) and the pool answers every image with it. */
export class DetectorLoadError extends Error {}

/**
 * Answers DetectRequests one at a time. `load` is called once, at the first decodable image; if it fails, that
 * answer and every later one for a decodable image reject with a DetectorLoadError. `ms` (decode and detection)
 * leaves the load out.
 */
export function imageAnswerer(
  load: () => Promise<Detect>,
  limits?: Pick<Limits, 'MAX_DECODE_MEGAPIXELS'>,
): (req: DetectRequest) => Promise<DetectReply> {
  let detector: Promise<Detect> | undefined;
  return async ({ id, bytes }) => {
    const t0 = performance.now();
    try {
      const img = await decodeImage(bytes, limits);
      if ('unsupported' in img) return { id, kind: 'undecodable', reason: img.unsupported };
      detector ??= load().catch((err: unknown) => {
        throw new DetectorLoadError(err instanceof Error ? err.message : String(err));
      });
      const waited = performance.now();
      const detect = await detector;
      // `ms` is decode + detect: the one-off load is not part of any image's time.
      const t1 = performance.now();
      const { faces, secondPass } = await detect(img);
      const ms = waited - t0 + (performance.now() - t1);
      return { id, kind: 'checked', width: img.width, height: img.height, faces, secondPass, ms };
    } catch (err) {
      if (err instanceof DetectorLoadError) throw err;
      return { id, kind: 'undecodable', reason: `decode failed: ${err instanceof Error ? err.message : String(err)}` };
    }
  };
}

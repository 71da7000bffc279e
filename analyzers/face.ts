/**
 * Face analyzer: uploaded images (by signature: JPEG, PNG, WebP, HEIC/HEIF, AVIF, GIF, BMP, TIFF — bodies,
 * multipart parts, base64 values) are buffered up to MAX_IMAGE_BYTES and handed to the face pool
 * (src/face/pool.ts) through `ctx.defer`, so detection runs off the pipeline's thread and reports when the worker
 * answers: `face` with count, boxes and scores, or `face-unchecked` (too large, queue full, timeout, a format the
 * detector cannot decode: TIFF, HEIF with a codec other than HEVC or AV1, or a broken file). Request shapes of face
 * APIs (`face-api-request`) and face embeddings (`face-embedding`) are lower-confidence evidence from tokens. It
 * never decodes pixels itself.
 */

import type { FaceBox } from '../src/face/detector.ts';
import { type FaceCheck, type FacePool, SHED_REASONS, sharedFacePool } from '../src/face/pool.ts';
import type { Analyzer, AnalyzerContext, AnalyzerState, Verdict } from '../src/model/analyzer.ts';
import type { Limits } from '../src/model/limits.ts';
import type { MediaInfo } from '../src/model/media.ts';
import type { Token } from '../src/model/token.ts';

/** Sniffed raster formats that can hold a photo of a face. */
const PHOTO_MIMES = new Set([
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/heic',
  'image/heif',
  'image/avif',
  'image/gif',
  'image/bmp',
  'image/tiff',
]);
/** Smaller images (icons, tracking pixels) cannot show a face the detector would find; they are skipped. */
export const MIN_FACE_IMAGE_BYTES = 1024;
/** Images per message sent to the detector; later ones are left alone (the first ones already tell). */
export const MAX_IMAGES_PER_MESSAGE = 8;
/** Lengths of face embeddings (FaceNet 128, ArcFace 512, and 256 in between). */
const EMBEDDING_LENGTHS = new Set([128, 256, 512]);
const EMBEDDING_KEY = /face|feature|embedding|descriptor|特征/i;
const DETECT_URL = /face|detect|portrait|人脸/i;

interface ImageBuffer {
  info: MediaInfo;
  data: Uint8Array;
  length: number;
  overflow: boolean;
}

interface NumberRun {
  array: string;
  count: number;
  floats: number;
}

/** The lower-cased keys `#shapeOf` reads (and `Bytes`, case kept). */
const SHAPE_KEYS = new Set([
  'image_type',
  'face_field',
  'return_attributes',
  'return_landmark',
  'image_base64',
  'image_url',
]);

/** The analyzer with its pool; `face` (registered) uses the process-wide shared pool. */
export function faceAnalyzer(pool: (limits: Limits) => FacePool = sharedFacePool): Analyzer {
  return {
    name: 'face',
    wants: (head) => head.direction === 'upload',
    // Numbers in arrays (embeddings) and the keys `#shapeOf` names; a run of elements ends at the next number
    // that does not continue it, or at end(), so skipping the tokens between changes nothing.
    tokens: { key: (key) => key === 'Bytes' || SHAPE_KEYS.has(key.toLowerCase()), elements: true },
    open: (ctx) => new FaceState(ctx, pool),
  };
}

export const face: Analyzer = faceAnalyzer();

class FaceState implements AnalyzerState {
  readonly #images = new Map<number, ImageBuffer>();
  #sent = 0;
  #shape: { shape: string; path: string } | undefined;
  #run: NumberRun | undefined;
  #embeddings = 0;

  constructor(
    private readonly ctx: AnalyzerContext,
    private readonly pool: (limits: Limits) => FacePool,
  ) {}

  media(info: MediaInfo, chunk: Uint8Array): Verdict {
    if (info.family !== 'image' || !info.sniffed || !PHOTO_MIMES.has(info.mime)) return undefined;
    let img = this.#images.get(info.partId);
    if (!img) {
      if (this.#sent + this.#images.size >= MAX_IMAGES_PER_MESSAGE) return undefined;
      img = { info, data: new Uint8Array(Math.max(64 * 1024, chunk.length)), length: 0, overflow: false };
      this.#images.set(info.partId, img);
    }
    append(img, chunk, this.ctx.limits.MAX_IMAGE_BYTES);
    return undefined;
  }

  mediaEnd(info: MediaInfo): Verdict {
    const img = this.#images.get(info.partId);
    if (!img) return undefined;
    this.#images.delete(info.partId);
    this.#check(img);
    return undefined;
  }

  token(t: Token): Verdict {
    if (t.kind === 'number') this.#number(t);
    if (!this.#shape) this.#shapeOf(t);
    return undefined;
  }

  end(): void {
    for (const img of this.#images.values()) this.#check(img);
    this.#images.clear();
    this.#endRun();
    const url = this.ctx.head.url ?? '';
    if (!this.#shape && this.#sent > 0 && DETECT_URL.test(url.replace(/\?.*/, ''))) {
      this.#shape = { shape: 'image-to-detect-endpoint', path: url };
    }
    if (this.#shape) {
      this.ctx.report({
        category: 'face',
        subtype: 'face-api-request',
        confidence: 0.6,
        path: this.#shape.path,
        excerpt: [`face-API request shape: ${this.#shape.shape}`],
        detail: { shape: this.#shape.shape },
      });
    }
  }

  #check(img: ImageBuffer): void {
    const { info } = img;
    if (img.length < MIN_FACE_IMAGE_BYTES && !img.overflow) return;
    this.#sent++;
    if (info.origin.startsWith('multipart:image_') && !this.#shape) {
      this.#shape = { shape: `multipart ${info.origin.slice('multipart:'.length)}`, path: info.origin };
    }
    // Exact-size bytes: a view would send the buffer's spare capacity to the worker too.
    const bytes = img.length === img.data.length ? img.data : img.data.slice(0, img.length);
    if (img.overflow) {
      const limit = this.ctx.limits.MAX_IMAGE_BYTES;
      this.#unchecked(img, bytes, 'too-large', `image larger than MAX_IMAGE_BYTES (${limit})`);
      return;
    }
    // Offline (replay) the detector is waited for; only the live proxy sheds images under load.
    const shed = this.ctx.flow.source === 'live';
    this.ctx.defer(this.pool(this.ctx.limits).check(bytes, { shed }), (answer) => this.#answer(img, bytes, answer));
  }

  #answer(img: ImageBuffer, bytes: Uint8Array, answer: FaceCheck): void {
    if (answer.kind === 'unchecked') {
      this.#unchecked(img, bytes, answer.reason, answer.message);
      return;
    }
    if (answer.faces.length === 0) return;
    const { info } = img;
    const scores = answer.faces.map((f) => f.score);
    const n = answer.faces.length;
    this.ctx.report({
      category: 'face',
      subtype: 'face',
      confidence: Math.max(...scores),
      path: info.origin,
      excerpt: [`${n} face${n === 1 ? '' : 's'} in ${info.mime} ${answer.width}x${answer.height}`],
      evidenceId: this.#evidence(info, bytes),
      detail: {
        faces: n,
        boxes: JSON.stringify(answer.faces.map(boxOf)),
        scores: scores.join(','),
        width: answer.width,
        height: answer.height,
        ...partDetail(info, bytes.length),
      },
      ...personalOf(info),
    });
  }

  #unchecked(img: ImageBuffer, bytes: Uint8Array, reason: string, message: string): void {
    const { info } = img;
    this.ctx.report({
      category: 'face',
      subtype: 'face-unchecked',
      confidence: 0.5,
      path: info.origin,
      excerpt: [`${info.mime} not checked for faces: ${reason}`],
      evidenceId: this.#evidence(info, bytes),
      // `shed`: the live proxy dropped it under load (queue-full, timeout); the summary, --json and the gate count it.
      detail: {
        reason,
        message,
        ...(SHED_REASONS.has(reason) ? { shed: true } : {}),
        ...partDetail(info, bytes.length),
      },
      ...personalOf(info),
    });
  }

  /** The image as evidence (capped by the pipeline), written whole at once: it may come after the flow closed. */
  #evidence(info: MediaInfo, bytes: Uint8Array): string {
    const ev = this.ctx.openEvidence(info.mime);
    ev.write(bytes);
    ev.end();
    return ev.id;
  }

  #number(t: Token): void {
    // Only array elements can be an embedding: skip the regex for every other number.
    const m = t.path.charCodeAt(t.path.length - 1) === 0x5d ? /^(.*)\[(\d+)\]$/.exec(t.path) : null;
    if (!m) {
      this.#endRun();
      return;
    }
    const array = m[1] as string;
    const index = Number(m[2]);
    const run = this.#run;
    if (run && run.array === array && run.count === index) {
      run.count++;
      if (isFloat(t.value)) run.floats++;
      return;
    }
    this.#endRun();
    if (index === 0) this.#run = { array, count: 1, floats: isFloat(t.value) ? 1 : 0 };
  }

  #endRun(): void {
    const run = this.#run;
    this.#run = undefined;
    if (!run || !EMBEDDING_LENGTHS.has(run.count) || run.floats < run.count * 0.9) return;
    if (!EMBEDDING_KEY.test(keyOf(run.array)) || this.#embeddings++ > 0) return;
    this.ctx.report({
      category: 'face',
      subtype: 'face-embedding',
      confidence: 0.7,
      path: run.array,
      excerpt: [`${run.count} floats under ${run.array}`],
      detail: { length: run.count },
    });
  }

  #shapeOf(t: Token): void {
    // The keys below are 5 to 17 characters long: most tokens leave here without a lower-casing or a regex.
    if (t.key.length < 5 || t.key.length > 17) return;
    const key = t.key.toLowerCase();
    if (key === 'image_type' && /^(base64|url|face_token)$/i.test(t.value)) {
      this.#shape = { shape: 'image + image_type', path: t.path };
    } else if (key === 'face_field' || key === 'return_attributes' || key === 'return_landmark') {
      this.#shape = { shape: key, path: t.path };
    } else if (t.key === 'Bytes' && t.path.endsWith('.Image.Bytes')) {
      this.#shape = { shape: 'Image.Bytes', path: t.path };
    } else if (t.source === 'multipart-field' && (key === 'image_base64' || key === 'image_url')) {
      this.#shape = { shape: `multipart ${key}`, path: t.path };
    }
  }
}

function append(img: ImageBuffer, chunk: Uint8Array, cap: number): void {
  if (img.overflow) return;
  const room = cap - img.length;
  const take = Math.min(room, chunk.length);
  if (img.length + take > img.data.length) {
    const grown = new Uint8Array(Math.min(cap, Math.max(img.data.length * 2, img.length + take)));
    grown.set(img.data.subarray(0, img.length));
    img.data = grown;
  }
  img.data.set(take === chunk.length ? chunk : chunk.subarray(0, take), img.length);
  img.length += take;
  if (take < chunk.length) img.overflow = true;
}

function boxOf(f: FaceBox): [number, number, number, number, number] {
  return [f.x, f.y, f.width, f.height, f.score];
}

function partDetail(info: MediaInfo, bytes: number): Record<string, string | number> {
  return { mime: info.mime, bytes, origin: info.origin };
}

/** The part's file name is the sender's choice and often names the child (`lily-birthday.jpg`): personal. */
function personalOf(info: MediaInfo): { personal?: { filename: string } } {
  return info.filename ? { personal: { filename: info.filename } } : {};
}

function isFloat(v: string): boolean {
  return /[.eE]/.test(v) && Math.abs(Number(v)) < 1e3;
}

/** The last named key of an array path: `$.faces[0].feature` → `feature`. */
function keyOf(path: string): string {
  return /([^.[\]>$]+)(?:\[\d+\])*$/.exec(path)?.[1] ?? '';
}

/**
 * Messages between the face pool (src/face/pool.ts) and its workers (src/face/worker.ts). Types only.
 */
import type { FaceBox } from './detector.ts';

/** Pool → worker: one image to check (the bytes are cloned). */
export interface DetectRequest {
  id: number;
  bytes: Uint8Array;
}

/** Worker → pool: what one image gave (`secondPass`: the fast pass was unsure, SSD decided). */
export type DetectReply =
  | { id: number; kind: 'checked'; width: number; height: number; faces: FaceBox[]; secondPass: boolean; ms: number }
  | { id: number; kind: 'undecodable'; reason: string };

/** Worker → pool: `ready` once started; `failed` when the detector did not load (at the first decodable image). */
export type WorkerStatus = { kind: 'ready' } | { kind: 'failed'; reason: string };

/**
 * The JSON tokenizer's path cache (json-tokens.ts), shared by every tokenizer of the process: paths, keys (as strings
 * and, when plain ASCII, as bytes) and path ids per slot. Slots are hashed by the tokenizer from (slot of the
 * container's own path, member index). Module state, bounded; no tokens here.
 */
import { GATE_SLOTS } from './filter.ts';

/**
 * Slots of the path cache (a power of two; a value's slot is also the one its gate is given, so no more than
 * GATE_SLOTS), members per container cached, longest path cached (bound memory).
 */
export const PATH_CACHE_SLOTS = GATE_SLOTS;
export const PATH_CACHE_WIDTH = 64;
export const PATH_CACHE_MAX_CHARS = 256;

/**
 * Paths already made, in slots hashed from (slot of the container's own path, member index), shared by every
 * tokenizer: the next object of the same shape (the next NDJSON line, array element or MQTT message) reuses them
 * instead of building each path again. A slot is used only if its parent path and key match, so a collision or
 * another tokenizer's entry costs time, never correctness. Parent paths are compared by id, a number given to
 * each path string made (never reused), not by content: under an array past PATH_CACHE_WIDTH elements every path
 * is new, and comparing two long near-equal strings per token was the tokenizer's main cost there.
 */
export const cacheParentId = new Float64Array(PATH_CACHE_SLOTS).fill(-1);
/** The key, or the index of an array element. */
export const cacheKey: Array<string | number> = new Array<string | number>(PATH_CACHE_SLOTS).fill(-1);
/** Longest key kept as bytes too (cacheKeyBytes). */
const KEY_BYTES = 32;
/** Bytes per slot in cacheKeyBytes: the key, then `":`. */
const STRIDE = KEY_BYTES + 4;
/**
 * Where cacheKey holds a key of plain ASCII (no `"`, `\\` or control) up to KEY_BYTES long, its length, and its bytes
 * followed by `":` at STRIDE × slot: compared with the input's bytes as they are. -1: no such key.
 */
export const cacheKeyLength = new Int8Array(PATH_CACHE_SLOTS).fill(-1);
const cacheKeyBytes = new Uint8Array(PATH_CACHE_SLOTS * STRIDE);
/**
 * The first and the last four of those bytes (key and `":`) as little-endian words, for keys of two characters or
 * more: a key up to six characters is compared in two word reads, whatever its length, instead of byte by byte.
 */
const cacheKeyHead = new Int32Array(PATH_CACHE_SLOTS);
const cacheKeyTail = new Int32Array(PATH_CACHE_SLOTS);
/** The path segment of that key or index (`.name`, `[3]`), reused under another parent. */
export const cacheSegment: string[] = new Array<string>(PATH_CACHE_SLOTS).fill('');
export const cachePath: string[] = new Array<string>(PATH_CACHE_SLOTS).fill('');
export const cachePathId = new Float64Array(PATH_CACHE_SLOTS).fill(-1);
/** The next path id. */
let nextPathId = 0;
/** Ids of root paths (`$`, `$.payload>$`) by content, so the next message's tokenizer finds the same entries. */
const rootIds = new Map<string, number>();

export function rootIdOf(root: string): number {
  let id = rootIds.get(root);
  if (id === undefined) {
    if (rootIds.size >= PATH_CACHE_SLOTS) rootIds.clear();
    id = nextPathId++;
    rootIds.set(root, id);
  }
  return id;
}

/** A new path id (ids are never reused). */
export function newPathId(): number {
  return nextPathId++;
}

/**
 * Keeps a key's bytes at `slot` in cacheKeyBytes and returns its length, if it is printable ASCII without `"` or `\\`
 * (its bytes in JSON are its characters), at most KEY_BYTES and `maxKey` long; else -1.
 */
export function keyBytes(key: string, slot: number, maxKey: number): number {
  if (key.length > KEY_BYTES || key.length > maxKey) return -1;
  const at = slot * STRIDE;
  for (let j = 0; j < key.length; j++) {
    const c = key.charCodeAt(j);
    if (c < 0x20 || c >= 0x7f || c === 0x22 || c === 0x5c) return -1;
    cacheKeyBytes[at + j] = c;
  }
  const n = key.length + 2;
  cacheKeyBytes[at + n - 2] = 0x22;
  cacheKeyBytes[at + n - 1] = 0x3a;
  if (n >= 4) {
    cacheKeyHead[slot] = wordAt(cacheKeyBytes, at);
    cacheKeyTail[slot] = wordAt(cacheKeyBytes, at + n - 4);
  }
  return key.length;
}

const wordAt = (b: Uint8Array, i: number): number => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);

/**
 * The length of the key kept as bytes at `slot` when buf[i, end) holds exactly it followed by `":`, else -1 (no key
 * kept there, another key, or the chunk ends first). `view` reads the same bytes as `buf` (little-endian words).
 */
export function keyAt(slot: number, buf: Uint8Array, view: DataView, i: number, end: number): number {
  const n = cacheKeyLength[slot]!;
  if (n < 0 || i + n + 1 >= end) return -1;
  const last = n + 2;
  if (last < 4) {
    const at = slot * STRIDE - i;
    for (let j = i; j < i + last; j++) if (cacheKeyBytes[at + j] !== buf[j]) return -1;
    return n;
  }
  if (view.getInt32(i, true) !== cacheKeyHead[slot] || view.getInt32(i + last - 4, true) !== cacheKeyTail[slot])
    return -1;
  if (last > 8) {
    const at = slot * STRIDE - i;
    for (let j = i + 4; j < i + last - 4; j++) if (cacheKeyBytes[at + j] !== buf[j]) return -1;
  }
  return n;
}

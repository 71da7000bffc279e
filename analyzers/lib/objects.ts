/**
 * Per-object state of an analyzer (an SSID waiting for its password, a latitude for its longitude, a contact's name
 * for its phone), keyed by the object's container number (`objectKeyOf`) and bounded: past `max` objects new ones are
 * not tracked. Container numbers are drawn in increasing order within a message (ADR 0021), so a number above every
 * one stored is a new object without a lookup: in a long array of objects, the usual case for every member's first
 * token, and every token once the table is full.
 */
export class ObjectTable<T> {
  readonly #map = new Map<number, T>();
  readonly #max: number;
  /** The highest number stored, -1 when none. */
  #top = -1;

  constructor(max: number) {
    this.#max = max;
  }

  get(key: number): T | undefined {
    return key > this.#top ? undefined : this.#map.get(key);
  }

  /** No more objects are taken. */
  get full(): boolean {
    return this.#map.size >= this.#max;
  }

  /** Stores a new object's state (nothing when full). */
  add(key: number, value: T): void {
    if (this.full) return;
    this.#map.set(key, value);
    if (key > this.#top) this.#top = key;
  }

  values(): IterableIterator<T> {
    return this.#map.values();
  }
}

/**
 * Per-object state of an analyzer (an SSID waiting for its password, a latitude for its longitude, a contact's name
 * for its phone), keyed by the object's container number (`objectKeyOf`) and bounded: past `max` objects new ones are
 * not tracked. Container numbers are drawn in increasing order within a message (ADR 0021), so the numbers are kept
 * in a sorted array that almost always grows at its end: a number above every one stored is a new object without a
 * lookup (in a long array of objects, every member's first token, and every token once the table is full), the
 * last one stored is the object whose members are arriving, and anything else is a binary search. No hash table:
 * a Map's insertions were most of the cost of tracking a batch's objects.
 */
export class ObjectTable<T> {
  /** The numbers stored, increasing, and their states at the same index. */
  readonly #keys: number[] = [];
  readonly #states: T[] = [];
  /** The states in the order they were added (what `values` gives, as a Map would). */
  readonly #added: T[] = [];
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get(key: number): T | undefined {
    const keys = this.#keys;
    const last = keys.length - 1;
    if (last < 0 || key > keys[last]!) return undefined;
    if (key === keys[last]) return this.#states[last];
    const i = this.#find(key);
    return keys[i] === key ? this.#states[i] : undefined;
  }

  /** No more objects are taken. */
  get full(): boolean {
    return this.#keys.length >= this.#max;
  }

  /** Stores a new object's state (nothing when full, or when the number is stored already). */
  add(key: number, value: T): void {
    if (this.full) return;
    const keys = this.#keys;
    const n = keys.length;
    if (n === 0 || key > keys[n - 1]!) {
      keys.push(key);
      this.#states.push(value);
    } else {
      const i = this.#find(key);
      if (keys[i] === key) return;
      keys.splice(i, 0, key);
      this.#states.splice(i, 0, value);
    }
    this.#added.push(value);
  }

  values(): IterableIterator<T> {
    return this.#added.values();
  }

  /** The index of the first number stored that is not below `key` (binary search). */
  #find(key: number): number {
    const keys = this.#keys;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keys[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * Per key, the last whole JSON string an analyzer's `token` came to nothing with (no report, no per-object state,
 * no test of the token's path), for the analyzers whose other tests of such a value are pure: the same value under
 * the same key then comes to nothing again, and is not examined again. Telemetry repeats the device's IMEI and MAC
 * and its access points' BSSIDs in every event. Per message (an analyzer state holds one), bounded. Not a detector.
 */
import type { Token } from '../../src/model/token.ts';
import { isWrappedValueKey } from './keys.ts';

/** Keys whose last quiet value is kept; the table is cleared when full. */
const MAX_QUIET_KEYS = 64;

export class QuietValues {
  readonly #last = new Map<string, string>();

  /** Whether `t` can be kept: a whole JSON string under its own key (a wrapped value's key depends on its path). */
  static takes(t: Token): boolean {
    return t.kind === 'string' && t.source === 'json' && t.offset === 0 && !t.more && !isWrappedValueKey(t.key);
  }

  /** `t` (one `takes` accepts) is the last value kept under its key. */
  has(t: Token): boolean {
    return this.#last.get(t.key) === t.value;
  }

  /** Keeps `t` (one `takes` accepts), which came to nothing, as its key's last quiet value. */
  keep(t: Token): void {
    if (this.#last.size >= MAX_QUIET_KEYS) this.#last.clear();
    this.#last.set(t.key, t.value);
  }
}

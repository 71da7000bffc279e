/**
 * Per key, the last few whole JSON strings an analyzer's `token` came to nothing with (no report, no per-object state,
 * no test of the token's path), for the analyzers whose other tests of such a value are pure: the same value under
 * the same key then comes to nothing again, and is not examined again. Telemetry repeats the device's IMEI and MAC
 * and its access points' BSSIDs in every event. Per message (an analyzer state holds one), bounded. Not a detector.
 */
import type { Token } from '../../src/model/token.ts';
import { isWrappedValueKey } from './keys.ts';

/** Keys whose quiet values are kept; the table is cleared when full. */
const MAX_QUIET_KEYS = 64;
/** Quiet values kept per key (a scan list's access points alternate under one key); its list restarts when full. */
const MAX_QUIET_VALUES = 8;

export class QuietValues {
  readonly #byKey = new Map<string, string[]>();

  /** Whether `t` can be kept: a whole JSON string under its own key (a wrapped value's key depends on its path). */
  static takes(t: Token): boolean {
    return t.kind === 'string' && t.source === 'json' && t.offset === 0 && !t.more && !isWrappedValueKey(t.key);
  }

  /** `t` (one `takes` accepts) is a value kept under its key (compared by reference first: repeated values are). */
  has(t: Token): boolean {
    const values = this.#byKey.get(t.key);
    if (values === undefined) return false;
    for (let i = 0; i < values.length; i++) if (values[i] === t.value) return true;
    return false;
  }

  /** Keeps `t` (one `takes` accepts), which came to nothing, among its key's quiet values. */
  keep(t: Token): void {
    let values = this.#byKey.get(t.key);
    if (values === undefined) {
      if (this.#byKey.size >= MAX_QUIET_KEYS) this.#byKey.clear();
      values = [];
      this.#byKey.set(t.key, values);
    }
    if (values.length >= MAX_QUIET_VALUES) values.length = 0;
    values.push(t.value);
  }
}

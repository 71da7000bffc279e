/**
 * What the live proxy does with a device's TLS to a host, from what that device did before (issue 16, ADR 0012):
 * intercept with toyscope's leaf; or, under `--probe-tls`, offer each forgery in turn on the first connections;
 * or relay the TLS unread (passthrough) once the device refused the certificate twice in a row, so the toy keeps
 * working, until PROXY_PASSTHROUGH_TTL_MS has passed and one connection probes again. Hosts on the
 * force-intercept list are never passed through automatically. Pure bookkeeping per (device, host), bounded by
 * MAX_PROXY_CERT_CHECKS (the oldest pair is forgotten): no sockets, no certificates (cert-cache.ts), and not the
 * configured passthrough list (checked before, in connection.ts).
 */
import { matchHost } from '../src/config.ts';
import type { Limits } from '../src/model/limits.ts';
import { type CertCheck, FORGERIES, type Forgery } from '../src/model/tls.ts';

/** Consecutive refusals after which a (device, host) goes to passthrough (the "two consistent rejections"). */
export const REFUSALS_BEFORE_PASSTHROUGH = 2;

export interface CertCheckOptions {
  /** `--probe-tls`: offer every forgery in turn on a host's first connections. */
  probe: boolean;
  /** Host globs never passed through automatically (config `tls.forceIntercept`). */
  forceIntercept: string[];
  /** Config `tls.caInstalled`: whether this device (by id) has toyscope's CA installed. */
  caInstalled: (deviceId: string) => boolean;
}

/**
 * What to do with one connection. `known`: the device already accepted this forgery for this host, so the
 * connection is relayed at once and its flow carries no new check (one acceptance finding per pair, not one per
 * connection).
 */
export type CertDecision =
  | { action: 'intercept'; forgery: Forgery; probe: boolean; known: boolean }
  | { action: 'passthrough' };

interface PairState {
  /** Refusals since the last acceptance. */
  refusals: number;
  /** Passthrough until then (epoch ms); a connection after it probes again. */
  passthroughUntil: number;
  /** Forgeries offered by the probe so far (the next one is FORGERIES[offered]). */
  offered: number;
  /** Forgeries the device accepted. */
  accepted: Set<Forgery>;
}

export class CertChecks {
  readonly #opts: CertCheckOptions;
  readonly #limits: Limits;
  readonly #now: () => number;
  readonly #pairs = new Map<string, PairState>();

  constructor(opts: CertCheckOptions, limits: Limits, now: () => number = Date.now) {
    this.#opts = opts;
    this.#limits = limits;
    this.#now = now;
  }

  /** How to treat the next connection of `deviceId` to `host`. */
  decide(deviceId: string, host: string): CertDecision {
    const st = this.#state(deviceId, host);
    if (this.#opts.probe && st.offered < FORGERIES.length) {
      return { action: 'intercept', forgery: FORGERIES[st.offered++]!, probe: true, known: false };
    }
    if (st.passthroughUntil > this.#now()) return { action: 'passthrough' };
    // After a probe, intercept with what the device accepted (toyscope's leaf first), so its traffic is read.
    const forgery = FORGERIES.find((f) => st.accepted.has(f)) ?? 'toyscope-ca';
    return { action: 'intercept', forgery, probe: false, known: st.accepted.has(forgery) };
  }

  /** The outcome of an offered forgery, as recorded on the flow. */
  record(deviceId: string, host: string, check: CertCheck): void {
    const st = this.#state(deviceId, host);
    if (check.outcome === 'accepted') {
      st.refusals = 0;
      st.passthroughUntil = 0;
      st.accepted.add(check.forgery);
      return;
    }
    if (check.outcome !== 'rejected') return;
    st.accepted.delete(check.forgery);
    st.refusals++;
    const probing = this.#opts.probe && st.offered < FORGERIES.length;
    const forced = this.#opts.forceIntercept.some((g) => matchHost(g, host));
    if (st.refusals >= REFUSALS_BEFORE_PASSTHROUGH && !probing && !forced && st.accepted.size === 0) {
      st.passthroughUntil = this.#now() + this.#limits.PROXY_PASSTHROUGH_TTL_MS;
    }
  }

  /** Whether config `tls.caInstalled` lists the device. */
  caInstalled(deviceId: string): boolean {
    return this.#opts.caInstalled(deviceId);
  }

  #state(deviceId: string, host: string): PairState {
    const key = `${deviceId} ${host.toLowerCase()}`;
    let st = this.#pairs.get(key);
    if (!st) {
      st = { refusals: 0, passthroughUntil: 0, offered: 0, accepted: new Set() };
      this.#pairs.set(key, st);
      if (this.#pairs.size > this.#limits.MAX_PROXY_CERT_CHECKS) this.#pairs.delete(this.#pairs.keys().next().value!);
    }
    return st;
  }
}

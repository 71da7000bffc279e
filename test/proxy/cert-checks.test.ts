/**
 * The proxy's per (device, host) bookkeeping, on a fake clock: passthrough after two refusals in a row and a
 * re-probe after the TTL, force-intercept, the probe's order and what it intercepts with afterwards, the bound.
 */
import { describe, expect, it } from 'vitest';
import { type CertCheckOptions, CertChecks } from '../../proxy/cert-checks.ts';
import { resolveLimits } from '../../src/model/limits.ts';
import { type CertCheck, FORGERIES, type Forgery } from '../../src/model/tls.ts';

const limits = resolveLimits({ PROXY_PASSTHROUGH_TTL_MS: 1000, MAX_PROXY_CERT_CHECKS: 2 });
const refused = (forgery: Forgery = 'toyscope-ca'): CertCheck => ({
  forgery,
  issuer: 'toyscope',
  outcome: 'rejected',
  cause: 'alert',
  alert: 'unknown_ca',
});
const accepted = (forgery: Forgery = 'toyscope-ca'): CertCheck => ({
  forgery,
  issuer: 'toyscope',
  outcome: 'accepted',
});

function checks(opts: Partial<CertCheckOptions> = {}) {
  const clock = { now: 0 };
  const c = new CertChecks(
    { probe: false, forceIntercept: [], caInstalled: () => false, ...opts },
    limits,
    () => clock.now,
  );
  return { c, clock };
}

describe('CertChecks', () => {
  it('passes a host through after two refusals in a row, per device, and probes again after the TTL', () => {
    const { c, clock } = checks();
    const own = { action: 'intercept', forgery: 'toyscope-ca', probe: false, known: false };
    expect(c.decide('10.0.0.2', 'api.example.com')).toEqual(own);
    c.record('10.0.0.2', 'api.example.com', refused());
    expect(c.decide('10.0.0.2', 'api.example.com')).toEqual(own);
    c.record('10.0.0.2', 'api.example.com', refused());
    expect(c.decide('10.0.0.2', 'API.example.com')).toEqual({ action: 'passthrough' });
    expect(c.decide('10.0.0.3', 'api.example.com')).toEqual(own); // another device
    clock.now = 1001;
    expect(c.decide('10.0.0.2', 'api.example.com')).toEqual(own); // the re-probe
    c.record('10.0.0.2', 'api.example.com', refused());
    expect(c.decide('10.0.0.2', 'api.example.com')).toEqual({ action: 'passthrough' });
    clock.now = 2002;
    c.record('10.0.0.2', 'api.example.com', accepted());
    expect(c.decide('10.0.0.2', 'api.example.com')).toEqual({ ...own, known: true });
    c.record('10.0.0.2', 'api.example.com', refused());
    expect(c.decide('10.0.0.2', 'api.example.com')).toEqual(own); // one refusal since the acceptance
  });

  it('never passes a force-intercept host through', () => {
    const { c } = checks({ forceIntercept: ['*.example.com'] });
    for (let i = 0; i < 3; i++) c.record('d', 'api.example.com', refused());
    expect(c.decide('d', 'api.example.com')).toMatchObject({ action: 'intercept' });
  });

  it('probes each forgery in turn, then intercepts with what was accepted, or passes through', () => {
    const { c } = checks({ probe: true });
    for (const f of FORGERIES) {
      expect(c.decide('d', 'a.example.com')).toEqual({ action: 'intercept', forgery: f, probe: true, known: false });
      c.record('d', 'a.example.com', f === 'expired' ? accepted(f) : refused(f));
    }
    expect(c.decide('d', 'a.example.com')).toEqual({
      action: 'intercept',
      forgery: 'expired',
      probe: false,
      known: true,
    });
    for (const f of FORGERIES) {
      c.decide('d', 'b.example.com');
      c.record('d', 'b.example.com', refused(f));
    }
    expect(c.decide('d', 'b.example.com')).toEqual({ action: 'passthrough' });
  });

  it('forgets the oldest pair past MAX_PROXY_CERT_CHECKS', () => {
    const { c } = checks();
    c.record('d', 'one.example.com', refused());
    c.record('d', 'one.example.com', refused());
    c.decide('d', 'two.example.com');
    c.decide('d', 'three.example.com');
    expect(c.decide('d', 'one.example.com')).toMatchObject({ action: 'intercept' });
  });
});

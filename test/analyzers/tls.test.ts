import { describe, expect, it } from 'vitest';
import { contacts } from '../../analyzers/contacts.ts';
import { location } from '../../analyzers/location.ts';
import { tls } from '../../analyzers/tls.ts';
import type { FlowInfo } from '../../src/model/flow.ts';
import type { CertCheck } from '../../src/model/tls.ts';
import { FlowScript, play } from '../../testkit/playbook.ts';
import { json } from './run.ts';

describe('tls', () => {
  it('reports personal data in plaintext once per flow, listing what was seen', () => {
    const s = new FlowScript({ tls: 'none' });
    const ct = [['Content-Type', 'application/json']] as const;
    s.message({ msgId: 0, headers: ct }, JSON.stringify({ lat: 39.99046, lng: 116.48148 }));
    s.message({ msgId: 1, headers: ct }, JSON.stringify({ phone: '13812345678' }));
    s.message({ msgId: 2, headers: ct }, JSON.stringify({ lat: 31.23041, lng: 121.47374 }));
    const out = play([location, contacts, tls], s.close().events);
    const f = [...out.findingsById.values()].filter((x) => x.category === 'tls');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      category: 'tls',
      subtype: 'plaintext-personal-data',
      encrypted: false,
      final: true,
      detail: { found: 'location/coordinates,contacts/phone-number', transport: 'http' },
    });
  });

  it('is silent on encrypted flows and on plaintext without personal data', () => {
    expect(json([location, tls], { lat: 39.99046, lng: 116.48148 }).filter((x) => x.category === 'tls')).toEqual([]);
    expect(json([tls], { battery: 80 }, { flow: { tls: 'none' } })).toEqual([]);
  });

  it('flags TLS 1.0/1.1 and RSA key exchange from tlsInfo', () => {
    const flow = { tls: 'intercepted', tlsInfo: { serverVersion: 'TLSv1.1', cipher: '0x002f' } } as Partial<FlowInfo>;
    const f = json([tls], { x: 1 }, { flow });
    expect(f.map((x) => [x.subtype, x.evidence.value])).toEqual([
      ['weak-tls-version', 'TLSv1.1'],
      ['no-forward-secrecy', '0x002f'],
    ]);
    const good = { tls: 'intercepted', tlsInfo: { serverVersion: 'TLSv1.3', cipher: '0x1301' } } as Partial<FlowInfo>;
    expect(json([tls], { x: 1 }, { flow: good })).toEqual([]);
  });

  it('words the proxy’s certificate check at flow open: a refusal, an acceptance, none where the CA is installed', () => {
    const opened = (certCheck: CertCheck, state: FlowInfo['tls'] = 'device-rejected-cert') =>
      play(
        [tls],
        new FlowScript({
          tls: state,
          server: { ip: '127.0.0.1', port: 443, host: 'api.example.com' },
          tlsInfo: { certCheck },
        }).close().events,
      ).findings;
    const refused = opened({
      forgery: 'self-signed',
      issuer: 'self',
      outcome: 'rejected',
      cause: 'alert',
      alert: 'unknown_ca',
    });
    expect(refused.map((f) => [f.subtype, f.evidence.excerpt, f.msgId, f.confidence])).toEqual([
      [
        'device-rejected-cert',
        'refused a self-signed certificate for api.example.com (alert unknown_ca)',
        undefined,
        0.95,
      ],
    ]);
    expect(refused[0]!.detail).toEqual({ forgery: 'self-signed', issuer: 'self', cause: 'alert', alert: 'unknown_ca' });
    const took = opened({ forgery: 'expired', issuer: 'probe-ca', outcome: 'accepted', probe: true }, 'intercepted');
    expect(took.map((f) => [f.subtype, f.detail])).toEqual([
      ['device-accepted-forged-cert', { forgery: 'expired', issuer: 'probe-ca', probe: true }],
    ]);
    expect(
      opened({ forgery: 'toyscope-ca', issuer: 'toyscope', outcome: 'accepted', caInstalled: true }, 'intercepted'),
    ).toEqual([]);
    expect(opened({ forgery: 'toyscope-ca', issuer: 'toyscope', outcome: 'undecided' }, 'intercepted')).toEqual([]);
  });
});

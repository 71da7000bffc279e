import { describe, expect, it } from 'vitest';
import { identifiers } from '../../analyzers/identifiers.ts';
import { json, run, summary } from './run.ts';

const A = [identifiers];

describe('identifiers', () => {
  it('finds IMEI (Luhn), IMSI, ICCID, MAC, serial and advertising id by key', () => {
    const f = json(A, {
      imei: '490154203237518',
      imsi: '460001234567890',
      iccid: '89860012345678901234',
      mac: 'A4-2B-B0-11-22-33',
      sn: 'XY2024A0001',
      oaid: '3f0c6a1e-9b2d-4c1a-8e7f-2b1d9c0a4e5f',
    });
    expect(summary(f)).toEqual([
      'advertising-id=3f0c6a1e-9b2d-4c1a-8e7f-2b1d9c0a4e5f',
      'iccid=89860012345678901234',
      'imei=490154203237518',
      'imsi=460001234567890',
      'mac-address=a4:2b:b0:11:22:33',
      'serial-number=XY2024A0001',
    ]);
    expect(f.find((x) => x.subtype === 'imei')?.detail?.luhn).toBe(true);
  });

  it('takes a bare IMEI only with a valid Luhn digit and a known prefix', () => {
    expect(summary(json(A, { x: '356938035643809', y: '356938035643808', z: '123456789012345' }))).toEqual([
      'imei=356938035643809',
    ]);
  });

  it('leaves BSSIDs of a scan list to location', () => {
    const body = {
      wifiAccessPoints: [{ macAddress: '00:25:9c:cf:1c:ac', signalStrength: -43 }],
      bssid: '00:25:9c:cf:1c:ad',
    };
    expect(json(A, body)).toEqual([]);
  });

  it('finds Wi-Fi credentials sent in provisioning, over TLS too', () => {
    const f = json(A, { cfg: { ssid: 'HomeNet', password: 'hunter2hunter2' } });
    expect(summary(f)).toEqual(['wifi-credentials=ssid=HomeNet password=hunter2hunter2']);
    const qr = run(A, { contentType: 'text/plain', body: 'WIFI:T:WPA;S:HomeNet;P:s3cret-pass;;' });
    expect(summary(qr)).toEqual(['wifi-credentials=ssid=HomeNet password=s3cret-pass']);
  });

  it('reports tokens and passwords only in clear text', () => {
    const headers = [['Authorization', 'Bearer 0a1b2c3d4e5f6a7b8c9d0e1f']] as const;
    const body = { user: 'kid', password: 'p4ssw0rd!' };
    expect(json(A, body, { headers })).toEqual([]);
    const plain = json(A, body, { headers, flow: { tls: 'none' } });
    expect(summary(plain)).toEqual(['account-token=0a1b2c3d4e5f6a7b8c9d0e1f', 'password=p4ssw0rd!']);
  });

  it('finds a JWT split across string pieces', () => {
    const jwt = `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjaGlsZC0xIn0.${'x'.repeat(40)}`;
    const note = `${'a'.repeat(100)} ${jwt} tail`;
    const f = json(A, { note }, { flow: { tls: 'none' }, limits: { MAX_TOKEN_BYTES: 110 } });
    expect(summary(f)).toEqual([`account-token=${jwt}`]);
  });

  it('does not fire on telemetry numbers', () => {
    const f = json(A, { ts: 1700000000000, battery: 81, fw: '1.2.3', orderId: '202311230001234', seq: 13812345678 });
    expect(f).toEqual([]);
  });
});

describe('identifiers in IoT property wrappers', () => {
  it('reads `{"IMEI": {"value": …}}` (Alink) as the IMEI key', () => {
    const f = json(A, { params: { IMEI: { value: '862012345678903', time: 1 } } });
    expect(f.map((x) => [x.subtype, x.path])).toEqual([['imei', '$.params.IMEI.value']]);
  });
});

import { describe, expect, it } from 'vitest';
import { identifiers } from '../../analyzers/identifiers.ts';
import type { FlowInfo } from '../../src/model/flow.ts';
import type { MqttMeta } from '../../src/model/message.ts';
import { Secret } from '../../src/model/secret.ts';
import { FlowScript, play } from '../../testkit/playbook.ts';
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

  it('finds an IMEI or ICCID that is a field of its own in free text (a tracker line protocol), under the same rule', () => {
    const h02 = '*HQ,865205030012347,V1,071503,A,2233.8244,N,11351.7765,E,000.00,000,031226,FFFFFBFF#';
    expect(summary(run(A, { body: h02 }))).toEqual(['imei=865205030012347']);
    expect(summary(run(A, { body: 'sim,89860318760123456789,ok' }))).toEqual(['iccid=89860318760123456789']);
    // A wrong check digit, an unknown prefix, digits inside a longer run or a decimal: nothing.
    for (const text of [
      '*HQ,865205030012340,V1#',
      '*HQ,123456789012347,V1#',
      'ts=8652050300123470,',
      'x 865205030012347.5',
    ]) {
      expect(run(A, { body: text })).toEqual([]);
    }
  });

  it('leaves BSSIDs of a scan list to location', () => {
    const body = {
      wifiAccessPoints: [{ macAddress: '00:25:9c:cf:1c:ac', signalStrength: -43 }],
      bssid: '00:25:9c:cf:1c:ad',
    };
    expect(json(A, body)).toEqual([]);
  });

  it('takes a value that came to nothing in one place anew in another (a MAC in a scan list, then the device own)', () => {
    const mac = '00:25:9c:cf:1c:ac';
    const events = [
      { wifi: [{ mac, rssi: -43 }] }, // an access point's: location's, not the device's
      { wifi: [{ mac, rssi: -41 }] },
      { mac }, // the same value under the same key, outside the scan list: the device's own
    ];
    expect(summary(json(A, { events }))).toEqual(['mac-address=00:25:9c:cf:1c:ac']);
    // SSIDs keep per-object state: each object's SSID pairs with its own password, whatever the last SSID was.
    const nets = [{ ssid: 'Home', password: 'a' }, { ssid: 'Home' }, { ssid: 'Home', password: 'b' }];
    expect(summary(json(A, { nets }, { flow: { tls: 'none' } }))).toEqual([
      'wifi-credentials=ssid=Home password=a',
      'wifi-credentials=ssid=Home password=b',
    ]);
  });

  it('finds Wi-Fi credentials sent in provisioning, over TLS too', () => {
    const f = json(A, { cfg: { ssid: 'HomeNet', password: 'hunter2hunter2' } });
    expect(summary(f)).toEqual(['wifi-credentials=ssid=HomeNet password=hunter2hunter2']);
    const qr = run(A, { contentType: 'text/plain', body: 'WIFI:T:WPA;S:HomeNet;P:s3cret-pass;;' });
    expect(summary(qr)).toEqual(['wifi-credentials=ssid=HomeNet password=s3cret-pass']);
  });

  it('pairs an SSID with a password in one object, not across two objects on one path (NDJSON lines)', () => {
    const ndjson = (lines: unknown[]) =>
      run(A, { contentType: 'application/x-ndjson', body: lines.map((l) => JSON.stringify(l)).join('\n') });
    expect(summary(ndjson([{ ssid: 'HomeNet' }, { password: 'hunter2hunter2' }]))).toEqual([]);
    expect(summary(ndjson([{ n: 1 }, { ssid: 'HomeNet', password: 'hunter2hunter2' }]))).toEqual([
      'wifi-credentials=ssid=HomeNet password=hunter2hunter2',
    ]);
    // A multipart form's fields are members of one object, the form.
    const b = 'XyZ';
    const field = (name: string, value: string) =>
      `--${b}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    const body = `${field('ssid', 'HomeNet')}${field('password', 'hunter2hunter2')}--${b}--\r\n`;
    expect(summary(run(A, { contentType: `multipart/form-data; boundary=${b}`, body }))).toEqual([
      'wifi-credentials=ssid=HomeNet password=hunter2hunter2',
    ]);
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

/** One MQTT CONNECT through a real Pipeline (no body): its identity fields become header tokens. */
function connect(fields: { clientId: string; username?: string; password?: string }, tls: FlowInfo['tls'] = 'none') {
  const mqtt: MqttMeta = { packet: 'connect', clientId: fields.clientId };
  if (fields.username !== undefined) mqtt.username = fields.username;
  if (fields.password !== undefined) mqtt.password = new Secret(fields.password);
  const s = new FlowScript({ transport: 'mqtt', tls }).message({ msgId: 0, protocol: 'mqtt', mqtt }).close();
  return [...play(A, s.events).findingsById.values()];
}

describe('identifiers in an MQTT CONNECT', () => {
  it('finds the MAC, IMEI or serial firmware builds into the client id or username', () => {
    expect(summary(connect({ clientId: 'ESP32_A4CF12B3C4D5' }))).toEqual(['mac-address=a4:cf:12:b3:c4:d5']);
    expect(summary(connect({ clientId: 'toy-a4:cf:12:b3:c4:d5' }))).toEqual(['mac-address=a4:cf:12:b3:c4:d5']);
    expect(summary(connect({ clientId: 'shellyplus1-a8032ab12345' }))).toEqual(['mac-address=a8:03:2a:b1:23:45']);
    expect(summary(connect({ clientId: 'gps-490154203237518' }))).toEqual(['imei=490154203237518']);
    expect(summary(connect({ clientId: 'x', username: 'SN-XY2023000123' }))).toEqual(['serial-number=XY2023000123']);
    const f = connect({ clientId: 'ESP32_A4CF12B3C4D5' })[0]!;
    expect([f.path, f.detail?.field]).toEqual(['$.client-id', 'client-id']);
  });

  it('does not take ids of no hardware for one: vendor ids, random client ids, UUIDs', () => {
    for (const clientId of [
      '6c1234abcdef', // a Tuya devId: nothing around the 12 hex digits
      'mqttjs_3f2a1b9c',
      'mosq-Xk2l3kQ09aZ1bB0c',
      'c0a8f1de-4b2a-4c1e-9f3d-0242ac120002',
      'client-0123456789ab', // locally administered bit: a random id
      'SNOWMAN2023',
    ]) {
      expect(connect({ clientId }), clientId).toEqual([]);
    }
  });

  it('reports a clear-text password, or a token used as username or password, on plaintext flows only', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0b3ktMDAxIn0.c2lnbmF0dXJlLXZhbHVl';
    const hmac = 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3';
    expect(summary(connect({ clientId: 'toy', username: 'toy-user', password: 'hunter2-Secret!' }))).toEqual([
      'password=hunter2-Secret!',
    ]);
    expect(summary(connect({ clientId: 'toy', username: 'u', password: jwt }))).toEqual([`account-token=${jwt}`]);
    expect(summary(connect({ clientId: 'toy', username: 'u', password: hmac }))).toEqual([`account-token=${hmac}`]);
    expect(summary(connect({ clientId: 'toy', username: 'Zk3q9XbV2mLp7RtY4wNc' }))).toEqual([
      'account-token=Zk3q9XbV2mLp7RtY4wNc',
    ]);
    expect(summary(connect({ clientId: 'toy', username: 'toy-living-room-0001' }))).toEqual([]);
    expect(connect({ clientId: 'toy', username: 'Zk3q9XbV2mLp7RtY4wNc', password: jwt }, 'intercepted')).toEqual([]);
  });

  it('reads k=v members packed into a field (AWS custom authorizer, Alibaba signing parameters)', () => {
    const token = 'Tk9q2WmXc7Lp3RbV8yZa5sDf';
    const f = connect({ clientId: 'toy|securemode=3,signmethod=hmacsha1|', username: `bob?x-auth=a&token=${token}` });
    expect(f.map((x) => [x.subtype, x.evidence.value, x.path])).toEqual([['account-token', token, '$.username.token']]);
  });
});

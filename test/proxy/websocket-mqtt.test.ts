/**
 * Device simulators with real clients through the proxy's CONNECT tunnels, intercepted: a WebSocket client (`ws`)
 * sending JSON to a wss origin, and an MQTT client (`mqtt`) publishing over TLS (mqtts) and over WebSocket. The
 * stream layer must see the frames and publishes, and the analyzers what they carry.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { createWebSocketStream, WebSocketServer } from 'ws';
import {
  type CloudCa,
  HOOK_MS,
  makeCloudCa,
  type TestProxy,
  TinyBroker,
  testProxy,
  tlsOver,
  tunnel,
  until,
} from './harness.ts';

const TELEMETRY = JSON.stringify({ imei: '490154203237518', lat: 31.2304, lng: 121.4737 });

describe('WebSocket and MQTT through toyscope proxy', () => {
  let cloud: CloudCa;
  let p: TestProxy;
  let caPem: string;
  let wss: { server: Server; port: number; got: string[] };
  let mqtts: { server: TlsServer; port: number; broker: TinyBroker };
  let mqttWs: { server: Server; port: number; broker: TinyBroker };

  beforeAll(async () => {
    cloud = makeCloudCa(mkdtempSync(join(tmpdir(), 'toyscope-cloud-')));
    const got: string[] = [];
    const ws = createHttpsServer(cloud.leaf('ws-api.xfyun.cn'));
    new WebSocketServer({ server: ws }).on('connection', (s) =>
      s.on('message', (m) => {
        got.push(String(m));
        s.send('{"ok":true}');
      }),
    );
    wss = { server: ws, port: await listen(ws), got };

    const broker = new TinyBroker();
    const ts = createTlsServer(cloud.leaf('a1b2c3-ats.iot.us-east-1.amazonaws.com'), (s) =>
      s.on(
        'data',
        broker.handler((b) => s.write(b)),
      ),
    );
    mqtts = { server: ts, port: await listen(ts), broker };

    const wsBroker = new TinyBroker();
    const mw = createHttpsServer(cloud.leaf('mqtt.tuyaus.com'));
    new WebSocketServer({ server: mw }).on('connection', (s) =>
      s.on(
        'message',
        wsBroker.handler((b) => s.send(b)),
      ),
    );
    mqttWs = { server: mw, port: await listen(mw), broker: wsBroker };

    p = await testProxy({
      upstream: {
        resolve: new Map([
          ['ws-api.xfyun.cn', '127.0.0.1'],
          ['a1b2c3-ats.iot.us-east-1.amazonaws.com', '127.0.0.1'],
          ['mqtt.tuyaus.com', '127.0.0.1'],
        ]),
        extraCa: [cloud.pem],
      },
    });
    caPem = readFileSync(p.caFile, 'utf8');
  }, HOOK_MS);
  afterAll(async () => {
    await p.stop();
    for (const s of [wss.server, mqtts.server, mqttWs.server]) s.close();
  }, HOOK_MS);

  it('a WebSocket client in a CONNECT tunnel: frames are messages, their JSON is analyzed', async () => {
    const sock = await tunnel(p.port, 'ws-api.xfyun.cn', wss.port);
    const client = new WebSocket(`wss://ws-api.xfyun.cn:${wss.port}/v2/iat`, {
      createConnection: () => tlsOver(sock, 'ws-api.xfyun.cn', caPem),
    });
    await new Promise<void>((resolve, reject) => {
      client.on('open', () => client.send(TELEMETRY));
      client.on('message', () => {
        client.close();
        resolve();
      });
      client.on('error', reject);
    });
    expect(wss.got).toEqual([TELEMETRY]);
    await until(() => flowTo(p, 'ws-api.xfyun.cn')?.closed === true);
    const flow = flowTo(p, 'ws-api.xfyun.cn')!;
    expect(flow).toMatchObject({ transport: 'websocket', tls: 'intercepted' });
    const kinds = p.out.findings.filter((f) => f.flowId === flow.id).map((f) => `${f.category}/${f.subtype}`);
    expect(kinds).toContain('identifiers/imei');
    expect(kinds.some((k) => k.startsWith('location/'))).toBe(true);
  });

  it('an MQTT client over TLS in a CONNECT tunnel: publishes are messages', async () => {
    const host = 'a1b2c3-ats.iot.us-east-1.amazonaws.com';
    const sock = await tunnel(p.port, host, mqtts.port);
    await publishAndEnd(new MqttClient(() => tlsOver(sock, host, caPem), { clientId: 'toy-1', reconnectPeriod: 0 }));
    expect(mqtts.broker.publishes).toBe(1);
    await until(() => flowTo(p, host)?.closed === true);
    const flow = flowTo(p, host)!;
    expect(flow).toMatchObject({ transport: 'mqtt', tls: 'intercepted' });
    expect(p.out.messages.some((m) => m.flowId === flow.id && m.topic === 'toy/telemetry')).toBe(true);
    expect(p.out.findings.some((f) => f.flowId === flow.id && f.subtype === 'imei')).toBe(true);
  });

  it('an MQTT client over WebSocket in a CONNECT tunnel', async () => {
    const sock = await tunnel(p.port, 'mqtt.tuyaus.com', mqttWs.port);
    const client = new MqttClient(
      () => {
        const ws = new WebSocket(`wss://mqtt.tuyaus.com:${mqttWs.port}/mqtt`, ['mqtt'], {
          createConnection: () => tlsOver(sock, 'mqtt.tuyaus.com', caPem),
        });
        return createWebSocketStream(ws);
      },
      { clientId: 'toy-2', reconnectPeriod: 0 },
    );
    await publishAndEnd(client);
    expect(mqttWs.broker.publishes).toBe(1);
    await until(() => flowTo(p, 'mqtt.tuyaus.com')?.closed === true);
    const flow = flowTo(p, 'mqtt.tuyaus.com')!;
    // The stream layer reads MQTT inside the WebSocket frames: the flow's application protocol is MQTT.
    expect(flow).toMatchObject({ transport: 'mqtt', tls: 'intercepted' });
    expect(p.out.messages.some((m) => m.flowId === flow.id && m.topic === 'toy/telemetry')).toBe(true);
    expect(p.out.findings.some((f) => f.flowId === flow.id && f.subtype === 'imei')).toBe(true);
  });
});

function flowTo(p: TestProxy, host: string) {
  return [...p.out.flows.values()].find((f) => f.server.host === host);
}

async function listen(server: Server | TlsServer): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** Connects, publishes the telemetry with QoS 1, waits for the PUBACK, disconnects. */
async function publishAndEnd(client: MqttClient): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    client.on('connect', () => {
      client.publish('toy/telemetry', TELEMETRY, { qos: 1 }, (err) => (err ? reject(err) : resolve()));
    });
    client.on('error', reject);
  });
  await new Promise<void>((r) => client.end(false, {}, () => r()));
}

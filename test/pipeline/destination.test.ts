import { describe, expect, it } from 'vitest';
import { operatorOf, operatorOfRequest } from '../../analyzers/lib/services.ts';
import { location } from '../../analyzers/location.ts';
import type { Analyzer } from '../../src/model/analyzer.ts';
import type { FlowEvent } from '../../src/model/events.ts';
import type { MessageHead } from '../../src/model/message.ts';
import { destinationResolver, etld1Of } from '../../src/pipeline/destination.ts';
import { CollectingOutput } from '../../src/pipeline/output.ts';
import { Pipeline } from '../../src/pipeline/pipeline.ts';
import { FlowScript, testFlow } from '../../testkit/playbook.ts';
import { streamCounter } from '../../testkit/test-analyzers.ts';

const IAT_UPGRADE: Partial<MessageHead> & { msgId: number } = {
  msgId: 1,
  method: 'GET',
  url: '/v2/iat?authorization=YXBpX2tleQ%3D%3D&date=Thu%2C%2023%20Nov%202026&host=iat-api.xfyun.cn',
  headers: [
    ['Host', 'asr.toy-vendor.example'],
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
  ],
};

function playWithCatalogue(events: FlowEvent[], analyzers: readonly Analyzer[] = [streamCounter]): CollectingOutput {
  const out = new CollectingOutput();
  const destination = destinationResolver(() => true, operatorOf, operatorOfRequest);
  const p = new Pipeline({ analyzers, output: out, destination });
  for (const ev of events) p.push(ev);
  p.finish();
  return out;
}

describe('destination', () => {
  it('takes the registrable domain from the public-suffix list', () => {
    expect(etld1Of('nls-gateway.cn-shanghai.aliyuncs.com')).toBe('aliyuncs.com');
    expect(etld1Of('api.toy.com.cn')).toBe('toy.com.cn');
    expect(etld1Of('a.b.example.co.uk')).toBe('example.co.uk');
    expect(etld1Of('127.0.0.1')).toBe('127.0.0.1');
    expect(etld1Of('::1')).toBe('::1');
    expect(etld1Of('localhost')).toBe('localhost');
  });

  it('names the operator from the catalogue and leaves unknown hosts without one', () => {
    const resolve = destinationResolver((_d, host) => !host.endsWith('xiaoyu-toys.com'), operatorOf);
    const nls = resolve(
      testFlow({ server: { ip: '127.0.0.1', port: 443, host: 'nls-gateway.cn-shanghai.aliyuncs.com' } }),
    );
    expect(nls).toEqual({
      host: 'nls-gateway.cn-shanghai.aliyuncs.com',
      etld1: 'aliyuncs.com',
      operator: 'Alibaba NLS',
      operatorFrom: 'host',
      thirdParty: true,
    });
    const own = resolve(testFlow({ server: { ip: '127.0.0.1', port: 443, host: 'api.xiaoyu-toys.com' } }));
    expect(own).toEqual({ host: 'api.xiaoyu-toys.com', etld1: 'xiaoyu-toys.com', thirdParty: false });
  });

  it('names the operator from the request shape only when the host names none', () => {
    const resolve = destinationResolver(undefined, operatorOf, operatorOfRequest);
    const head = { direction: 'upload', protocol: 'http', ...IAT_UPGRADE } as MessageHead;
    const vendor = testFlow({ server: { ip: '127.0.0.1', port: 443, host: 'asr.toy-vendor.example' } });
    expect(resolve(vendor)).toEqual({ host: 'asr.toy-vendor.example', etld1: 'toy-vendor.example', thirdParty: false });
    expect(resolve(vendor, head)).toMatchObject({ operator: 'iFlytek', operatorFrom: 'request' });
    const bareIp = testFlow({ server: { ip: '203.0.113.9', port: 80 } });
    expect(resolve(bareIp, head)).toMatchObject({ host: '203.0.113.9', operator: 'iFlytek', operatorFrom: 'request' });
    const nls = testFlow({ server: { ip: '127.0.0.1', port: 443, host: 'nls-gateway.cn-shanghai.aliyuncs.com' } });
    expect(resolve(nls, head)).toMatchObject({ operator: 'Alibaba NLS', operatorFrom: 'host' });
  });

  it('gives findings on an unknown host the operator its iFlytek-shaped upgrade names', () => {
    const script = new FlowScript({ server: { ip: '127.0.0.1', port: 443, host: 'asr.toy-vendor.example' } })
      .message(IAT_UPGRADE)
      .message({ msgId: 2, direction: 'download', status: 101, headers: [['Upgrade', 'websocket']] })
      // What src/streams/websocket.ts announces after the upgrade: the request's operator must survive it.
      .raw({ ts: 1_700_000_000_100_000, type: 'flow.update', flowId: 'c1:1', update: { transport: 'websocket' } })
      .message({ msgId: 3, protocol: 'websocket', ws: { opcode: 2, compressed: false } }, new Uint8Array(640))
      .close();
    const out = playWithCatalogue(script.events);
    expect(out.findings).toHaveLength(1);
    const [voice] = out.findings;
    expect(voice?.category).toBe('voice');
    expect(voice?.destination).toEqual({
      host: 'asr.toy-vendor.example',
      etld1: 'toy-vendor.example',
      operator: 'iFlytek',
      operatorFrom: 'request',
      thirdParty: true,
    });
    expect(out.flows.get(script.flow.id)?.destination.operator).toBe('iFlytek');
  });

  it('names Alibaba Cloud IoT from the topic an MQTT upload is published to, whatever the broker', () => {
    const broker = { ip: '127.0.0.1', port: 1883, host: 'mqtt.toy-vendor.example' };
    const property = {
      id: '42',
      version: '1.0',
      params: { GeoLocation: { Latitude: 31.230416, Longitude: 121.473701, CoordinateSystem: 1 } },
      method: 'thing.event.property.post',
    };
    const script = new FlowScript({ server: broker, transport: 'mqtt', tls: 'none' })
      .message({
        msgId: 1,
        protocol: 'mqtt',
        headers: [['client-id', 'a1B2c3D4e5F.toy-001|securemode=3|']],
        mqtt: { packet: 'connect', clientId: 'a1B2c3D4e5F.toy-001|securemode=3|' },
      })
      .message(
        {
          msgId: 2,
          protocol: 'mqtt',
          mqtt: { packet: 'publish', topic: '/sys/a1B2c3D4e5F/toy-001/thing/event/property/post', qos: 1 },
        },
        JSON.stringify(property),
      )
      .close();
    const out = playWithCatalogue(script.events, [location]);
    const found = out.findings.filter((f) => f.category === 'location');
    expect(found.length).toBeGreaterThan(0);
    for (const f of found) {
      expect(f.destination).toEqual({
        host: 'mqtt.toy-vendor.example',
        etld1: 'toy-vendor.example',
        operator: 'Alibaba Cloud IoT',
        operatorFrom: 'request',
        thirdParty: true,
      });
    }
    expect(out.flows.get(script.flow.id)?.destination.operator).toBe('Alibaba Cloud IoT');
  });

  it('leaves the operator unknown when no request has a known shape', () => {
    const script = new FlowScript({ server: { ip: '127.0.0.1', port: 443, host: 'asr.toy-vendor.example' } })
      .message({ msgId: 1, method: 'GET', url: '/v2/iat?authorization=x', headers: [] })
      .message({ msgId: 2, protocol: 'websocket', ws: { opcode: 2, compressed: false } }, new Uint8Array(640))
      .close();
    const out = playWithCatalogue(script.events);
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]?.destination.operator).toBeUndefined();
    expect(out.flows.get(script.flow.id)?.destination.operator).toBeUndefined();
  });
});

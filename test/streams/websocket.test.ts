// WebSocketStream: the ws-json-base64, ws-binary and mqtt-ws fixtures (real `ws` and MQTT.js clients) replayed
// through CaptureReplay (HTTP/1 upgrade → onUpgrade) and the Pipeline, compared with tshark's websocket view.
import { describe, expect, it } from 'vitest';
import type { FlowEvent } from '../../src/model/events.ts';
import { resolveLimits } from '../../src/model/limits.ts';
import { WebSocketStream } from '../../src/streams/websocket.ts';
import { type FixtureRun, mqttSummary, replayFixture } from '../capture/fixture-replay.ts';

/** tshark's frames folded into messages: [dir, opcode, compressed, payload length]. */
function tsharkMessages(run: FixtureRun): Array<[string, number, boolean, number]> {
  const out: Array<[string, number, boolean, number]> = [];
  const open: Record<string, [string, number, boolean, number] | undefined> = {};
  for (const f of run.tshark.websocket) {
    if (f.opcode >= 8) continue;
    const m = f.opcode === 0 ? open[f.dir]! : ([f.dir, f.opcode, f.compressed, 0] as [string, number, boolean, number]);
    m[3] += f.length;
    if (f.opcode !== 0) out.push(m);
    open[f.dir] = f.fin ? undefined : m;
  }
  return out;
}

function ourMessages(run: FixtureRun): Array<[string, number, boolean, number]> {
  const [flowId] = [...run.messages.keys()];
  return run.messages
    .get(flowId!)!
    .filter((m) => m.head.protocol === 'websocket')
    .map((m) => [m.head.direction === 'upload' ? 'up' : 'down', m.head.ws!.opcode, m.head.ws!.compressed, m.bytes]);
}

describe.each([
  ['ws-json-base64', 'ws-api.xfyun.cn', 16],
  ['ws-binary', 'nls-gateway.cn-shanghai.aliyuncs.com', 12],
])('%s fixture', (name, host, count) => {
  const run = replayFixture(name);

  it('is one websocket flow to the Host header name, closed, without violations', () => {
    const flows = [...run.out.flows.values()];
    expect(flows.map((f) => [f.transport, f.tls, f.server.host, f.closed])).toEqual([
      ['websocket', 'none', host, true],
    ]);
    expect(run.tshark.flows.map((f) => f.host)).toEqual([host]);
    expect(run.out.violations).toEqual([]);
  });

  it('has the messages tshark has: opcode, compression and (inflated) length per direction', () => {
    const ours = ourMessages(run);
    expect(ours).toHaveLength(count);
    expect(ours).toEqual(tsharkMessages(run));
    const [flowId] = [...run.messages.keys()];
    expect(run.messages.get(flowId!)!.every((m) => m.ended)).toBe(true);
    const http = run.messages.get(flowId!)!.filter((m) => m.head.protocol === 'http');
    expect(http.map((m) => m.head.msgId)).toEqual([0, 1]); // the upgrade request and its 101; frames go on from 2
  });
});

describe('ws-json-base64 tokens', () => {
  it('reaches the analyzers as JSON tokens from inflated frames, base64 audio included', () => {
    const run = replayFixture('ws-json-base64');
    const json = run.tokens.filter((t) => t.source === 'json' && t.depth === 0);
    expect(json.find((t) => t.path === '$.common.app_id')?.value).toBe('5f8a1c2e');
    const audio = json.filter((t) => t.path === '$.data.audio');
    expect(audio).toHaveLength(8);
    expect(audio.every((t) => t.value.length === 1708 && /^[A-Za-z0-9+/]+=*$/.test(t.value))).toBe(true);
    expect(run.out.messages.filter((m) => m.protocol === 'websocket')).toHaveLength(16);
  });
});

describe('mqtt-ws fixture (MQTT.js over mosquitto websockets)', () => {
  const run = replayFixture('mqtt-ws');

  it('is one mqtt flow to the Host header name, without violations', () => {
    const flows = [...run.out.flows.values()];
    expect(flows.map((f) => [f.transport, f.server.host, f.closed])).toEqual([['mqtt', 'mqtt.xiaoyu-toys.com', true]]);
    expect(run.out.violations).toEqual([]);
    expect(run.tshark.websocket.filter((f) => f.opcode === 2).length).toBeGreaterThan(20); // packets split over messages
  });

  it('reassembles MQTT across WebSocket messages: CONNECT, SUBSCRIBE, PUBLISH with the topic alias resolved', () => {
    const [flowId] = [...run.messages.keys()];
    const mqtt = run.messages.get(flowId!)!.filter((m) => m.head.protocol === 'mqtt');
    const telemetry = 'toys/XY-00042/telemetry';
    const cmd = 'toys/XY-00042/cmd';
    expect(mqtt.map(mqttSummary)).toEqual([
      { dir: 'up', type: 1, clientId: 'XY-00042-ws', username: 'toy-XY-00042' },
      { dir: 'up', type: 8, topic: cmd },
      { dir: 'up', type: 3, topic: telemetry, qos: 1, payloadLength: 65 },
      { dir: 'up', type: 3, topic: telemetry, qos: 0, payloadLength: 103 },
      { dir: 'up', type: 3, topic: cmd, qos: 1, payloadLength: 62 },
      { dir: 'down', type: 3, topic: cmd, qos: 1, payloadLength: 62 },
    ]);
    const values = run.tokens.filter((t) => t.source === 'json').map((t) => `${t.path}=${t.value}`);
    expect(values).toContain('$.wifi[0].bssid=a4:2b:b0:11:22:33');
    expect(values).toContain('$.child.nickname=Doudou');
    const text = JSON.stringify(run.events, (_k, v) =>
      v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v,
    );
    expect(text).not.toContain('w5-Pa55word-42');
  });
});

describe('WebSocketStream', () => {
  it('continues msgIds, counts control frames and reports violations with their message', () => {
    const events: FlowEvent[] = [];
    const codes: string[] = [];
    const s = new WebSocketStream(
      {
        flowId: 'f',
        emit: (e) => events.push(e),
        report: (v) => codes.push(v.code),
        nextMsgId: (() => {
          let n = 2;
          return () => n++;
        })(),
      },
      {
        response: { msgId: 1, direction: 'download', protocol: 'http', status: 101, headers: [] },
        limits: resolveLimits({ MAX_INFLATE_BYTES: 100 }),
      },
    );
    s.data('down', new Uint8Array([0x81, 2, 0x68, 0x69, 0x89, 0]), 1);
    s.data('up', new Uint8Array([0x82, 1, 0x41]), 2);
    s.close(3);
    expect(events.map((e) => (e.type === 'message.head' ? [e.type, e.msg.msgId, e.msg.direction] : [e.type]))).toEqual([
      ['message.head', 2, 'download'],
      ['message.chunk'],
      ['message.end'],
      ['message.head', 3, 'upload'],
      ['message.chunk'],
      ['message.end'],
    ]);
    expect(codes).toEqual(['unmasked-client-frame']);
    expect(s.controls).toEqual({ up: 0, down: 1 });
    expect(s.transport).toBe('websocket');
  });
});

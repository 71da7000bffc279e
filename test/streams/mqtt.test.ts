// MqttStream: the mqtt-tcp fixture (mosquitto_pub/sub against mosquitto) replayed through CaptureReplay and the
// Pipeline, compared with tshark's MQTT dissector; the password appears in no event or violation, reaches the
// analyzers as one token per CONNECT, and leaves only as a redacted finding.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { identifiers } from '../../analyzers/identifiers.ts';
import type { FlowEvent } from '../../src/model/events.ts';
import { MqttStream, msgIdCounter } from '../../src/streams/mqtt.ts';
import { replayCapture } from '../../testkit/replay.ts';
import { FIXTURES, mqttSummary, replayFixture } from '../capture/fixture-replay.ts';

describe('mqtt-tcp fixture', () => {
  const run = replayFixture('mqtt-tcp');
  const flows = [...run.out.flows.values()];

  it('opens three mqtt flows, all closed cleanly, no violations', () => {
    expect(flows.map((f) => [f.transport, f.tls, f.device.ip, f.closed])).toEqual([
      ['mqtt', 'none', '127.0.0.5', true],
      ['mqtt', 'none', '127.0.0.6', true],
      ['mqtt', 'none', '127.0.0.6', true],
    ]);
    expect(run.out.violations).toEqual([]);
  });

  it('shows the CONNECT, SUBSCRIBE and PUBLISH packets tshark shows', () => {
    const kept = new Set([1, 3, 8]);
    for (const t of run.tshark.flows) {
      const flow = flows.find((f) => f.device.port === t.client.port)!;
      const ours = (run.messages.get(flow.id) ?? []).map(mqttSummary);
      const theirs = run.tshark.mqtt
        .filter((m) => m.stream === t.stream && kept.has(m.type))
        .map(({ stream: _, ...m }) => m);
      expect(ours).toEqual(theirs);
    }
    const publishes = run.tshark.mqtt.filter((m) => m.type === 3);
    expect(publishes.map((m) => [m.dir, m.qos])).toEqual([
      ['up', 0],
      ['down', 0],
      ['up', 1],
      ['down', 1],
    ]);
  });

  it('feeds PUBLISH payloads to the analyzers as JSON tokens', () => {
    const values = run.tokens.filter((t) => t.source === 'json').map((t) => `${t.path}=${t.value}`);
    expect(values).toContain('$.lat=31.2304');
    expect(values).toContain('$.deviceId=XY-00017');
  });

  it('never lets the password out', () => {
    const text = JSON.stringify(
      [run.events, run.out.violations, [...run.out.flows.values()], run.out.messages],
      (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v),
    );
    expect(text).toContain('toy-XY-00017');
    expect(text).not.toContain('s3cr3t-Pa55word');
  });

  it('hands the CONNECT identity fields to the analyzers as tokens, the password among them', () => {
    const connect = run.tokens.filter((t) => t.source === 'header').map((t) => `${t.path}=${t.value}`);
    expect(connect.filter((t) => t.startsWith('$.password='))).toEqual(Array(3).fill('$.password=s3cr3t-Pa55word'));
    expect(connect).toContain('$.client-id=XY-00017');
    expect(connect).toContain('$.username=toy-XY-00017');
  });

  it('reports the clear-text password as a finding whose printed excerpt is masked', () => {
    const { out } = replayCapture(join(FIXTURES, 'mqtt-tcp/capture.pcap'), [identifiers]);
    const found = out.findings.filter((f) => f.subtype === 'password');
    expect(found).toHaveLength(3);
    for (const f of found) {
      expect(f.evidence.excerpt).not.toContain('s3cr3t-Pa55word');
      expect(f.evidence.value).toBe('s3cr3t-Pa55word');
    }
  });
});

describe('MqttStream', () => {
  it('numbers messages across directions and reports violations with the open message', () => {
    const events: FlowEvent[] = [];
    const reported: Array<{ code: string; msgId?: number }> = [];
    const s = new MqttStream({
      flowId: 'f',
      emit: (e) => events.push(e),
      report: (v) => reported.push({ code: v.code, ...(v.msgId === undefined ? {} : { msgId: v.msgId }) }),
      nextMsgId: msgIdCounter(5),
    });
    s.data('up', new Uint8Array([0x30, 4, 0, 1, 0x61, 0x7a]), 1);
    s.data('down', new Uint8Array([0x30, 3, 0, 1, 0x62]), 2);
    s.data('up', new Uint8Array([0x30, 9, 0, 1, 0x63]), 3);
    s.close(4);
    expect(events.map((e) => [e.type, 'msgId' in e ? e.msgId : e.type === 'message.head' ? e.msg.msgId : -1])).toEqual([
      ['message.head', 5],
      ['message.chunk', 5],
      ['message.end', 5],
      ['message.head', 6],
      ['message.end', 6],
      ['message.head', 7],
      ['message.end', 7],
    ]);
    expect(reported).toEqual([{ code: 'truncated-packet' }]);
    expect(s.counts.up).toEqual({ publish: 2 });
  });
});

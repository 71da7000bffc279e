/**
 * Replays a WebSocket/MQTT fixture through CaptureReplay + Pipeline (test analyzers), keeping every FlowEvent,
 * and folds the events into per-flow message summaries to compare with the tshark.json recorded with it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzers } from '../../analyzers/index.ts';
import { CaptureReplay } from '../../src/capture/replay.ts';
import type { Analyzer } from '../../src/model/analyzer.ts';
import type { FlowEvent } from '../../src/model/events.ts';
import { header, type MessageHead } from '../../src/model/message.ts';
import { CollectingOutput } from '../../src/pipeline/output.ts';
import { Pipeline } from '../../src/pipeline/pipeline.ts';
import { replayCaptureDrained } from '../../testkit/replay.ts';
import { tokenRecorder } from '../../testkit/test-analyzers.ts';

export const FIXTURES = join(import.meta.dirname, '../../fixtures');

/** The records of a little-endian microsecond pcap with Ethernet frames (a fixture recorded by tcpdump on lo). */
export function records(file: string): Array<{ ts: number; data: Uint8Array }> {
  const b = readFileSync(file);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint32(0, true) !== 0xa1b2c3d4 || v.getUint32(20, true) !== 1)
    throw new Error(`${file}: not a µs Ethernet pcap`);
  const out: Array<{ ts: number; data: Uint8Array }> = [];
  for (let at = 24; at + 16 <= b.length; ) {
    const len = v.getUint32(at + 8, true);
    out.push({ ts: v.getUint32(at, true) * 1e6 + v.getUint32(at + 4, true), data: b.subarray(at + 16, at + 16 + len) });
    at += 16 + len;
  }
  return out;
}

/** A capture's findings as `category/subtype value host` lines (sorted), its flow count and what it skipped. */
export async function findingsOf(file: string) {
  const { out, skipped } = await replayCaptureDrained(file, analyzers);
  const findings = out.findings
    .map((f) => `${f.category}/${f.subtype} ${f.evidence.value} ${f.destination.host}`)
    .sort();
  return { findings, flows: out.flows.size, skipped: Object.fromEntries(skipped) };
}

/** One message as the events showed it. */
export interface SeenMessage {
  head: MessageHead;
  bytes: number;
  ended: boolean;
}

export interface FixtureRun {
  events: FlowEvent[];
  out: CollectingOutput;
  tokens: ReturnType<typeof tokenRecorder>['tokens'];
  /** Messages per flowId, in head order. */
  messages: Map<string, SeenMessage[]>;
  tshark: TsharkView;
}

export interface TsharkView {
  flows: Array<{
    stream: number;
    client: { ip: string; port: number };
    server: { ip: string; port: number };
    host: string | null;
  }>;
  requests: Array<{ stream: number; host: string; method: string; uri: string }>;
  websocket: Array<{
    stream: number;
    dir: 'up' | 'down';
    fin: boolean;
    opcode: number;
    compressed: boolean;
    length: number;
    closeCode?: number;
  }>;
  mqtt: Array<{
    stream: number;
    dir: 'up' | 'down';
    type: number;
    topic?: string;
    qos?: number;
    clientId?: string;
    username?: string;
    payloadLength?: number;
  }>;
}

export function replayFixture(name: string): FixtureRun {
  const dir = join(FIXTURES, name);
  const bytes = readFileSync(join(dir, 'capture.pcap'));
  const recorder = tokenRecorder();
  const analyzers: Analyzer[] = [recorder.analyzer];
  const out = new CollectingOutput();
  const pipeline = new Pipeline({ analyzers, output: out });
  const events: FlowEvent[] = [];
  const captureId = createHash('sha256').update(bytes).digest('hex');
  const replay = new CaptureReplay({
    captureId,
    emit: (ev) => {
      events.push(ev);
      pipeline.push(ev);
    },
    violation: (v) => out.violation(v),
  });
  for (let i = 0; i < bytes.length; i += 1000) replay.write(bytes.subarray(i, i + 1000));
  replay.end();
  pipeline.finish(replay.lastTs);
  const messages = new Map<string, SeenMessage[]>();
  const byId = new Map<string, SeenMessage>();
  for (const ev of events) {
    if (ev.type === 'message.head') {
      const m = { head: ev.msg, bytes: 0, ended: false };
      messages.set(ev.flowId, [...(messages.get(ev.flowId) ?? []), m]);
      byId.set(`${ev.flowId}/${ev.msg.msgId}`, m);
    } else if (ev.type === 'message.chunk') byId.get(`${ev.flowId}/${ev.msgId}`)!.bytes += ev.data.length;
    else if (ev.type === 'message.end') byId.get(`${ev.flowId}/${ev.msgId}`)!.ended = true;
  }
  const tshark = JSON.parse(readFileSync(join(dir, 'tshark.json'), 'utf8')) as TsharkView;
  return { events, out, tokens: recorder.tokens, messages, tshark };
}

/** An MQTT message in the shape of a tshark.json `mqtt` entry (packet type number, topic, qos, ids, length). */
export function mqttSummary(m: SeenMessage): Record<string, unknown> {
  const q = m.head.mqtt!;
  const dir = m.head.direction === 'upload' ? 'up' : 'down';
  if (q.packet === 'connect') {
    const username = header(m.head, 'username');
    return { dir, type: 1, clientId: q.clientId, ...(username === undefined ? {} : { username }) };
  }
  if (q.packet === 'subscribe') return { dir, type: 8, topic: q.topic };
  return { dir, type: 3, topic: q.topic, qos: q.qos, payloadLength: m.bytes };
}

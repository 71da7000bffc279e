/**
 * The decryption fixtures replayed with their keys (keylog.txt, or the pcapng's DSB) through CaptureReplay: every
 * TLS flow is decrypted, and the HTTP requests, MQTT publishes and WebSocket messages read inside are the ones
 * tshark dissected from its own decryption (fixtures/<case>/tshark.json, make/tshark-decrypt-view.mjs).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptureReplay } from '../../src/capture/replay.ts';
import { KeyLog } from '../../src/decode/tls-keylog.ts';
import type { FlowEvent } from '../../src/model/events.ts';
import type { FlowInfo } from '../../src/model/flow.ts';
import { header } from '../../src/model/message.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures');

interface View {
  tls: Array<{ stream: number; client: { ip: string; port: number }; up?: unknown }>;
  requests: Array<{ stream: number; method: string; uri: string; host: string }>;
  mqtt: Array<{ stream: number; topic: string; payloadLength: number }>;
  websocket: Array<{ stream: number; dir: 'up' | 'down'; opcode: number }>;
}

const cases = readdirSync(FIXTURES).filter((d) => {
  const f = join(FIXTURES, d, 'tshark.json');
  return existsSync(f) && (JSON.parse(readFileSync(f, 'utf8')) as View).tls?.[0]?.up !== undefined;
});

/** Per flow (by client ip:port): its info and what was read inside. */
interface Seen {
  flow: FlowInfo;
  requests: Array<{ method: string; uri: string; host: string }>;
  mqtt: Array<{ topic: string; payloadLength: number }>;
  websocket: Array<{ dir: 'up' | 'down'; opcode: number }>;
}

function replay(dir: string): Map<string, Seen> {
  const capture = readdirSync(dir).find((f) => f.startsWith('capture.'))!;
  const keyLog = new KeyLog();
  if (existsSync(join(dir, 'keylog.txt'))) keyLog.add(readFileSync(join(dir, 'keylog.txt')));
  const byId = new Map<string, Seen>();
  const publishes = new Map<string, { topic: string; payloadLength: number }>();
  const emit = (e: FlowEvent) => {
    if (e.type === 'flow.open') byId.set(e.flow.id, { flow: e.flow, requests: [], mqtt: [], websocket: [] });
    if (e.type === 'flow.update') Object.assign(byId.get(e.flowId)!.flow, e.update);
    if (e.type === 'message.head') {
      const seen = byId.get(e.flowId)!;
      const m = e.msg;
      if (m.method) {
        const host = (header(m, 'host') ?? '').replace(/:\d+$/, '').toLowerCase();
        seen.requests.push({ method: m.method, uri: m.url!, host });
      }
      if (m.ws) seen.websocket.push({ dir: m.direction === 'upload' ? 'up' : 'down', opcode: m.ws.opcode });
      if (m.mqtt?.packet === 'publish') {
        const p = { topic: m.mqtt.topic ?? '', payloadLength: 0 };
        seen.mqtt.push(p);
        publishes.set(`${e.flowId}/${m.msgId}`, p);
      }
    }
    if (e.type === 'message.chunk') {
      const p = publishes.get(`${e.flowId}/${e.msgId}`);
      if (p) p.payloadLength += e.data.length;
    }
  };
  const r = new CaptureReplay({ captureId: 'f'.repeat(64), emit, violation: () => {}, keyLog });
  r.write(readFileSync(join(dir, capture)));
  r.end();
  return new Map([...byId.values()].map((s) => [`${s.flow.device.ip}:${s.flow.device.port}`, s]));
}

describe('decryption fixtures: what is read inside TLS equals tshark’s dissection', () => {
  for (const name of cases) {
    it(name, () => {
      const dir = join(FIXTURES, name);
      const view = JSON.parse(readFileSync(join(dir, 'tshark.json'), 'utf8')) as View;
      const seen = replay(dir);
      for (const t of view.tls) {
        const s = seen.get(`${t.client.ip}:${t.client.port}`);
        expect(s?.flow.tls, `stream ${t.stream}`).toBe('decrypted');
        const of = <T extends { stream: number }>(xs: T[]) =>
          xs.filter((x) => x.stream === t.stream).map(({ stream: _, ...x }) => x);
        expect(s?.requests).toEqual(of(view.requests));
        expect(s?.mqtt).toEqual(of(view.mqtt));
        expect(s?.websocket).toEqual(of(view.websocket).filter((w) => w.opcode === 1 || w.opcode === 2));
      }
    });
  }
});

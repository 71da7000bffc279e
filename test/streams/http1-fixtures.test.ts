// The recorded fixtures through reader → packet decoder → TCP reassembly → Http1Handler, compared with the view
// tshark recorded when each was made (fixtures/<case>/tshark.json): flows, hosts, requests and body lengths.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AutoReader } from '../../src/capture/detect-format.ts';
import { PacketDecoder } from '../../src/capture/packet-decoder.ts';
import { TcpReassembler } from '../../src/capture/tcp-reassembly.ts';
import type { FlowEvent } from '../../src/model/events.ts';
import { header } from '../../src/model/message.ts';
import { isAnomaly } from '../../src/model/violation.ts';
import { Http1Handler } from '../../src/streams/http1.ts';
import type { StreamHandler } from '../../src/streams/types.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures');

interface TsharkView {
  flows: Array<{ client: { ip: string; port: number }; server: { ip: string; port: number }; host: string | null }>;
  requests: Array<{ stream: number; host: string; method: string; uri: string; bodyLength: number }>;
  /** MQTT packets tshark dissected (ws-mqtt-view.mjs), in cases that mix MQTT flows with HTTP ones. */
  mqtt?: Array<{ stream: number }>;
}

interface Seen {
  client: string;
  server: string;
  host?: string;
  requests: Array<{ host: string; method: string; uri: string; bodyLength: number }>;
  responses: number;
  violations: string[];
}

const ep = (e: { ip: string; port: number }) => `${e.ip}:${e.port}`;

function replay(file: string): Seen[] {
  const flows: Seen[] = [];
  const handlers = new Map<number, StreamHandler>();
  const tcp = new TcpReassembler({
    open(conn) {
      const seen: Seen = {
        client: ep(conn.client),
        server: ep(conn.server),
        requests: [],
        responses: 0,
        violations: [],
      };
      flows.push(seen);
      const bodies = new Map<number, { bodyLength: number }>();
      const emit = (ev: FlowEvent) => {
        if (ev.type === 'flow.update') seen.host = ev.update.server?.host;
        else if (ev.type === 'message.head' && ev.msg.direction === 'upload') {
          const host = (header(ev.msg, 'host') ?? '').replace(/:\d+$/, '').toLowerCase();
          const req = { host, method: ev.msg.method!, uri: ev.msg.url!, bodyLength: 0 };
          seen.requests.push(req);
          bodies.set(ev.msg.msgId, req);
        } else if (ev.type === 'message.head') seen.responses++;
        else if (ev.type === 'message.chunk') {
          const req = bodies.get(ev.msgId);
          if (req) req.bodyLength += ev.data.length;
        }
      };
      handlers.set(
        conn.id,
        new Http1Handler({
          flowId: String(conn.id),
          emit,
          report: (v) => seen.violations.push(v.code),
          server: { ip: conn.server.ip, port: conn.server.port },
          midStream: conn.midStream,
        }),
      );
    },
    data: (conn, dir, bytes, ts) => handlers.get(conn.id)?.data(dir, bytes, ts),
    gap: (conn, dir, length, ts) => handlers.get(conn.id)?.gap(dir, length, ts),
    close: (conn, ts, reason) => handlers.get(conn.id)?.close(ts, reason),
  });
  const decoder = new PacketDecoder({
    tcp: (s) => tcp.segment(s),
    udp: () => {},
    skipped: () => {},
    violation: () => {},
  });
  let last = 0;
  const reader = new AutoReader({
    packet: (p) => {
      last = p.ts;
      decoder.packet(p);
    },
    skipped: () => {},
  });
  reader.write(new Uint8Array(readFileSync(file)));
  reader.end();
  decoder.end();
  tcp.end(last);
  return flows;
}

/** Fixtures whose tshark view lists flows and HTTP requests in clear (TLS, DNS, MQTT cases keep other views). */
function isHttpView(file: string): boolean {
  if (!existsSync(file)) return false;
  const view = JSON.parse(readFileSync(file, 'utf8')) as Partial<TsharkView>;
  return Array.isArray(view.flows) && (view.requests?.length ?? 0) > 0;
}

const cases = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory() && isHttpView(join(FIXTURES, d.name, 'tshark.json')))
  .map((d) => d.name);

describe('Http1Handler on the recorded fixtures, compared with tshark', () => {
  it('finds the fixtures', () => {
    expect(cases.length).toBeGreaterThanOrEqual(7);
  });

  for (const name of cases) {
    it(name, () => {
      const dir = join(FIXTURES, name);
      const capture = readdirSync(dir).find((f) => f.startsWith('capture.pcap'))!;
      const view = JSON.parse(readFileSync(join(dir, 'tshark.json'), 'utf8')) as TsharkView;
      const seen = replay(join(dir, capture));
      expect(seen.map((f) => [f.client, f.server, f.host ?? null])).toEqual(
        view.flows.map((f) => [ep(f.client), ep(f.server), f.host]),
      );
      view.flows.forEach((f, i) => {
        const stream = (f as { stream?: number }).stream ?? i;
        // A flow tshark read as MQTT (protocol-bombs mixes them with WebSocket) is not HTTP's to read.
        if (view.mqtt?.some((m) => m.stream === stream)) return;
        const want = view.requests.filter((r) => r.stream === stream).map(({ stream: _, ...r }) => r);
        // A message read one way of several (an anomaly, checked against expected.json by test/replay) may have
        // a body tshark reads another way, and a server may not answer it: that is what the anomaly says. Only
        // its head is compared.
        const anomalous = seen[i]!.violations.some((code) => isAnomaly({ code }));
        const heads = (rs: typeof want) => (anomalous ? rs.map(({ bodyLength: _, ...r }) => r) : rs);
        expect(heads(seen[i]!.requests)).toEqual(heads(want));
        if (!anomalous) expect(seen[i]!.responses).toBeGreaterThanOrEqual(want.length);
        expect(seen[i]!.violations.filter((code) => !isAnomaly({ code }))).toEqual([]);
      });
    });
  }
});

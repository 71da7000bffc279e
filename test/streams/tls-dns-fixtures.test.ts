// The TLS and DNS fixtures through the whole replay (reader → TCP/UDP → TlsStream / DnsFlows → Pipeline),
// compared with tshark's view recorded when each was made (fixtures/<case>/tshark.json) and with expected.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptureReplay } from '../../src/capture/replay.ts';
import { CollectingOutput } from '../../src/pipeline/output.ts';
import { Pipeline } from '../../src/pipeline/pipeline.ts';
import { valueAt } from '../../testkit/replay.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures');
const CASES = ['tls12-upload', 'tls13-upload', 'tls-rejected', 'dns-lookups', 'dns-odd-port', 'tls-mqtt-odd-ports'];

interface TsharkTls {
  client: { ip: string; port: number };
  sni: string | null;
  alpn: string[];
  ja3: string;
  ja3Full: string;
  versions: string[];
  serverVersion: string;
  cipher: string;
  certStrings?: string[];
  alerts: Array<{ from: string; level: number; desc: number }>;
}
interface TsharkDns {
  response: boolean;
  id: number;
  names: string[];
  a: string[];
}
interface Expected {
  flows: Array<{ count: number; match: Record<string, string | number> }>;
}

function replay(name: string) {
  const out = new CollectingOutput();
  const pipeline = new Pipeline({ analyzers: [], output: out });
  const r = new CaptureReplay({
    captureId: '0123456789abcdef',
    emit: (ev) => pipeline.push(ev),
    violation: (v) => out.violation(v),
  });
  r.write(readFileSync(join(FIXTURES, name, 'capture.pcap')));
  r.end();
  pipeline.finish();
  return out;
}

const hex = (v: string) => `0x${Number.parseInt(v, 16).toString(16).padStart(4, '0')}`;
const VERSION_HEX: Record<string, string> = {
  'TLSv1.3': '0x0304',
  'TLSv1.2': '0x0303',
  'TLSv1.1': '0x0302',
  TLSv1: '0x0301',
};

describe.each(CASES)('fixture %s', (name) => {
  const out = replay(name);
  const flows = [...out.flows.values()];
  const tshark = JSON.parse(readFileSync(join(FIXTURES, name, 'tshark.json'), 'utf8')) as {
    tls: TsharkTls[];
    dns: TsharkDns[];
  };
  const expected = JSON.parse(readFileSync(join(FIXTURES, name, 'expected.json'), 'utf8')) as Expected;

  it('reports no violations and every flow closed', () => {
    expect(out.violations).toEqual([]);
    expect(flows.every((f) => f.closed)).toBe(true);
  });

  it('gives the flows of expected.json', () => {
    for (const { count, match } of expected.flows) {
      const hits = flows.filter((f) =>
        Object.entries(match).every(
          ([k, v]) => (k === 'host' ? (f.server.host ?? f.destination.host) : valueAt(f, k)) === v,
        ),
      );
      expect(hits, JSON.stringify(match)).toHaveLength(count);
    }
    expect(flows).toHaveLength(expected.flows.reduce((n, e) => n + e.count, 0));
  });

  it("matches tshark's TLS view", () => {
    for (const t of tshark.tls) {
      const f = flows.find((x) => x.device.ip === t.client.ip && x.device.port === t.client.port);
      const info = f?.tlsInfo;
      expect(info, `stream from port ${t.client.port}`).toBeDefined();
      expect(info?.sni ?? null).toBe(t.sni);
      expect(info?.alpn ?? []).toEqual(t.alpn);
      expect(info?.ja3).toBe(t.ja3Full);
      expect(info?.ja3Hash).toBe(t.ja3);
      if (t.versions.length > 0) expect(info?.versions?.map((v) => VERSION_HEX[v])).toEqual(t.versions.map(hex));
      expect(VERSION_HEX[info?.serverVersion ?? '']).toBe(hex(t.serverVersion));
      expect(info?.cipher).toBe(hex(t.cipher));
      for (const s of t.certStrings ?? []) expect(`${info?.certSubject} ${info?.certIssuer}`).toContain(s);
      if (!t.certStrings) expect(info?.certSubject).toBeUndefined();
      expect((info?.alerts ?? []).map((a) => ({ from: a.from, level: a.level, desc: a.description }))).toEqual(
        t.alerts,
      );
      expect(info?.ja4).toMatch(/^t1[23][di]\d{4}[0-9a-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$/);
    }
  });

  it("matches tshark's DNS view", () => {
    const msgs = out.messages.filter((m) => m.protocol === 'dns');
    expect(msgs).toHaveLength(tshark.dns.length);
    for (const d of tshark.dns) {
      const hit = msgs.filter(
        (m) => m.url === `dns:${d.names[0]}?type=A` && m.direction === (d.response ? 'download' : 'upload'),
      );
      expect(hit, JSON.stringify(d)).toHaveLength(1);
    }
    for (const d of tshark.dns.filter((x) => x.response)) {
      for (const ip of d.a) {
        const to = flows.filter((f) => f.server.ip === ip && f.transport !== 'dns');
        for (const f of to) expect(f.server.host).toBe(d.names[0]);
      }
    }
  });
});

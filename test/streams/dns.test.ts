import { describe, expect, it } from 'vitest';
import type { FlowEvent } from '../../src/model/events.ts';
import { type Limits, resolveLimits } from '../../src/model/limits.ts';
import type { Violation } from '../../src/model/violation.ts';
import { DnsFlows } from '../../src/streams/dns.ts';
import { oneByteAtATime } from '../helpers/splits.ts';

const u16 = (n: number) => [n >> 8, n & 0xff];
const name = (s: string) => [...s.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]), 0];
const query = (id: number, host: string) => [...u16(id), 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...name(host), 0, 1, 0, 1];
const answer = (id: number, host: string, ip: number[]) => [
  ...u16(id),
  0x81,
  0x80,
  0,
  1,
  0,
  1,
  0,
  0,
  0,
  0,
  ...name(host),
  0,
  1,
  0,
  1,
  0xc0,
  12,
  0,
  1,
  0,
  1,
  0,
  0,
  0,
  60,
  0,
  4,
  ...ip,
];
const framed = (m: number[]) => Uint8Array.from([...u16(m.length), ...m]);

function setup(limits: Partial<Limits> = {}) {
  const events: FlowEvent[] = [];
  const violations: Violation[] = [];
  let n = 100;
  const dns = new DnsFlows({
    source: 'capture',
    captureId: 'c0ffee',
    emit: (ev) => events.push(ev),
    violation: (v) => violations.push(v),
    newFlowId: () => `c:${++n}`,
    limits: resolveLimits(limits),
  });
  const device = { ip: '127.0.0.5', port: 40000 };
  const conn = { id: 1, client: device, server: { ip: '127.0.0.153', port: 53 }, midStream: false };
  return { events, violations, dns, conn };
}

describe('DnsFlows', () => {
  it('turns DNS over TCP, split anyhow, into query and response messages and learns IP → name', () => {
    const { events, violations, dns, conn } = setup();
    const s = dns.tcpStream('c:1', conn.client);
    for (const b of oneByteAtATime(framed(query(9, 'api.toy.example')))) s.data('up', b, 10);
    for (const b of oneByteAtATime(framed(answer(9, 'api.toy.example', [127, 0, 0, 11])))) s.data('down', b, 20);
    expect(violations).toEqual([]);
    const heads = events.flatMap((e) => (e.type === 'message.head' ? [e.msg] : []));
    expect(heads).toEqual([
      {
        msgId: 0,
        direction: 'upload',
        protocol: 'dns',
        url: 'dns:api.toy.example?type=A',
        headers: [
          ['dns-id', '9'],
          ['question', 'api.toy.example A'],
        ],
      },
      {
        msgId: 1,
        direction: 'download',
        protocol: 'dns',
        url: 'dns:api.toy.example?type=A',
        requestId: 0,
        headers: [
          ['dns-id', '9'],
          ['question', 'api.toy.example A'],
          ['rcode', 'NOERROR'],
          ['answer', 'api.toy.example A 60 127.0.0.11'],
        ],
      },
    ]);
    expect(events.filter((e) => e.type === 'message.end')).toHaveLength(2);
    expect(dns.server({ ip: '127.0.0.11', port: 443 })).toEqual({
      ip: '127.0.0.11',
      port: 443,
      host: 'api.toy.example',
    });
    expect(dns.server({ ip: '127.0.0.99', port: 443 })).toEqual({ ip: '127.0.0.99', port: 443 });
  });

  it('lists names looked up and never contacted as zero-byte dns flows at the end', () => {
    const { events, dns, conn } = setup();
    const s = dns.tcpStream('c:1', conn.client);
    s.data('up', framed(query(1, 'used.example')), 1);
    s.data('down', framed(answer(1, 'used.example', [127, 0, 0, 11])), 2);
    s.data('up', framed(query(2, 'unused.example')), 3);
    s.data('down', framed(answer(2, 'unused.example', [127, 0, 0, 12])), 4);
    dns.observe({
      ts: 5,
      type: 'flow.open',
      flow: {
        id: 'c:2',
        deviceId: '127.0.0.5',
        device: { ip: '127.0.0.5', port: 40001 },
        server: { ip: '127.0.0.11', port: 443 },
        transport: 'tcp',
        tls: 'opaque',
        source: 'capture',
      },
    });
    events.length = 0;
    dns.end(9);
    expect(events).toEqual([
      {
        ts: 3,
        type: 'flow.open',
        flow: {
          id: 'c:101',
          deviceId: '127.0.0.5',
          device: { ip: '127.0.0.5', port: 40000 },
          server: { ip: '127.0.0.12', port: 0, host: 'unused.example' },
          transport: 'dns',
          tls: 'none',
          source: 'capture',
          captureId: 'c0ffee',
        },
      },
      { ts: 9, type: 'flow.close', flowId: 'c:101', stats: { bytesUp: 0, bytesDown: 0 } },
    ]);
  });

  it('counts a contact before the lookup while it is among the last MAX_DNS_CONTACTS, and an IP two names share for both', () => {
    const { events, dns, conn } = setup({ MAX_DNS_CONTACTS: 2 });
    let flow = 10;
    const contact = (ip: string) =>
      dns.observe({
        ts: 1,
        type: 'flow.open',
        flow: {
          id: `c:${++flow}`,
          deviceId: '127.0.0.5',
          device: { ip: '127.0.0.5', port: 40001 },
          server: { ip, port: 443 },
          transport: 'tcp',
          tls: 'opaque',
          source: 'capture',
        },
      });
    contact('127.0.0.11'); // forgotten: two contacts follow before its lookup
    contact('127.0.0.12');
    contact('127.0.0.13');
    const s = dns.tcpStream('c:1', conn.client);
    const lookups: Array<[string, number[]]> = [
      ['early.example', [127, 0, 0, 11]],
      ['recent.example', [127, 0, 0, 13]],
      ['one.example', [127, 0, 0, 20]],
      ['two.example', [127, 0, 0, 20]],
    ];
    lookups.forEach(([host, ip], i) => {
      s.data('up', framed(query(i, host)), 2);
      s.data('down', framed(answer(i, host, ip)), 3);
    });
    contact('127.0.0.20');
    events.length = 0;
    dns.end(9);
    const never = events.flatMap((e) => (e.type === 'flow.open' ? [e.flow.server.host] : []));
    expect(never).toEqual(['early.example']);
  });

  it('reports malformed DNS as a violation', () => {
    const { violations, dns, conn } = setup();
    dns.tcpStream('c:1', conn.client).data('up', framed([1, 2, 3]), 1);
    expect(violations).toMatchObject([{ decoder: 'dns', code: 'truncated', flowId: 'c:1' }]);
  });
});

// Protocols by content on any port (recognize.ts through ConnectionRouter): HTTP, TLS, MQTT and DNS over TCP on
// odd ports, fed cut at every offset, give the same flow and messages as fed whole; ports only break ties; UDP DNS
// is recognised by its first datagram.
import { describe, expect, it } from 'vitest';
import { dnsMessageShape, dnsTcpQueryPrefix } from '../../src/decode/dns-shape.ts';
import type { FlowEvent } from '../../src/model/events.ts';
import { DEFAULT_LIMITS } from '../../src/model/limits.ts';
import { DnsFlows } from '../../src/streams/dns.ts';
import { MAX_RECOGNITION_BYTES, recognizeTcp, recognizeUdp, udpPayloadReadable } from '../../src/streams/recognize.ts';
import { ConnectionRouter } from '../../src/streams/router.ts';
import { bytes, clientHelloBody, handshake, records, sniExt } from '../../testkit/tls-builders.ts';
import { everySplit, utf8 } from '../helpers/splits.ts';

const u16 = (n: number) => [n >> 8, n & 0xff];
const name = (s: string) => [...s.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]), 0];
const dnsQuery = (id: number, host: string) => [...u16(id), 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...name(host), 0, 1, 0, 1];
const dnsAnswer = (id: number, host: string) => [
  ...[...u16(id), 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0],
  ...[...name(host), 0, 1, 0, 1],
  ...[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 11],
];
const framed = (m: number[]) => Uint8Array.from([...u16(m.length), ...m]);
const str = (s: string) => [...u16(s.length), ...Buffer.from(s)];
const mqttPacket = (b0: number, body: number[]) => [b0, body.length, ...body];

const SAMPLES: Record<string, { port: number; up: Uint8Array; down?: Uint8Array }> = {
  'HTTP on 8081': {
    port: 8081,
    up: utf8('POST /v1/upload HTTP/1.1\r\nHost: api.toy-cloud.example:8081\r\nContent-Length: 11\r\n\r\n{"sn":"X1"}'),
    down: utf8('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'),
  },
  'TLS on 8883': {
    port: 8883,
    up: bytes(
      records(0x16, handshake(1, clientHelloBody({ ciphers: [0x1301], extensions: [sniExt('mq.toy.example')] }))),
    ),
  },
  'MQTT on 1884': {
    port: 1884,
    up: Uint8Array.from([
      ...mqttPacket(0x10, [...str('MQTT'), 4, 0x02, 0, 60, ...str('XY-1')]),
      ...mqttPacket(0x30, [...str('toy/XY-1/gps'), ...Buffer.from('$GPRMC')]),
    ]),
  },
  'DNS over TCP on 5353': {
    port: 5353,
    up: framed(dnsQuery(7, 'api.toy.example')),
    down: framed(dnsAnswer(7, 'api.toy.example')),
  },
};

/** Routes one connection; returns its events with message bodies joined (chunking is not compared). */
function route(port: number, up: Uint8Array[], down: Uint8Array[] = []) {
  const events: FlowEvent[] = [];
  const violations: string[] = [];
  const dns = new DnsFlows({
    source: 'capture',
    emit: (e) => events.push(e),
    violation: (v) => violations.push(v.code),
    newFlowId: () => 'c:9',
  });
  const router = new ConnectionRouter({
    flowId: 'c:1',
    client: { ip: '127.0.0.5', port: 40000 },
    server: { ip: '127.0.0.9', port },
    source: 'capture',
    tls: 'none',
    openTs: 1,
    emit: (e) => events.push(e),
    report: (v) => violations.push(v.code),
    limits: DEFAULT_LIMITS,
    dns,
  });
  for (const c of up) router.data('up', c, 2);
  for (const c of down) router.data('down', c, 3);
  router.close(4, 'fin');
  const log: unknown[] = [];
  for (const e of events) {
    const last = log[log.length - 1] as { type: string; msgId: number; data: string } | undefined;
    if (e.type === 'message.chunk' && last?.type === 'message.chunk' && last.msgId === e.msgId) {
      last.data += Buffer.from(e.data).toString('latin1');
    } else if (e.type === 'message.chunk') log.push({ ...e, ts: 0, data: Buffer.from(e.data).toString('latin1') });
    else log.push({ ...e, ts: 0 });
  }
  const open = events.find((e) => e.type === 'flow.open');
  const flow = open?.type === 'flow.open' ? open.flow : undefined;
  return { log, violations, transport: flow?.transport, tls: flow?.tls };
}

describe('protocol recognition by content', () => {
  it.each(Object.entries(SAMPLES))('recognises %s at every split of the first bytes', (_name, s) => {
    const whole = route(s.port, [s.up], s.down ? [s.down] : []);
    expect(whole.violations).toEqual([]);
    for (const chunks of everySplit(s.up)) expect(route(s.port, chunks, s.down ? [s.down] : [])).toEqual(whole);
  });

  it('opens each sample with its transport and TLS state', () => {
    const seen = Object.values(SAMPLES).map((s) => {
      const r = route(s.port, [s.up]);
      return [r.transport, r.tls];
    });
    expect(seen).toEqual([
      ['http', 'none'],
      ['tcp', 'opaque'],
      ['mqtt', 'none'],
      ['dns', 'none'],
    ]);
    const dns = route(5353, [SAMPLES['DNS over TCP on 5353']!.up]);
    expect(dns.log.filter((e) => (e as FlowEvent).type === 'message.head')).toHaveLength(1);
  });

  it('takes the port as a hint only: port 53 is DNS when content cannot tell, HTTP when it says so', () => {
    expect(route(53, []).transport).toBe('dns');
    expect(route(53, [utf8('GET / HTTP/1.1\r\nHost: a\r\n\r\n')]).transport).toBe('http');
    expect(route(5353, []).transport).toBe('tcp');
    expect(route(5353, [Uint8Array.from([0, 40, 1, 2, 3])]).transport).toBe('tcp');
  });

  it('does not hold more than MAX_RECOGNITION_BYTES, and decides when the server answers', () => {
    const prefix = framed(dnsQuery(1, 'a.example')).subarray(0, 10); // a DNS prefix: still undecided
    expect(recognizeTcp(prefix, false, 5353)).toBe('more');
    expect(recognizeTcp(prefix, true, 5353)).toBe('unknown');
    const noise = new Uint8Array(MAX_RECOGNITION_BYTES).fill(0);
    expect(recognizeTcp(noise, false, 5353)).toBe('unknown');
    expect(route(5353, [prefix], [utf8('220 ready\r\n')]).transport).toBe('tcp');
  });

  it('takes HTTP only from a whole request line: a text protocol starting "word word" stays unknown', () => {
    expect(recognizeTcp(utf8('GET / HTTP/1.1'), false, 80)).toBe('more');
    expect(recognizeTcp(utf8('GET / HTTP/1.1\r\n'), false, 8080)).toBe('http');
    expect(recognizeTcp(utf8('HELO mail.teddy.example\r\n'), false, 25)).toBe('smtp'); // SMTP's, not a request line
    expect(recognizeTcp(utf8('STAT all now\r\n'), true, 7000)).toBe('unknown');
    expect(recognizeTcp(utf8('hello world'), true, 7000)).toBe('unknown');
    // A long URL: still a well-formed line when the bytes held run out.
    expect(recognizeTcp(utf8(`GET /${'a'.repeat(MAX_RECOGNITION_BYTES)}`), false, 80)).toBe('http');
  });

  it('recognises DNS over UDP by its first datagram, query or response, on any port', () => {
    expect(recognizeUdp(Uint8Array.from(dnsQuery(3, 'api.toy.example')), 40000, 5353)).toBe('dns');
    expect(recognizeUdp(Uint8Array.from(dnsAnswer(3, 'api.toy.example')), 5353, 40000)).toBe('dns');
    expect(recognizeUdp(utf8('$GPRMC,1,2,3 price $5 $$'), 40000, 5353)).toBe('udp');
    expect(recognizeUdp(Uint8Array.from([0xc3, 0, 0, 0, 1, 8, ...new Array(40).fill(0x5a)]), 40000, 4433)).toBe('udp');
    expect(recognizeUdp(utf8('garbage'), 40000, 53)).toBe('dns');
  });
});

describe('udpPayloadReadable', () => {
  const dev = { ip: '192.168.4.23', port: 40000 };
  const to = (ip: string, port: number) => ({ ip, port });
  const quic = Uint8Array.from([0xc3, 0, 0, 0, 1, 8, ...new Array(40).fill(0x5a)]);
  const dtls = Uint8Array.from([0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 1]);
  const stun = Uint8Array.from([0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, ...new Array(12).fill(7)]);

  it("reads a device's own datagrams to a server: a tracker's text, JSON", () => {
    expect(udpPayloadReadable(utf8('imei:359587010124900,tracker,…'), dev, to('47.88.1.2', 5002))).toBe(true);
    expect(udpPayloadReadable(utf8('{"imei":"359587010124900"}'), dev, to('2001:db8::1', 9000))).toBe(true);
  });

  it('leaves QUIC, DTLS, STUN, multicast, broadcast and the LAN services alone', () => {
    expect(udpPayloadReadable(quic, dev, to('142.250.1.1', 443))).toBe(false);
    expect(udpPayloadReadable(dtls, dev, to('47.88.1.2', 5684))).toBe(false);
    expect(udpPayloadReadable(stun, dev, to('74.125.1.1', 19302))).toBe(false);
    expect(udpPayloadReadable(utf8('NOTIFY * HTTP/1.1'), dev, to('239.255.255.250', 1900))).toBe(false);
    expect(udpPayloadReadable(utf8('hello'), dev, to('255.255.255.255', 9999))).toBe(false);
    expect(udpPayloadReadable(utf8('hello'), dev, to('ff02::1', 9999))).toBe(false);
    expect(udpPayloadReadable(new Uint8Array(48), dev, to('162.159.200.1', 123))).toBe(false);
    expect(udpPayloadReadable(new Uint8Array(300), to('0.0.0.0', 68), to('192.168.4.1', 67))).toBe(false);
  });
});

describe('dnsMessageShape', () => {
  const q = Uint8Array.from(dnsQuery(9, 'telemetry.toy-cloud.example'));

  it('says more on every prefix of a query and ok on the whole', () => {
    for (let n = 0; n < q.length; n++) expect(dnsMessageShape(q, 0, n, false)).toBe('more');
    expect(dnsMessageShape(q, 0, q.length, false)).toBe('ok');
  });

  it('rejects other opcodes, several questions, answers in a query, bad labels and classes', () => {
    const mutate = (i: number, v: number) => Uint8Array.from(q, (b, k) => (k === i ? v : b));
    expect(dnsMessageShape(mutate(2, 0x29), 0, q.length, false)).toBe('bad'); // opcode 5
    expect(dnsMessageShape(mutate(5, 2), 0, q.length, false)).toBe('bad'); // two questions
    expect(dnsMessageShape(mutate(7, 1), 0, q.length, false)).toBe('bad'); // an answer in a query
    expect(dnsMessageShape(mutate(13, 0x01), 0, q.length, false)).toBe('bad'); // control byte in a label
    expect(dnsMessageShape(mutate(q.length - 1, 9), 0, q.length, false)).toBe('bad'); // class 9
    expect(dnsMessageShape(Uint8Array.from(dnsAnswer(9, 'a.example')), 0, 43, false)).toBe('bad'); // a response
  });

  it('frames a TCP query by its length prefix', () => {
    const f = framed([...q]);
    expect(dnsTcpQueryPrefix(f)).toBe('ok');
    expect(dnsTcpQueryPrefix(f.subarray(0, 1))).toBe('more');
    const short = Uint8Array.from([0, 20, ...q]); // the length ends inside the question
    expect(dnsTcpQueryPrefix(short)).toBe('bad');
  });
});

/**
 * proxy/dns-forwarder.ts on loopback, asked by a real client (dig, over UDP and TCP): static names answered
 * from config, the rest forwarded (to a second forwarder as upstream, or to a truncating one that makes it ask
 * again over TCP), REFUSED without upstream and SERVFAIL when the upstream is silent; and what the run sees: `dns`
 * flows through the shared decoder, names for bare IPs, and the names looked up but never contacted.
 */
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { staticResponse } from '../../proxy/dns-answer.ts';
import { DnsForwarder, staticAddresses } from '../../proxy/dns-forwarder.ts';
import type { FlowEvent } from '../../src/model/events.ts';
import { DEFAULT_LIMITS } from '../../src/model/limits.ts';
import type { Violation } from '../../src/model/violation.ts';
import { DnsFlows } from '../../src/streams/dns.ts';
import { flowInfo } from '../../src/streams/flow-info.ts';
import { itWithTools } from '../helpers/tools.ts';

const run = promisify(execFile);
const STATIC = {
  'api.teddy.example': ['203.0.113.7', '2001:db8:3::7'],
  '*.cdn.teddy.example': ['203.0.113.8'],
};

function liveRun() {
  const events: FlowEvent[] = [];
  const violations: Violation[] = [];
  let n = 0;
  const newFlowId = () => `live:${++n}`;
  const dns = new DnsFlows({
    source: 'live',
    emit: (e) => events.push(e),
    violation: (v) => violations.push(v),
    newFlowId,
  });
  const emit = (e: FlowEvent) => {
    dns.observe(e);
    events.push(e);
  };
  return {
    tap: { dns, emit, newFlowId, macOf: (ip: string) => (ip === '127.0.0.1' ? '02:00:00:00:00:10' : undefined) },
    events,
    violations,
  };
}

const opened: DnsForwarder[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((f) => f.close()));
});

async function forwarder(
  opts: { static?: Record<string, string[]>; upstream?: { host: string; port: number }; waitMs?: number } = {},
) {
  const r = liveRun();
  const f = await DnsForwarder.start({
    listen: { host: '127.0.0.1', port: 0 },
    ...(opts.upstream ? { upstream: opts.upstream } : {}),
    static: opts.static ?? STATIC,
    tap: r.tap,
    limits: { ...DEFAULT_LIMITS, MAX_DNS_FORWARD_WAIT_MS: opts.waitMs ?? DEFAULT_LIMITS.MAX_DNS_FORWARD_WAIT_MS },
  });
  opened.push(f);
  return { f, ...r };
}

/** dig's answer lines and status, one try, at most 5 s. */
async function dig(f: DnsForwarder, name: string, type = 'A', ...extra: string[]) {
  const { stdout } = await run('dig', [
    '-p',
    String(f.address.port),
    '@127.0.0.1',
    name,
    type,
    '+tries=1',
    '+time=5',
    ...extra,
  ]);
  const status = /status: (\w+)/.exec(stdout)?.[1];
  const answers = stdout
    .split('\n')
    .filter((l) => l && !l.startsWith(';'))
    .map((l) => l.split(/\s+/).slice(3).join(' '));
  return { status, answers };
}

describe('staticAddresses', () => {
  it('takes the name itself, else the closest wildcard parent, never the apex of a wildcard', () => {
    const table = { 'a.example': ['1'], '*.example': ['2'], '*.b.example': ['3'] };
    expect(staticAddresses(table, 'a.example')).toEqual(['1']);
    expect(staticAddresses(table, 'x.a.example')).toEqual(['2']);
    expect(staticAddresses(table, 'x.b.example')).toEqual(['3']);
    expect(staticAddresses(table, 'example')).toBeUndefined();
    expect(staticAddresses(table, 'other.test')).toBeUndefined();
  });
});

describe('DnsForwarder', () => {
  itWithTools('dig')('answers static names over UDP and TCP, A and AAAA, wildcards included', async () => {
    const { f } = await forwarder();
    expect(await dig(f, 'api.teddy.example')).toEqual({ status: 'NOERROR', answers: ['A 203.0.113.7'] });
    expect(await dig(f, 'API.Teddy.Example', 'AAAA', '+tcp')).toEqual({
      status: 'NOERROR',
      answers: ['AAAA 2001:db8:3::7'],
    });
    expect(await dig(f, 'img.cdn.teddy.example', 'A', '+tcp')).toEqual({
      status: 'NOERROR',
      answers: ['A 203.0.113.8'],
    });
    expect(await dig(f, 'img.cdn.teddy.example', 'AAAA')).toEqual({ status: 'NOERROR', answers: [] });
    expect(await dig(f, 'api.teddy.example', 'TXT')).toEqual({ status: 'NOERROR', answers: [] });
  });

  itWithTools('dig')(
    'forwards other names to the upstream, REFUSED without one, SERVFAIL when it is silent',
    async () => {
      const upstream = await forwarder({ static: { 'time.toy.example': ['198.51.100.9'] } });
      const { f } = await forwarder({ upstream: { host: '127.0.0.1', port: upstream.f.address.port } });
      expect(await dig(f, 'time.toy.example')).toEqual({ status: 'NOERROR', answers: ['A 198.51.100.9'] });
      expect(await dig(f, 'time.toy.example', 'A', '+tcp')).toEqual({ status: 'NOERROR', answers: ['A 198.51.100.9'] });
      expect((await dig(f, 'nowhere.example')).status).toBe('REFUSED'); // the upstream has no upstream
      const alone = await forwarder();
      expect((await dig(alone.f, 'nowhere.example')).status).toBe('REFUSED');
      const silent = createSocket('udp4');
      silent.bind(0, '127.0.0.1');
      await once(silent, 'listening');
      try {
        const { f: g } = await forwarder({ upstream: { host: '127.0.0.1', port: silent.address().port }, waitMs: 300 });
        expect((await dig(g, 'time.toy.example')).status).toBe('SERVFAIL');
      } finally {
        silent.close();
      }
    },
  );

  itWithTools('dig')('asks again over TCP when the upstream answer is truncated', async () => {
    const table = ['203.0.113.1', '203.0.113.2'];
    const tcp = createServer((s) =>
      s.on('data', (d) => {
        const r = staticResponse(d.subarray(2), table)!;
        const len = Buffer.alloc(2);
        len.writeUInt16BE(r.length);
        s.end(Buffer.concat([len, r]));
      }),
    );
    const udp = await udpBesideTcp(tcp);
    udp.on('message', (q, rinfo) => {
      const r = Buffer.from(staticResponse(q, table.slice(0, 1))!);
      r[2] = (r[2] as number) | 0x02; // TC: "too long for UDP"
      udp.send(r, rinfo.port, rinfo.address);
    });
    try {
      const { f } = await forwarder({ upstream: { host: '127.0.0.1', port: udp.address().port } });
      expect(await dig(f, 'big.toy.example')).toEqual({
        status: 'NOERROR',
        answers: ['A 203.0.113.1', 'A 203.0.113.2'],
      });
    } finally {
      udp.close();
      tcp.close();
    }
  });

  itWithTools('dig')('feeds the run: dns flows and messages, names for bare IPs, lookups never contacted', async () => {
    const { f, tap, events } = await forwarder();
    await dig(f, 'api.teddy.example');
    await dig(f, 'img.cdn.teddy.example', 'A', '+tcp');
    const opens = events.filter((e) => e.type === 'flow.open').map((e) => e.flow);
    expect(opens).toHaveLength(2);
    expect(opens[0]).toMatchObject({
      transport: 'dns',
      tls: 'none',
      source: 'live',
      deviceId: '02:00:00:00:00:10',
      server: { ip: '127.0.0.1', port: f.address.port },
    });
    const heads = events.flatMap((e) => (e.type === 'message.head' ? [e.msg] : []));
    expect(heads.map((h) => [h.direction, h.url])).toEqual([
      ['upload', 'dns:api.teddy.example?type=A'],
      ['download', 'dns:api.teddy.example?type=A'],
      ['upload', 'dns:img.cdn.teddy.example?type=A'],
      ['download', 'dns:img.cdn.teddy.example?type=A'],
    ]);
    expect(heads[1]!.headers).toContainEqual(['answer', 'api.teddy.example A 60 203.0.113.7']);
    expect(tap.dns.server({ ip: '203.0.113.8', port: 443 }).host).toBe('img.cdn.teddy.example');
    // The device then talks to api.teddy.example only: the CDN name is listed as looked up, never contacted.
    const spec = {
      flowId: 'live:x',
      client: { ip: '127.0.0.1', port: 1, mac: '02:00:00:00:00:10' },
      source: 'live' as const,
    };
    const flow = flowInfo({ ...spec, server: { ip: '203.0.113.7', port: 443 } }, 'tcp', 'opaque');
    tap.emit({ ts: 1, type: 'flow.open', flow });
    await f.close();
    const closes = events.filter((e) => e.type === 'flow.close');
    expect(closes).toHaveLength(2); // the UDP flow at close(), the TCP one when dig hung up
    expect(closes.every((e) => e.type === 'flow.close' && e.stats.bytesUp > 0 && e.stats.bytesDown > 0)).toBe(true);
    const before = events.length;
    tap.dns.end(Date.now() * 1000);
    const never = events
      .slice(before)
      .filter((e) => e.type === 'flow.open')
      .map((e) => e.flow.server);
    expect(never).toEqual([{ ip: '203.0.113.8', port: 0, host: 'img.cdn.teddy.example' }]);
  });

  it('answers a malformed query FORMERR and reports it, without a crash', async () => {
    const { f, violations } = await forwarder();
    const client = createSocket('udp4');
    try {
      const reply = once(client, 'message');
      client.send(Buffer.from('0102010000010000000000000377777700', 'hex'), f.address.port, '127.0.0.1'); // name, no type
      const [msg] = (await reply) as [Buffer];
      expect(msg.readUInt16BE(0)).toBe(0x0102);
      expect(msg[3]! & 0x0f).toBe(1); // FORMERR
      expect(violations[0]).toMatchObject({ decoder: 'dns', code: 'truncated', flowId: 'live:1' });
    } finally {
      client.close();
    }
  });
});

/**
 * A DNS upstream answers UDP and TCP on one port: `tcp` listens on an ephemeral port of 127.0.0.1 and a UDP socket
 * binds the same number; when another program holds that UDP port, both try again (at most 20 times).
 */
async function udpBesideTcp(tcp: ReturnType<typeof createServer>): Promise<ReturnType<typeof createSocket>> {
  for (let attempt = 1; ; attempt++) {
    tcp.listen(0, '127.0.0.1');
    await once(tcp, 'listening');
    const port = (tcp.address() as { port: number }).port;
    const udp = createSocket('udp4');
    try {
      udp.bind(port, '127.0.0.1');
      await once(udp, 'listening');
      return udp;
    } catch (err) {
      udp.close();
      await new Promise((r) => tcp.close(r));
      if (attempt === 20 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
}

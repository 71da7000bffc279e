/**
 * proxy/udp-recorder.ts: readings of the gateway's recording sets become flows — opened when a 5-tuple appears,
 * closed with application byte counts when it expires or at the end, QUIC and blocked IPv6 marked — first on
 * readings taken from the real nft in a namespace lab, then on hand-made readings for expiry and naming.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nftRules } from '../../proxy/gateway-rules.ts';
import { parseUdpReading, type UdpReading, UdpRecorder } from '../../proxy/udp-recorder.ts';
import type { FlowEvent } from '../../src/model/events.ts';
import { DnsFlows } from '../../src/streams/dns.ts';
import { echoServers, udpProbe } from '../helpers/lab-probes.ts';
import { createLab, describeNetns, deviceMac, LAB, type Lab } from '../helpers/netns.ts';

function recorder(dns?: DnsFlows) {
  const events: FlowEvent[] = [];
  let n = 0;
  const r = new UdpRecorder({
    emit: (e) => events.push(e),
    newFlowId: () => `udp:${++n}`,
    macOf: (ip) => (ip === '192.0.2.10' ? deviceMac(0) : undefined),
    ...(dns ? { dns } : {}),
  });
  return { r, events };
}

describeNetns('recording sets read from nft in a namespace lab', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await createLab({ tag: 'udprec' });
    await lab.start(lab.origin, echoServers([], [5000], LAB.cloud(9)), 'up');
    await lab.nft(nftRules({ lan: 'lan0', proxyPort: 8080, ipv6: 'block', maxUdpFlows: 64, udpIdleSeconds: 60 }));
  });
  afterAll(() => lab?.destroy());

  it('gives a flow per 5-tuple with payload bytes both ways, QUIC and IPv6 attempts marked', async () => {
    const device = lab.devices[0]!;
    await lab.run(device.ns, udpProbe(LAB.cloud(9), 5000, 'hello'));
    await lab.run(device.ns, udpProbe(LAB.cloud(7), 443, 'quic'));
    await lab.run(device.ns, udpProbe(LAB.cloud6(9), 5000, 'v6'));
    const reading = parseUdpReading(await lab.run(lab.gateway, ['nft', '-j', 'list', 'table', 'inet', 'toyscope']));
    const { r, events } = recorder();
    r.update(reading, 1);
    r.end(2);
    const opens = events.flatMap((e) => (e.type === 'flow.open' ? [e.flow] : []));
    const closes = new Map(events.flatMap((e) => (e.type === 'flow.close' ? [[e.flowId, e] as const] : [])));
    const udp = opens.find((f) => f.server.port === 5000 && f.server.ip === LAB.cloud(9))!;
    expect(udp).toMatchObject({ transport: 'udp', deviceId: device.mac, source: 'live', tls: 'none' });
    expect(closes.get(udp.id)).toMatchObject({ stats: { bytesUp: 5, bytesDown: 'udp 5000 hello'.length } });
    expect(closes.get(udp.id)!.error).toBeUndefined();
    const quic = opens.filter((f) => f.server.port === 443);
    expect(quic).toHaveLength(1);
    // One datagram, or two when the ICMP error came back after the probe's second send.
    const quicClose = closes.get(quic[0]!.id)!;
    expect(quicClose).toMatchObject({ stats: { bytesDown: 0 }, error: { code: 'quic-blocked' } });
    expect([4, 8]).toContain(quicClose.type === 'flow.close' && quicClose.stats.bytesUp);
    const v6 = opens.find((f) => f.server.ip === LAB.cloud6(9))!;
    expect(v6).toMatchObject({ transport: 'udp', device: { ip: device.ip6 }, server: { port: 5000 } });
    expect(closes.get(v6.id)!.error).toMatchObject({ code: 'ipv6-blocked' });
  });
});

describe('UdpRecorder', () => {
  const dev = { ip: '192.0.2.10', port: 40000 };
  const ntp = { ip: '203.0.113.123', port: 123 };
  const reading = (upBytes: number, downBytes: number): UdpReading => ({
    up: [{ client: dev, server: ntp, packets: 2, bytes: upBytes }],
    down: downBytes ? [{ client: dev, server: ntp, packets: 1, bytes: downBytes }] : [],
    blocked6: [],
  });

  it('opens once, keeps the latest counts, closes when the element expires', () => {
    const { r, events } = recorder();
    r.update(reading(2 * 28 + 96, 0), 10);
    r.update(reading(2 * 28 + 96, 28 + 48), 20);
    r.update({ up: [], down: [], blocked6: [] }, 30);
    expect(events.map((e) => e.type)).toEqual(['flow.open', 'flow.close']);
    expect(events[1]).toMatchObject({ ts: 30, stats: { bytesUp: 96, bytesDown: 48 } });
  });

  it('names the server from the DNS answers the device got, and marks port 53 as dns', () => {
    const dns = new DnsFlows({ source: 'live', emit: () => {}, violation: () => {}, newFlowId: () => 'x' });
    const answer = Buffer.from(
      '1234818000010001000000000474696d65076578616d706c650000010001c00c000100010000003c0004cb00717b',
      'hex',
    );
    dns.datagram('d', dev, 'down', answer, 1);
    const { r, events } = recorder(dns);
    r.update(
      {
        up: [
          { client: dev, server: ntp, packets: 1, bytes: 76 },
          { client: dev, server: { ip: '198.51.100.53', port: 53 }, packets: 1, bytes: 60 },
        ],
        down: [],
        blocked6: [],
      },
      5,
    );
    const opens = events.flatMap((e) => (e.type === 'flow.open' ? [e.flow] : []));
    expect(opens.map((f) => [f.transport, f.server.host])).toEqual([
      ['udp', 'time.example'],
      ['dns', undefined],
    ]);
  });

  it('reads nothing from output that is not nft JSON', () => {
    expect(parseUdpReading('Error: No such file or directory')).toEqual({ up: [], down: [], blocked6: [] });
    expect(
      parseUdpReading('{"nftables":[{"set":{"name":"udp4_up","elem":[{"elem":{"val":{"concat":[1]}}}]}}]}').up,
    ).toEqual([]);
  });
});

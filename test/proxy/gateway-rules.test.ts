/**
 * proxy/gateway-rules.ts: the text (interface names cannot inject rules), then the rules applied for real in the
 * gateway namespace of a lab: TCP reaches the listener with its original destination (IPv4 and, intercepted,
 * IPv6), DNS reaches the forwarder's port, QUIC is rejected, other UDP passes and is recorded with byte counts,
 * blocked IPv6 is refused and recorded; the iptables form intercepts the same and its `down` lines remove it all.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayRulesSpec, iptablesRules, nftDelete, nftRules, specProblem } from '../../proxy/gateway-rules.ts';
import { parseUdpReading, type RecordedUdp } from '../../proxy/udp-recorder.ts';
import { echoServers, originalDstEcho, tcpProbe, udpProbe } from '../helpers/lab-probes.ts';
import { createLab, describeNetns, LAB, type Lab } from '../helpers/netns.ts';

const ROOT = join(import.meta.dirname, '../..');
const SPEC: GatewayRulesSpec = {
  lan: 'lan0',
  proxyPort: 8080,
  dnsPort: 5353,
  ipv6: 'intercept',
  maxUdpFlows: 1024,
  udpIdleSeconds: 60,
};

describe('rule text', () => {
  it('refuses interface names that are not names, and ports out of range', () => {
    expect(specProblem(SPEC)).toBeUndefined();
    expect(specProblem({ ...SPEC, lan: 'lan0" accept; #' })).toBe(`--lan 'lan0" accept; #' is not an interface name`);
    expect(specProblem({ ...SPEC, wan: 'lan0' })).toBe('--wan and --lan name the same interface');
    expect(specProblem({ ...SPEC, proxyPort: 70000 })).toBe('port 70000 is out of range');
  });

  it('replaces its own table whole, and removes it whole', () => {
    const rules = nftRules(SPEC);
    expect(rules.split('\n').slice(1, 4)).toEqual([
      'table inet toyscope {}',
      'delete table inet toyscope',
      'table inet toyscope {',
    ]);
    expect(nftDelete()).toBe('delete table inet toyscope\n');
    expect(rules).not.toContain('masquerade');
    expect(nftRules({ ...SPEC, wan: 'eth1' })).toContain('oifname "eth1" masquerade');
  });
});

/** The gateway's recording sets, read as the UDP recorder reads them. */
async function reading(lab: Lab) {
  return parseUdpReading(await lab.run(lab.gateway, ['nft', '-j', 'list', 'table', 'inet', 'toyscope']));
}

describeNetns('gateway rules in a namespace lab', () => {
  let lab: Lab;
  let device: string;
  const probe = async (argv: string[]) => JSON.parse(await lab.run(device, argv)) as { data?: string; error?: string };

  beforeAll(async () => {
    lab = await createLab({ tag: 'rules' });
    device = lab.devices[0]!.ns;
    await lab.start(lab.gateway, originalDstEcho(SPEC.proxyPort), 'up', { cwd: ROOT });
    await lab.start(lab.gateway, echoServers([], [SPEC.dnsPort!]), 'up');
    await lab.start(lab.origin, echoServers([], [5000], LAB.cloud(9)), 'up');
  });
  afterAll(() => lab?.destroy());

  it('nftables, IPv6 intercepted: TCP and DNS are redirected, QUIC rejected, other UDP recorded', async () => {
    await lab.nft(nftRules(SPEC));
    const tcp = await probe(tcpProbe(LAB.cloud(7), 443));
    expect(JSON.parse(tcp.data!)).toEqual({ ip: LAB.cloud(7), port: 443 });
    const tcp6 = await probe(tcpProbe(LAB.cloud6(7), 443));
    expect(JSON.parse(tcp6.data!)).toEqual({ ip: LAB.cloud6(7), port: 443 });
    expect(await probe(udpProbe(LAB.cloud(53), 53, 'q'))).toEqual({ data: `udp ${SPEC.dnsPort} q` });
    expect(await probe(udpProbe(LAB.cloud6(53), 53, 'q6'))).toEqual({ data: `udp ${SPEC.dnsPort} q6` });
    expect(await probe(udpProbe(LAB.cloud(7), 443, 'quic'))).toEqual({ error: 'ECONNREFUSED' });
    expect(await probe(udpProbe(LAB.cloud(9), 5000, 'ntp'))).toEqual({ data: 'udp 5000 ntp' });
    const dev = lab.devices[0]!.ip;
    const { up, down } = await reading(lab);
    const ntp = (r: RecordedUdp) => r.client.ip === dev && r.server.ip === LAB.cloud(9) && r.server.port === 5000;
    // The answered datagram both ways (IP + UDP headers counted), the QUIC attempts only upward.
    expect(up.find(ntp)).toMatchObject({ packets: 1, bytes: 28 + 'ntp'.length });
    expect(down.find(ntp)).toMatchObject({ packets: 1, bytes: 28 + 'udp 5000 ntp'.length });
    expect(up.filter((r) => r.server.ip === LAB.cloud(7) && r.server.port === 443)).toHaveLength(1);
    expect(up.some((r) => r.server.port === 53)).toBe(false); // DNS went to the forwarder, not through
  });

  it('nftables, listeners on a wildcard address: their ports are closed to the uplink, open to the LAN', async () => {
    await lab.nft(nftRules({ ...SPEC, wildcardListen: true }));
    const fromWan = JSON.parse(await lab.run(lab.origin, tcpProbe(LAB.gatewayWan, SPEC.proxyPort, '', 1500)));
    expect(fromWan).toEqual({ error: 'ETIMEDOUT' }); // dropped
    const direct = JSON.parse(await lab.run(device, tcpProbe(LAB.gatewayLan, SPEC.proxyPort)));
    expect(JSON.parse(direct.data)).toBeNull(); // reached the listener, not redirected
    const fromLoopback = JSON.parse(await lab.run(lab.gateway, tcpProbe('127.0.0.1', SPEC.proxyPort)));
    expect(JSON.parse(fromLoopback.data)).toBeNull();
  });

  it('nftables, IPv6 blocked: refused at once and recorded, IPv4 still intercepted', async () => {
    await lab.nft(nftRules({ ...SPEC, ipv6: 'block' }));
    expect(await probe(tcpProbe(LAB.cloud6(7), 443))).toEqual({ error: 'ECONNREFUSED' });
    expect(await probe(udpProbe(LAB.cloud6(9), 5000, 'x'))).toEqual({ error: 'EACCES' }); // admin-prohibited
    const tcp = await probe(tcpProbe(LAB.cloud(7), 443));
    expect(JSON.parse(tcp.data!)).toEqual({ ip: LAB.cloud(7), port: 443 });
    expect((await reading(lab)).blocked6).toEqual(
      expect.arrayContaining([
        { client: lab.devices[0]!.ip6, server: { ip: LAB.cloud6(7), port: 443 }, protocol: 'tcp' },
        { client: lab.devices[0]!.ip6, server: { ip: LAB.cloud6(9), port: 5000 }, protocol: 'udp' },
      ]),
    );
    await lab.run(lab.gateway, ['nft', '-f', '-'], { input: nftDelete() });
    expect(await lab.run(lab.gateway, ['nft', 'list', 'ruleset'])).toBe('');
  });

  it('iptables: the same interception, and the down lines leave nothing behind', async () => {
    const script = iptablesRules({ ...SPEC, wildcardListen: true });
    await lab.run(lab.gateway, ['sh', '-s'], { input: script });
    const tcp = await probe(tcpProbe(LAB.cloud(7), 443));
    expect(JSON.parse(tcp.data!)).toEqual({ ip: LAB.cloud(7), port: 443 });
    const tcp6 = await probe(tcpProbe(LAB.cloud6(7), 443));
    expect(JSON.parse(tcp6.data!)).toEqual({ ip: LAB.cloud6(7), port: 443 });
    expect(await probe(udpProbe(LAB.cloud(53), 53, 'q'))).toEqual({ data: `udp ${SPEC.dnsPort} q` });
    expect(await probe(udpProbe(LAB.cloud(7), 443, 'quic'))).toEqual({ error: 'ECONNREFUSED' });
    const fromWan = JSON.parse(await lab.run(lab.origin, tcpProbe(LAB.gatewayWan, SPEC.proxyPort, '', 1500)));
    expect(fromWan).toEqual({ error: 'ETIMEDOUT' });
    const down = script
      .split('\n# down:\n')[1]!
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/^# /, ''))
      .join('\n');
    await lab.run(lab.gateway, ['sh', '-es'], { input: down });
    for (const ipt of ['iptables-save', 'ip6tables-save']) {
      expect(await lab.run(lab.gateway, [ipt])).not.toContain('TOYSCOPE');
    }
  });
});

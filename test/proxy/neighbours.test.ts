/**
 * proxy/neighbours.ts: MACs of LAN clients from the neighbour table, read in the gateway namespace of a lab
 * after the devices talked through it (IPv4 from /proc/net/arp, IPv6 from `ip -6 neigh`), and the parsers on
 * what those tables hold when an entry is incomplete or on another interface.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Neighbours, parseIpNeigh, parseProcArp } from '../../proxy/neighbours.ts';
import { tcpProbe } from '../helpers/lab-probes.ts';
import { createLab, describeNetns, LAB, type Lab } from '../helpers/netns.ts';

describeNetns('neighbour table of the lab gateway', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await createLab({ tag: 'neigh', devices: 2 });
  });
  afterAll(() => lab?.destroy());

  it('gives each device its MAC, by IPv4 and by IPv6 address', async () => {
    for (const d of lab.devices) {
      await lab.exec(d.ns, tcpProbe(LAB.gatewayLan, 9, '', 2000)); // refused, but the gateway answered it
      await lab.exec(d.ns, tcpProbe(LAB.gatewayLan6, 9, '', 2000));
    }
    const arp = await lab.run(lab.gateway, ['cat', '/proc/net/arp']);
    const neigh6 = await lab.run(lab.gateway, ['ip', '-6', 'neigh', 'show']);
    const n = new Neighbours('lan0', { arp: () => arp, neigh6: () => neigh6 });
    for (const d of lab.devices) {
      expect(n.macOf(d.ip)).toBe(d.mac);
      expect(n.macOf(d.ip6)).toBe(d.mac);
    }
    expect(new Neighbours('wan0', { arp: () => arp, neigh6: () => neigh6 }).macOf(lab.devices[0]!.ip)).toBeUndefined();
  });
});

describe('neighbour table parsers', () => {
  it('skip incomplete and failed entries', () => {
    const arp = [
      'IP address       HW type     Flags       HW address            Mask     Device',
      '192.0.2.10       0x1         0x2         02:00:00:00:00:0a     *        lan0',
      '192.0.2.11       0x1         0x0         00:00:00:00:00:00     *        lan0',
    ].join('\n');
    expect(parseProcArp(arp)).toEqual(new Map([['192.0.2.10', '02:00:00:00:00:0a']]));
    const neigh = '2001:db8:1::10 dev lan0 lladdr 02:00:00:00:00:0A REACHABLE\n2001:db8:1::11 dev lan0 FAILED\n';
    expect(parseIpNeigh(neigh, 'lan0')).toEqual(new Map([['2001:db8:1::10', '02:00:00:00:00:0a']]));
  });

  it('re-reads the IPv4 table on every miss, the IPv6 one at most once a second', () => {
    let reads4 = 0;
    let reads6 = 0;
    const source = {
      arp: () => {
        reads4++;
        return 'header\n';
      },
      neigh6: () => {
        reads6++;
        return '';
      },
    };
    const n = new Neighbours(undefined, source);
    for (const ip of ['192.0.2.99', '192.0.2.99', '2001:db8::99', '2001:db8::99']) expect(n.macOf(ip)).toBeUndefined();
    expect([reads4, reads6]).toEqual([2, 1]);
  });
});

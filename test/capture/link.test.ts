import { describe, expect, it } from 'vitest';
import { decodeLink, formatMac } from '../../src/capture/link.ts';
import { ethernet, ipv4, ipv6, parseMac } from '../../testkit/pcap-writer.ts';

const ip4 = ipv4(new Uint8Array(8), { src: '10.0.0.1', dst: '10.0.0.2', proto: 17 });
const ip6 = ipv6(new Uint8Array(8), { src: '::1', dst: '::1', next: 17 });
const mac = '00:11:22:33:44:55';

function sll(proto: number, arphrd = 1, addrLen = 6): Uint8Array {
  const h = new Uint8Array(16);
  h.set([0, 4, arphrd >> 8, arphrd & 0xff, 0, addrLen]);
  h.set(parseMac(mac), 6);
  h.set([proto >> 8, proto & 0xff], 14);
  return h;
}
function sll2(proto: number): Uint8Array {
  const h = new Uint8Array(20);
  h.set([proto >> 8, proto & 0xff, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6]);
  h.set(parseMac(mac), 12);
  return h;
}
const join = (a: Uint8Array, b: Uint8Array) => Uint8Array.from([...a, ...b]);
const af = (v: number, le: boolean) => Uint8Array.from(le ? [v, 0, 0, 0] : [0, 0, 0, v]);

describe('decodeLink', () => {
  const cases: Array<[string, number, Uint8Array, unknown]> = [
    ['ethernet ipv4', 1, ethernet(0x0800, ip4, { src: mac }), { ip: 4, offset: 14, srcMacAt: 6, dstMacAt: 0 }],
    ['ethernet ipv6', 1, ethernet(0x86dd, ip6), { ip: 6, offset: 14 }],
    ['802.1Q', 1, ethernet(0x0800, ip4, { vlans: [10] }), { ip: 4, offset: 18 }],
    ['802.1ad + 802.1Q', 1, ethernet(0x86dd, ip6, { vlans: [10, 20], qinq: true }), { ip: 6, offset: 22 }],
    ['arp', 1, ethernet(0x0806, new Uint8Array(28)), 'arp'],
    ['unknown ethertype', 1, ethernet(0x1234, new Uint8Array(4)), 'ethertype-0x1234'],
    ['802.3 llc', 1, ethernet(0x0050, new Uint8Array(4)), 'llc'],
    ['truncated ethernet', 1, new Uint8Array(10), 'truncated-link'],
    ['sll', 113, join(sll(0x0800), ip4), { ip: 4, offset: 16, srcMacAt: 6, dstMacAt: -1 }],
    ['sll not ethernet', 113, join(sll(0x86dd, 772, 0), ip6), { ip: 6, offset: 16, srcMacAt: -1 }],
    ['sll2', 276, join(sll2(0x86dd), ip6), { ip: 6, offset: 20, srcMacAt: 12 }],
    ['raw 101', 101, ip4, { ip: 4, offset: 0 }],
    ['raw 12', 12, ip6, { ip: 6, offset: 0 }],
    ['raw 14', 14, ip4, { ip: 4, offset: 0 }],
    ['ipv4 228', 228, ip4, { ip: 4, offset: 0 }],
    ['ipv6 229', 229, ip6, { ip: 6, offset: 0 }],
    ['ipv6 229 wrong version', 229, ip4, 'bad-ip-version'],
    ['null le AF_INET', 0, join(af(2, true), ip4), { ip: 4, offset: 4 }],
    ['null be AF_INET6 (24)', 0, join(af(24, false), ip6), { ip: 6, offset: 4 }],
    ['loop AF_INET6 (28)', 108, join(af(28, false), ip6), { ip: 6, offset: 4 }],
    ['null AF_INET6 (30)', 0, join(af(30, true), ip6), { ip: 6, offset: 4 }],
    ['null unknown af', 0, join(af(7, true), ip6), 'loopback-af-7'],
    ['unknown link type', 147, ip4, 'link-type-147'],
  ];
  for (const [name, lt, bytes, want] of cases) {
    it(name, () => {
      const got = decodeLink(lt, bytes);
      if (typeof want === 'string') expect(got).toBe(want);
      else expect(got).toMatchObject(want as object);
    });
  }

  it('finds the MACs of an Ethernet frame', () => {
    const f = ethernet(0x0800, ip4, { src: mac, dst: 'ff:ee:dd:cc:bb:aa' });
    expect(formatMac(f, 6)).toBe(mac);
    expect(formatMac(f, 0)).toBe('ff:ee:dd:cc:bb:aa');
  });
});

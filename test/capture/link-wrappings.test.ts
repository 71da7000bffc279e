/**
 * A recorded capture (curl-keepalive: tcpdump on lo, Ethernet) rewrapped as other link layers give the same packets:
 * Ethernet + PPPoE session (a DSL uplink) and 802.11 QoS data frames behind radiotap (a monitor-mode capture of an
 * open test network: the device's frames To DS, the cloud's From DS), with a beacon, a null frame and a protected
 * frame among them. The same flows and findings come out; what cannot be read is skipped by name.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeLink } from '../../src/capture/link.ts';
import { concat, ethernet, pcapFile } from '../../testkit/pcap-writer.ts';
import { tempDir } from '../../testkit/records.ts';
import { FIXTURES, findingsOf, records } from './fixture-replay.ts';

const SOURCE = join(FIXTURES, 'curl-keepalive/capture.pcap');
const tmp = tempDir();
afterAll(() => tmp.cleanup());

const PPP = { 2048: 0x0021, 34525: 0x0057 } as Record<number, number>;

function pppoe(eth: Uint8Array): Uint8Array {
  const type = (eth[12]! << 8) | eth[13]!;
  const payload = eth.subarray(14);
  const ppp = PPP[type]!;
  const head = Uint8Array.from([
    0x11,
    0,
    0x12,
    0x34,
    (payload.length + 2) >> 8,
    (payload.length + 2) & 0xff,
    ppp >> 8,
    ppp & 0xff,
  ]);
  return ethernet(0x8864, concat([head, payload]), { src: mac(eth, 6), dst: mac(eth, 0) });
}

const mac = (d: Uint8Array, at: number) =>
  [...d.subarray(at, at + 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');
const RADIOTAP = Uint8Array.from([0, 0, 8, 0, 0, 0, 0, 0]);
const BSSID = Uint8Array.from([2, 0, 0, 0, 0, 0xaa]);

/** A QoS data frame (To DS from the device, else From DS) carrying the Ethernet frame's payload after LLC/SNAP. */
function wlan(eth: Uint8Array, fromDevice: boolean, flags = 0): Uint8Array {
  const dst = eth.subarray(0, 6);
  const src = eth.subarray(6, 12);
  const addrs = fromDevice ? [BSSID, src, dst] : [dst, BSSID, src];
  const fc = Uint8Array.from([0x88, (fromDevice ? 0x01 : 0x02) | flags]);
  const snap = Uint8Array.from([0xaa, 0xaa, 0x03, 0, 0, 0, eth[12]!, eth[13]!]);
  return concat([
    RADIOTAP,
    fc,
    new Uint8Array(2),
    ...addrs,
    new Uint8Array(2),
    new Uint8Array(2),
    snap,
    eth.subarray(14),
  ]);
}

describe('link layers around the same packets', () => {
  const original = records(SOURCE);
  const deviceIp = original[0]!.data.subarray(26, 30).join('.'); // the SYN's source

  it('reads PPPoE session frames and 802.11 data frames (radiotap) as the Ethernet capture', async () => {
    const base = await findingsOf(SOURCE);
    expect(base.findings.length).toBeGreaterThan(0);

    const pppoeFile = join(tmp.dir, 'pppoe.pcap');
    writeFileSync(pppoeFile, pcapFile(original.map((r) => ({ ts: r.ts, data: pppoe(r.data) }))));
    expect(await findingsOf(pppoeFile)).toEqual(base);

    const wlanFile = join(tmp.dir, 'wlan.pcap');
    const t0 = original[0]!.ts;
    const beacon = concat([RADIOTAP, Uint8Array.from([0x80, 0]), new Uint8Array(22)]);
    const nullFrame = concat([RADIOTAP, Uint8Array.from([0x48, 0x01]), new Uint8Array(22)]);
    const frames = original.map((r) => ({
      ts: r.ts,
      data: wlan(r.data, r.data.subarray(26, 30).join('.') === deviceIp),
    }));
    const protectedFrame = { ts: t0, data: wlan(original[0]!.data, true, 0x40) };
    writeFileSync(
      wlanFile,
      pcapFile([{ ts: t0, data: beacon }, { ts: t0, data: nullFrame }, protectedFrame, ...frames], { linkType: 127 }),
    );
    const wifi = await findingsOf(wlanFile);
    expect(wifi.findings).toEqual(base.findings);
    expect(wifi.flows).toBe(base.flows);
    expect(wifi.skipped).toMatchObject({ 'wlan-not-data': 1, 'wlan-no-data': 1, 'wlan-protected': 1 });
  });

  it('names the source and destination addresses of an 802.11 frame by its DS bits', () => {
    const eth = ethernet(0x0800, new Uint8Array([0x45, ...new Uint8Array(19)]), {
      src: '02:00:00:00:00:01',
      dst: '02:00:00:00:00:02',
    });
    for (const fromDevice of [true, false]) {
      const f = wlan(eth, fromDevice);
      const got = decodeLink(127, f);
      if (typeof got === 'string') throw new Error(got);
      expect(got.ip).toBe(4);
      expect([mac(f, got.srcMacAt), mac(f, got.dstMacAt)]).toEqual(['02:00:00:00:00:01', '02:00:00:00:00:02']);
    }
    expect(decodeLink(105, wlan(eth, true).subarray(8))).toMatchObject({ ip: 4, offset: 34 });
    const lcp = ethernet(0x8864, Uint8Array.from([0x11, 0, 0, 1, 0, 2, 0xc0, 0x21]));
    expect(decodeLink(1, lcp)).toBe('ppp-0xc021');
  });
});

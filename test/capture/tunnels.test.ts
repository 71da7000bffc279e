/**
 * A recorded capture (curl-keepalive: tcpdump on lo) carried in tunnels gives the same flows and findings: each frame
 * wrapped in IP in IP, GRE (IP inside; Ethernet inside with key and sequence; ERSPAN II and III), VXLAN and GENEVE,
 * between two underlay addresses. vxlan-overlay (fixtures) is the same recorded in a real VXLAN. What cannot be read
 * is skipped by name.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ipTunnel, MAX_TUNNEL_DEPTH, udpTunnel } from '../../src/capture/tunnels.ts';
import { concat, ethernet, ipv4, pcapFile, udp } from '../../testkit/pcap-writer.ts';
import { tempDir } from '../../testkit/records.ts';
import { FIXTURES, findingsOf, records } from './fixture-replay.ts';

const SOURCE = join(FIXTURES, 'curl-keepalive/capture.pcap');
const tmp = tempDir();
afterAll(() => tmp.cleanup());

const UNDERLAY = { src: '10.9.0.1', dst: '10.9.0.2' };
const outer = (proto: number, payload: Uint8Array) => ethernet(0x0800, ipv4(payload, { ...UNDERLAY, proto }));
const gre = (type: number, inner: Uint8Array, flags = 0, extra: number[] = []) =>
  outer(47, concat([Uint8Array.from([flags, 0, type >> 8, type & 0xff, ...extra]), inner]));
const ipOf = (eth: Uint8Array) => eth.subarray(14);

/** Each tunnel: the outer frame made of a recorded Ethernet frame. */
const TUNNELS: Record<string, (eth: Uint8Array) => Uint8Array> = {
  'ip-in-ip': (eth) => outer(4, ipOf(eth)),
  'gre-ip': (eth) => gre(0x0800, ipOf(eth)),
  'gre-ethernet-key-seq': (eth) => gre(0x6558, eth, 0x30, [0, 0, 0, 42, 0, 0, 0, 7]),
  'erspan-ii': (eth) => gre(0x88be, concat([new Uint8Array(8), eth]), 0x10, [0, 0, 0, 1]),
  'erspan-iii': (eth) => gre(0x22eb, concat([new Uint8Array(12), eth]), 0x10, [0, 0, 0, 1]),
  vxlan: (eth) =>
    outer(17, udp(concat([Uint8Array.from([0x08, 0, 0, 0, 0, 0, 42, 0]), eth]), { sport: 50000, dport: 4789 })),
  geneve: (eth) =>
    outer(
      17,
      udp(concat([Uint8Array.from([0x02, 0, 0x65, 0x58, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0]), eth]), {
        sport: 50001,
        dport: 6081,
      }),
    ),
};

describe('tunnels around the same packets', () => {
  const original = records(SOURCE);

  it('reads every tunnel as the capture inside it', async () => {
    const base = await findingsOf(SOURCE);
    expect(base.findings.length).toBeGreaterThan(0);
    for (const [name, wrap] of Object.entries(TUNNELS)) {
      const file = join(tmp.dir, `${name}.pcap`);
      writeFileSync(file, pcapFile(original.map((r) => ({ ts: r.ts, data: wrap(r.data) }))));
      const got = await findingsOf(file);
      expect({ name, findings: got.findings, flows: got.flows }).toEqual({
        name,
        findings: base.findings,
        flows: base.flows,
      });
    }
  });

  it('skips by name what it cannot read, and tunnels nested past MAX_TUNNEL_DEPTH', async () => {
    expect(ipTunnel(47, Uint8Array.from([0, 1, 0x88, 0x0b, 0, 0, 0, 0]))).toBe('gre-v1');
    expect(ipTunnel(47, Uint8Array.from([0, 0, 0x12, 0x34, 1]))).toBe('gre-0x1234');
    expect(ipTunnel(47, Uint8Array.from([0x80, 0, 0x08, 0x00]))).toBe('truncated-gre');
    expect(ipTunnel(6, new Uint8Array(20))).toBeUndefined();
    expect(udpTunnel(4789, new Uint8Array(30))).toBeUndefined(); // no I flag: not VXLAN
    let frame = original[0]!.data;
    for (let i = 0; i <= MAX_TUNNEL_DEPTH; i++) frame = TUNNELS['gre-ethernet-key-seq']!(frame);
    const file = join(tmp.dir, 'deep.pcap');
    writeFileSync(file, pcapFile([{ ts: original[0]!.ts, data: frame }]));
    expect((await findingsOf(file)).skipped).toEqual({ 'tunnel-too-deep': 1 });
  });
});

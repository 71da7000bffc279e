import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PacketDecoder, type PacketSink } from '../../src/capture/packet-decoder.ts';
import { TcpReassembler, type TcpSegment } from '../../src/capture/tcp-reassembly.ts';
import { type UdpDatagram, UdpFlows } from '../../src/capture/udp.ts';
import { resolveLimits } from '../../src/model/limits.ts';
import { ethernet, ipv4, ipv6, tcpFrame, udp, udpFrame } from '../../testkit/pcap-writer.ts';

function decode(frames: Array<[number, Uint8Array]>) {
  const out = { tcp: [] as TcpSegment[], udp: [] as UdpDatagram[], skipped: [] as string[] };
  const sink: PacketSink = {
    tcp: (s) => out.tcp.push(s),
    udp: (d) => out.udp.push(d),
    skipped: (r) => out.skipped.push(r),
    violation: () => {},
  };
  const dec = new PacketDecoder(sink);
  for (const [i, [linkType, data]] of frames.entries())
    dec.packet({ ts: i, linkType, data, origLen: data.length, interfaceId: 0 });
  dec.end();
  return out;
}
const eth = { src: '02:aa:00:00:00:01', dst: '02:bb:00:00:00:02' };

describe('PacketDecoder', () => {
  it('decodes TCP over Ethernet/IPv4 and IPv6 with ports, sequence numbers, flags and MACs', () => {
    const out = decode([
      [
        1,
        tcpFrame({
          src: '10.0.0.1',
          dst: '10.0.0.2',
          sport: 1234,
          dport: 80,
          seq: 0xfffffff0,
          ack: 7,
          flags: 0x18,
          payload: 'hi',
          eth,
        }),
      ],
      [
        1,
        tcpFrame({
          src: '::1',
          dst: '::1',
          sport: 80,
          dport: 1234,
          seq: 1,
          flags: 0x10,
          payload: 'yo',
          eth: { src: eth.dst, dst: eth.src },
        }),
      ],
    ]);
    expect(out.tcp[0]).toMatchObject({
      src: { ip: '10.0.0.1', port: 1234, mac: eth.src },
      dst: { ip: '10.0.0.2', port: 80, mac: eth.dst },
      seq: 0xfffffff0,
      ack: 7,
      flags: 0x18,
      len: 2,
    });
    expect(new TextDecoder().decode(out.tcp[0]!.data)).toBe('hi');
    expect(out.tcp[1]).toMatchObject({ src: { ip: '::1', port: 80, mac: eth.dst }, dst: { mac: eth.src } });
  });

  it('decodes UDP and counts what is not TCP/UDP by name', () => {
    const out = decode([
      [1, udpFrame({ src: '10.0.0.1', dst: '10.0.0.53', sport: 5000, dport: 53, payload: 'query' })],
      [101, ipv4(udp(new Uint8Array(4), { sport: 1, dport: 2 }), { src: '1.1.1.1', dst: '2.2.2.2', proto: 17 })],
      [1, ethernet(0x0800, ipv4(new Uint8Array(8), { src: '1.1.1.1', dst: '2.2.2.2', proto: 1 }))],
      [229, ipv6(new Uint8Array(8), { src: '::1', dst: '::2', next: 58 })],
      [1, ethernet(0x0806, new Uint8Array(28))],
      [1, ethernet(0x0800, ipv4(new Uint8Array(10), { src: '1.1.1.1', dst: '2.2.2.2', proto: 6 }))],
      [1, ethernet(0x0800, ipv4(new Uint8Array(16), { src: '1.1.1.1', dst: '2.2.2.2', proto: 17, mf: true }))],
      [999, new Uint8Array(4)],
    ]);
    expect(out.udp.map((d) => [d.src.port, d.dst.port, d.data.length, d.src.mac !== undefined])).toEqual([
      [5000, 53, 5, true],
      [1, 2, 4, false],
    ]);
    expect(out.skipped).toEqual(['icmp', 'icmpv6', 'arp', 'truncated-tcp', 'link-type-999', 'ip-fragment-timeout']);
  });

  it('reports bytes cut by the snap length in `len`', () => {
    const f = tcpFrame({
      src: '10.0.0.1',
      dst: '10.0.0.2',
      sport: 1,
      dport: 2,
      seq: 0,
      flags: 0x10,
      payload: 'x'.repeat(100),
    });
    const out = decode([[1, f.subarray(0, f.length - 60)]]);
    expect(out.tcp[0]).toMatchObject({ len: 100 });
    expect(out.tcp[0]!.data.length).toBe(40);
  });

  it('never throws on mutated frames, down through TCP reassembly and UDP flows', () => {
    const seeds = [
      tcpFrame({
        src: '10.0.0.1',
        dst: '10.0.0.2',
        sport: 1234,
        dport: 80,
        seq: 5,
        flags: 0x18,
        payload: 'hello',
        eth,
      }),
      tcpFrame({ src: 'fe80::1', dst: '::1', sport: 80, dport: 1234, seq: 1, flags: 0x12, payload: 'x' }),
      udpFrame({ src: '10.0.0.1', dst: '10.0.0.53', sport: 5000, dport: 53, payload: 'query', eth: { vlans: [3] } }),
      ethernet(
        0x0800,
        ipv4(udp(new Uint8Array(30), { sport: 1, dport: 2 }), { src: '1.1.1.1', dst: '2.2.2.2', proto: 17, mf: true }),
      ),
    ];
    const noop = { open: () => {}, data: () => {}, gap: () => {}, close: () => {} };
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.nat(seeds.length - 1),
            fc.constantFrom(1, 1, 1, 101, 0, 113, 276, 229),
            fc.array(fc.tuple(fc.nat(120), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
            fc.nat(140),
          ),
          { maxLength: 20 },
        ),
        (packets) => {
          const tcp = new TcpReassembler(noop, {
            limits: resolveLimits({ MAX_OOO_BYTES_PER_DIR: 64, MAX_OOO_BYTES_TOTAL: 128 }),
          });
          const udps = new UdpFlows({ open: () => {}, datagram: () => {}, close: () => {} });
          const dec = new PacketDecoder({
            tcp: (x) => tcp.segment(x),
            udp: (x) => udps.datagram(x),
            skipped: () => {},
            violation: () => {},
          });
          packets.forEach(([seed, linkType, muts, len], ts) => {
            const data = seeds[seed]!.slice(0, len);
            for (const [at, v] of muts) if (at < data.length) data[at] = v;
            dec.packet({ ts, linkType, data, origLen: data.length, interfaceId: 0 });
            expect(tcp.queuedBytes).toBeLessThanOrEqual(128);
          });
          dec.end();
          tcp.end(99);
          udps.end();
        },
      ),
      { numRuns: 500 },
    );
  });
});

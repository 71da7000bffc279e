import { describe, expect, it } from 'vitest';
import { type UdpDatagram, type UdpFlowEvents, UdpFlows } from '../../src/capture/udp.ts';
import { resolveLimits } from '../../src/model/limits.ts';
import type { Endpoint } from '../../src/streams/types.ts';

const dev: Endpoint = { ip: '192.168.4.20', port: 40000, mac: '02:00:00:00:00:01' };
const dns: Endpoint = { ip: '192.168.4.1', port: 53 };
const dg = (src: Endpoint, dst: Endpoint, n: number, ts: number): UdpDatagram => ({
  ts,
  src,
  dst,
  data: new Uint8Array(n).fill(n),
});

function recorder() {
  const log: string[] = [];
  const ev: UdpFlowEvents = {
    open: (f) => log.push(`open ${f.id} ${f.client.ip}:${f.client.port}>${f.server.port}`),
    datagram: (f, dir, b) => log.push(`dgram ${f.id} ${dir} ${b.length}`),
    close: (f, _ts, reason) =>
      log.push(`close ${f.id} ${reason} up=${f.bytesUp}/${f.datagramsUp} down=${f.bytesDown}/${f.datagramsDown}`),
  };
  return { log, ev };
}

describe('UdpFlows', () => {
  it('starts a new flow when the time of a 5-tuple goes back (captures appended), each closing at its last datagram', () => {
    const closes: Array<[number, number, string]> = [];
    const { log, ev } = recorder();
    const flows = new UdpFlows({ ...ev, close: (f, ts, reason) => closes.push([f.id, ts, reason]) });
    flows.datagram(dg(dev, dns, 30, 100));
    flows.datagram(dg(dns, dev, 90, 200));
    flows.datagram(dg(dev, dns, 30, 100)); // the same capture again, appended
    flows.end();
    expect(log.filter((l) => l.startsWith('open'))).toHaveLength(2);
    expect(closes).toEqual([
      [1, 200, 'reused'],
      [2, 100, 'end-of-capture'],
    ]);
  });

  it('groups both directions of a 5-tuple and counts bytes', () => {
    const { log, ev } = recorder();
    const flows = new UdpFlows(ev);
    flows.datagram(dg(dev, dns, 30, 0));
    flows.datagram(dg(dns, dev, 90, 1));
    flows.datagram(dg(dev, dns, 31, 2));
    flows.datagram(dg({ ...dev, port: 40001 }, dns, 5, 3));
    flows.end();
    expect(log).toEqual([
      'open 1 192.168.4.20:40000>53',
      'dgram 1 up 30',
      'dgram 1 down 90',
      'dgram 1 up 31',
      'open 2 192.168.4.20:40001>53',
      'dgram 2 up 5',
      'close 1 end-of-capture up=61/2 down=90/1',
      'close 2 end-of-capture up=5/1 down=0/0',
    ]);
  });

  it('hands the opening datagram to open (content recognition reads it)', () => {
    const firsts: number[] = [];
    const flows = new UdpFlows({
      open: (_f, _ts, first) => firsts.push(first.length),
      datagram: () => {},
      close: () => {},
    });
    flows.datagram(dg(dev, dns, 12, 0));
    flows.datagram(dg(dns, dev, 30, 1));
    expect(firsts).toEqual([12]);
  });

  it('takes a reply from a well-known port as the server side', () => {
    const { log, ev } = recorder();
    new UdpFlows(ev).datagram(dg(dns, dev, 10, 0));
    expect(log).toEqual(['open 1 192.168.4.20:40000>53', 'dgram 1 down 10']);
  });

  it('closes idle flows by capture time and evicts past the bound', () => {
    const { log, ev } = recorder();
    let id = 100;
    const flows = new UdpFlows(ev, {
      limits: resolveLimits({ UDP_IDLE_TIMEOUT_US: 1000, MAX_UDP_FLOWS: 1 }),
      nextId: () => id++,
    });
    flows.datagram(dg(dev, dns, 1, 0));
    flows.datagram(dg(dev, dns, 1, 5000));
    flows.datagram(dg({ ...dev, port: 1 }, { ...dns, port: 123 }, 1, 5001));
    expect(log.filter((l) => !l.startsWith('dgram'))).toEqual([
      'open 100 192.168.4.20:40000>53',
      'close 100 idle up=1/1 down=0/0',
      'open 101 192.168.4.20:40000>53',
      'close 101 evicted up=1/1 down=0/0',
      'open 102 192.168.4.20:1>123',
    ]);
  });
});

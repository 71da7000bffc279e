import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AutoReader } from '../../src/capture/detect-format.ts';
import { PacketDecoder } from '../../src/capture/packet-decoder.ts';
import { PcapReader } from '../../src/capture/pcap.ts';
import { TcpReassembler, type TcpReassemblerOptions, type TcpSegment } from '../../src/capture/tcp-reassembly.ts';
import type { TcpStreamEvents } from '../../src/capture/types.ts';
import { resolveLimits } from '../../src/model/limits.ts';
import type { Endpoint } from '../../src/streams/types.ts';
import { ACK, bytesOf, FIN, PSH, pcapFile, RST, SYN, tcpConversation } from '../../testkit/pcap-writer.ts';

type Log = string[];
function recorder(): { log: Log; streams: Map<string, string>; ev: TcpStreamEvents } {
  const log: Log = [];
  const streams = new Map<string, string>();
  const dec = new TextDecoder();
  const ev: TcpStreamEvents = {
    open: (c) => log.push(`open ${c.id} ${c.client.ip}:${c.client.port}>${c.server.port}${c.midStream ? ' mid' : ''}`),
    data: (c, dir, b) => {
      const k = `${c.id}${dir}`;
      streams.set(k, (streams.get(k) ?? '') + dec.decode(b));
      log.push(`data ${c.id} ${dir} ${dec.decode(b)}`);
    },
    gap: (c, dir, n) => {
      const k = `${c.id}${dir}`;
      streams.set(k, (streams.get(k) ?? '') + '~'.repeat(n));
      log.push(`gap ${c.id} ${dir} ${n}`);
    },
    conflict: (c, dir, overlap) => log.push(`conflict ${c.id} ${dir} ${overlap}`),
    close: (c, _ts, reason) => log.push(`close ${c.id} ${reason}`),
  };
  return { log, streams, ev };
}

const C: Endpoint = { ip: '10.0.0.9', port: 50000 };
const S: Endpoint = { ip: '93.184.216.34', port: 443 };
let clock = 1_000_000;
function seg(from: 'c' | 's', seq: number, flags: number, payload: string | Uint8Array = '', ack = 0): TcpSegment {
  const data = bytesOf(payload);
  return {
    ts: clock++,
    src: from === 'c' ? C : S,
    dst: from === 'c' ? S : C,
    seq: seq >>> 0,
    ack,
    flags,
    window: 1000,
    data,
    len: data.length,
  };
}
function run(segs: TcpSegment[], opts: TcpReassemblerOptions = {}, end = true) {
  const r = recorder();
  const tcp = new TcpReassembler(r.ev, opts);
  for (const s of segs) tcp.segment(s);
  if (end) tcp.end(clock);
  return { ...r, tcp };
}
const handshake = (cisn: number, sisn: number) => [
  seg('c', cisn, SYN),
  seg('s', sisn, SYN | ACK, '', cisn + 1),
  seg('c', cisn + 1, ACK),
];

describe('TcpReassembler', () => {
  it('follows a handshake, data both ways and both FINs', () => {
    const { log } = run([
      ...handshake(100, 900),
      seg('c', 101, ACK | PSH, 'GET /'),
      seg('s', 901, ACK | PSH, 'HTTP/1.1 200'),
      seg('c', 106, ACK | FIN),
      seg('s', 913, ACK | FIN),
      seg('c', 107, ACK),
    ]);
    expect(log).toEqual(['open 1 10.0.0.9:50000>443', 'data 1 up GET /', 'data 1 down HTTP/1.1 200', 'close 1 fin']);
  });

  it('releases out-of-order segments in order and trims retransmissions and overlaps (first copy wins)', () => {
    const { streams, log } = run([
      ...handshake(0, 0),
      seg('c', 7, ACK, 'world'),
      seg('c', 1, ACK, 'hello '),
      seg('c', 1, ACK, 'HELLO '), // retransmission with other bytes: ignored, and flagged
      seg('c', 4, ACK, 'LO WORLD!'), // overlap: only '!' is new
    ]);
    expect(streams.get('1up')).toBe('hello world!');
    expect(log.filter((l) => l.startsWith('gap'))).toEqual([]);
    expect(log.filter((l) => l.startsWith('conflict'))).toEqual(['conflict 1 up 6']); // once per direction
  });

  it('flags overlaps with conflicting bytes, not retransmissions of the same bytes, queued or delivered', () => {
    const same = run([
      ...handshake(0, 0),
      seg('c', 1, ACK, 'abcdef'),
      seg('c', 1, ACK, 'abcdef'),
      seg('c', 4, ACK, 'defgh'),
    ]);
    expect(same.log.filter((l) => l.startsWith('conflict'))).toEqual([]);
    expect(same.streams.get('1up')).toBe('abcdefgh');
    // Two queued out-of-order copies of the same range with different bytes: the first wins, the second is flagged.
    const queued = run([
      ...handshake(0, 0),
      seg('s', 0, ACK),
      seg('c', 5, ACK, 'EVIL'),
      seg('c', 5, ACK, 'good'),
      seg('c', 1, ACK, 'abcd'),
    ]);
    expect(queued.streams.get('1up')).toBe('abcdEVIL');
    expect(queued.log.filter((l) => l.startsWith('conflict'))).toEqual(['conflict 1 up 4']);
  });

  it('compares overlaps only as far back as it remembers, within the total bound', () => {
    const limits = resolveLimits({ MAX_TCP_OVERLAP_CHECK_BYTES: 4, MAX_TCP_OVERLAP_CHECK_TOTAL: 4 });
    // Only the last 4 bytes ('efgh') are remembered: a change in 'abcd' goes unseen, one in 'efgh' does not.
    const far = run([...handshake(0, 0), seg('c', 1, ACK, 'abcdefgh'), seg('c', 1, ACK, 'ABCDefgh')], { limits });
    expect(far.log.filter((l) => l.startsWith('conflict'))).toEqual([]);
    const near = run([...handshake(0, 0), seg('c', 1, ACK, 'abcdefgh'), seg('c', 5, ACK, 'efgH')], { limits });
    expect(near.log.filter((l) => l.startsWith('conflict'))).toEqual(['conflict 1 up 4']);
    // The total bound is spent by the client direction: the server direction is not compared.
    const down = run(
      [...handshake(0, 0), seg('c', 1, ACK, 'abcd'), seg('s', 1, ACK, 'wxyz'), seg('s', 1, ACK, 'WXYZ')],
      { limits },
    );
    expect(down.log.filter((l) => l.startsWith('conflict'))).toEqual([]);
  });

  it('handles sequence wrap-around', () => {
    const isn = 0xfffffffa;
    const { streams } = run([
      ...handshake(isn, 5),
      seg('c', isn + 1, ACK, 'abcdef'),
      seg('c', isn + 13, ACK, 'mno'),
      seg('c', isn + 7, ACK, 'ghijkl'),
    ]);
    expect(streams.get('1up')).toBe('abcdefghijklmno');
  });

  it('guesses roles mid-stream: the well-known or lower port serves', () => {
    const { log, streams } = run([seg('c', 9, ACK), seg('s', 5000, ACK, 'response'), seg('c', 77, ACK, 'request')]);
    expect(log[0]).toBe('open 1 10.0.0.9:50000>443 mid');
    expect(streams.get('1down')).toBe('response');
    expect(streams.get('1up')).toBe('request');
  });

  it('closes on RST, flushing queued data with a gap; a new SYN on the 4-tuple opens a new connection', () => {
    const { log } = run([
      ...handshake(0, 0),
      seg('c', 1, ACK, 'ab'),
      seg('c', 5, ACK, 'ef'),
      seg('s', 1, RST),
      seg('c', 7, ACK), // trailing: ignored
      ...handshake(5000, 0),
      seg('c', 5001, ACK, 'again'),
    ]);
    expect(log).toEqual([
      'open 1 10.0.0.9:50000>443',
      'data 1 up ab',
      'gap 1 up 2',
      'data 1 up ef',
      'close 1 rst',
      'open 2 10.0.0.9:50000>443',
      'data 2 up again',
      'close 2 end-of-capture',
    ]);
  });

  it('handles data on SYN (TFO), keep-alives and zero-window probes', () => {
    const { streams, log } = run([
      seg('c', 100, SYN, 'tfo:'),
      seg('s', 0, SYN | ACK, '', 105),
      seg('c', 105, ACK, 'x'),
      seg('c', 105, ACK, 'x'), // keep-alive style duplicate of the last byte
      seg('s', 0, ACK, 'k'), // keep-alive: seq = next - 1, one garbage byte
      seg('s', 1, ACK, 'z'), // zero-window probe: one new byte
      seg('s', 1, ACK, 'zz'), // retransmitted with more once the window opened
    ]);
    expect(streams.get('1up')).toBe('tfo:x');
    expect(streams.get('1down')).toBe('zz');
    expect(log.some((l) => l.startsWith('gap'))).toBe(false);
  });

  it('skips ahead with a gap past the per-direction out-of-order bound', () => {
    const { log } = run([...handshake(0, 0), seg('c', 11, ACK, 'a'.repeat(6)), seg('c', 21, ACK, 'b'.repeat(6))], {
      limits: resolveLimits({ MAX_OOO_BYTES_PER_DIR: 10 }),
    });
    expect(log.slice(1, 4)).toEqual([`gap 1 up 10`, `data 1 up ${'a'.repeat(6)}`, 'gap 1 up 4']);
  });

  it('flushes the least recently used connection past the total bound', () => {
    const r = recorder();
    const tcp = new TcpReassembler(r.ev, { limits: resolveLimits({ MAX_OOO_BYTES_TOTAL: 10 }) });
    const other: Endpoint = { ip: '10.0.0.10', port: 50001 };
    tcp.segment(seg('c', 0, SYN));
    tcp.segment({ ...seg('c', 0, SYN), src: other });
    tcp.segment(seg('c', 11, ACK, 'old!!!'));
    tcp.segment({ ...seg('c', 11, ACK, 'new!!!'), src: other });
    expect(r.log.slice(2)).toEqual(['gap 1 up 10', 'data 1 up old!!!']);
    expect(tcp.queuedBytes).toBe(6);
  });

  it('opens a new connection on a new SYN to an open 4-tuple, and ignores a retransmitted SYN', () => {
    const { log } = run([
      seg('c', 10, SYN),
      seg('c', 10, SYN),
      seg('c', 11, ACK, 'a'),
      seg('c', 999, SYN),
      seg('c', 1000, ACK, 'b'),
    ]);
    expect(log).toEqual([
      'open 1 10.0.0.9:50000>443',
      'data 1 up a',
      'close 1 evicted',
      'open 2 10.0.0.9:50000>443',
      'data 2 up b',
      'close 2 end-of-capture',
    ]);
  });

  it('opens a new connection on a SYN with the same sequence number once the first one carried data', () => {
    // A capture appended to itself (mergecap -a): the same 4-tuple, the same ISN, and time going back.
    const conv = () => [...handshake(77, 500), seg('c', 78, ACK | PSH, 'GET /'), seg('s', 501, ACK | PSH, 'OK')];
    const first = conv();
    clock -= 100;
    const { log } = run([...first, ...conv()]);
    expect(log).toEqual([
      'open 1 10.0.0.9:50000>443',
      'data 1 up GET /',
      'data 1 down OK',
      'close 1 evicted',
      'open 2 10.0.0.9:50000>443',
      'data 2 up GET /',
      'data 2 down OK',
      'close 2 end-of-capture',
    ]);
  });

  it('opens a new connection on a SYN to a 4-tuple idle past the timeout, even before a sweep', () => {
    const r = recorder();
    const tcp = new TcpReassembler(r.ev, { limits: resolveLimits({ TCP_IDLE_TIMEOUT_US: 1_000_000 }) });
    tcp.segment({ ...seg('c', 0, SYN), ts: 0 });
    tcp.segment({ ...seg('c', 0, SYN), ts: 900_000 }); // a retransmission: same connection
    tcp.segment({ ...seg('c', 0, SYN), ts: 2_500_000 }); // idle for 1.6 s: a new one
    expect(r.log).toEqual(['open 1 10.0.0.9:50000>443', 'close 1 idle', 'open 2 10.0.0.9:50000>443']);
  });

  it('evicts the least recently active connections past the connection bound', () => {
    const r = recorder();
    const tcp = new TcpReassembler(r.ev, { limits: resolveLimits({ MAX_TCP_CONNECTIONS: 3 }) });
    const from = (port: number, ts: number) => tcp.segment({ ...seg('c', 0, SYN), ts, src: { ip: '10.0.0.1', port } });
    from(1, 10);
    from(2, 20);
    from(3, 30);
    from(1, 40); // port 1 is active again (a retransmitted SYN)
    from(4, 50);
    expect(r.log.filter((l) => !l.startsWith('open'))).toEqual(['close 2 evicted']);
    expect(tcp.size).toBe(3);
  });

  it('counts data arriving after a connection closed', () => {
    const skipped: string[] = [];
    const tcp = new TcpReassembler(recorder().ev, { skipped: (x) => skipped.push(x) });
    for (const s of [...handshake(0, 0), seg('c', 1, RST), seg('c', 1, ACK, 'late'), seg('s', 9, RST, 'x')])
      tcp.segment(s);
    expect(skipped).toEqual(['tcp-data-after-close', 'tcp-data-after-close']);
  });

  it('closes idle connections by capture time and forgets closed ones', () => {
    const r = recorder();
    const tcp = new TcpReassembler(r.ev, { limits: resolveLimits({ TCP_IDLE_TIMEOUT_US: 1_000_000 }) });
    tcp.segment({ ...seg('c', 0, SYN), ts: 0 });
    tcp.segment({ ...seg('c', 0, SYN), ts: 5_000_000, src: { ip: '10.1.1.1', port: 1234 } });
    expect(r.log).toEqual(['open 1 10.0.0.9:50000>443', 'close 1 idle', 'open 2 10.1.1.1:1234>443']);
    tcp.expire(100_000_000);
    expect(tcp.size).toBe(0);
  });

  it('reassembles 10,000 concurrent connections from a synthetic capture', () => {
    const convs = Array.from({ length: 10_000 }, (_, i) =>
      tcpConversation({
        client: `10.${(i >> 8) & 0xff}.${i & 0xff}.1`,
        server: '127.0.0.1',
        cport: 30000 + (i % 30000),
        sport: 8080,
        isn: i * 7919,
        ts: 1_700_000_000_000_000,
        exchanges: [
          ['up', `POST /u/${i} HTTP/1.1\r\n\r\n`],
          ['down', `HTTP/1.1 200 OK\r\n\r\n${i}`],
        ],
      }),
    );
    // Interleave: every connection opens before any closes.
    const frames = [];
    for (let k = 0; k < convs[0]!.length; k++) for (const c of convs) frames.push(c[k]!);
    for (const [i, f] of frames.entries()) f.ts = 1_700_000_000_000_000 + i;
    const opens = new Set<number>();
    const up = new Map<number, string>();
    let closes = 0;
    const dec = new TextDecoder();
    const tcp = new TcpReassembler({
      open: (c) => opens.add(c.id),
      data: (c, dir, b) => {
        if (dir === 'up') up.set(c.id, (up.get(c.id) ?? '') + dec.decode(b));
      },
      gap: () => expect.unreachable('no gap'),
      close: (_c, _ts, reason) => {
        expect(reason).toBe('fin');
        closes++;
      },
    });
    const skipped: string[] = [];
    const decoder = new PacketDecoder({
      tcp: (s) => tcp.segment(s),
      udp: () => {},
      skipped: (r) => skipped.push(r),
      violation: () => {},
    });
    const reader = new PcapReader({ packet: (p) => decoder.packet(p), skipped: (r) => skipped.push(r) });
    reader.write(pcapFile(frames));
    reader.end();
    tcp.end(frames.at(-1)!.ts);
    expect(skipped).toEqual([]);
    expect(opens.size).toBe(10_000);
    expect(closes).toBe(10_000);
    expect(up.get(1)).toBe('POST /u/0 HTTP/1.1\r\n\r\n');
    expect(up.get(10_000)).toBe('POST /u/9999 HTTP/1.1\r\n\r\n');
  });
});

describe('TcpReassembler property', () => {
  it('rebuilds the stream from shuffled, duplicated and overlapping segments at any ISN', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.string({ minLength: 1, maxLength: 200 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(40)), { minLength: 1, maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (isn, text, pieces, order) => {
          const payload = new TextEncoder().encode(text);
          // Pieces cover the stream once (cut points), plus random overlapping re-sends.
          const cuts = [...new Set(pieces.map(([at]) => at % payload.length))].sort((a, b) => a - b);
          const segs = cuts.map((at, i) => [at, (cuts[i + 1] ?? payload.length) - at] as const);
          if (cuts[0] !== 0) segs.unshift([0, cuts[0]!]);
          for (const [at, len] of pieces) segs.push([at % payload.length, Math.max(1, len)]);
          const shuffled = segs.map((x, i) => [order[i] ?? i, x] as const).sort((a, b) => a[0] - b[0]);
          const list = [seg('c', isn, SYN)];
          for (const [, [at, len]] of shuffled) list.push(seg('c', isn + 1 + at, ACK, payload.subarray(at, at + len)));
          const { streams, log } = run(list);
          expect(log.some((l) => l.startsWith('gap'))).toBe(false);
          expect(streams.get('1up')).toBe(new TextDecoder().decode(payload));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('TcpReassembler close rules', () => {
  it('keeps FIN order: closes only when both directions are complete', () => {
    const { log } = run(
      [...handshake(0, 0), seg('c', 1, ACK | FIN), seg('s', 3, ACK | FIN), seg('s', 1, ACK, 'hi')],
      {},
      false,
    );
    expect(log).toEqual(['open 1 10.0.0.9:50000>443', 'data 1 down hi', 'close 1 fin']);
  });
});

describe('TcpReassembler on real captures', () => {
  /** Bytes per stream and direction as tshark counted them (`tcp.stream tcp.srcport tcp.dstport tcp.len`). */
  function tsharkBytes(file: string, serverPort: number): string[] {
    const per = new Map<string, number>();
    for (const line of readFileSync(file, 'utf8').trim().split('\n')) {
      const [stream, sport, , len] = line.split('\t').map(Number);
      const k = `${stream! + 1}${sport === serverPort ? 'down' : 'up'}`;
      per.set(k, (per.get(k) ?? 0) + len!);
    }
    return [...per]
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k}=${n}`)
      .sort();
  }

  for (const [capture, family] of [
    ['lo.pcap', '127.0.0.1'],
    ['lo.pcapng', '127.0.0.1'],
    ['any-v6.pcap', '::1'],
  ] as const) {
    it(`reassembles ${capture} to the bytes tshark counted`, () => {
      const r = recorder();
      const enc = new TextEncoder();
      const tcp = new TcpReassembler(r.ev);
      const skipped: string[] = [];
      const dec = new PacketDecoder({
        tcp: (s) => tcp.segment(s),
        udp: () => {},
        skipped: (x) => skipped.push(x),
        violation: () => {},
      });
      const reader = new AutoReader({ packet: (p) => dec.packet(p), skipped: (x) => skipped.push(x) });
      reader.write(readFileSync(`test/data/capture/${capture}`));
      reader.end();
      tcp.end(0);
      expect(skipped).toEqual([]);
      expect(r.log.filter((l) => l.startsWith('close')).every((l) => l.endsWith(' fin'))).toBe(true);
      expect(
        r.log.filter((l) => l.startsWith('open')).every((l) => l.includes(`${family}:`) && l.endsWith('>18631')),
      ).toBe(true);
      const ours = [...r.streams].map(([k, v]) => `${k}=${enc.encode(v).length}`).sort();
      const tsv = `test/data/capture/${capture.replace(/\.pcapng$/, '.pcap').replace('.pcap', '.tshark.tsv')}`;
      expect(ours).toEqual(tsharkBytes(tsv, 18631));
      expect(r.streams.get('1up')).toMatch(/^(GET \/hello\?x=1|POST \/where) HTTP\/1.1\r\n/);
    });
  }
});

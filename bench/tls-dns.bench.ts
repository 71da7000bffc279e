/**
 * TLS metadata and DNS decoding: MB/s of handshake bytes through TlsMetadata (a TLS 1.2 handshake with a
 * certificate and a client alert, fresh per connection, so the JA3/JA4 hashing is included) and of DNS responses
 * through parseDns and the TCP framer, each beside a plain read of the same bytes (bench/measure.ts plainRead).
 */
import { DnsTcpFramer, parseDns } from '../src/decode/dns.ts';
import { TlsMetadata } from '../src/decode/tls-metadata.ts';
import {
  alpnExt,
  certificateBody,
  clientHelloBody,
  handshake,
  records,
  serverHelloBody,
  sniExt,
  TEST_CERT,
  u16ListExt,
  versionsExt,
} from '../testkit/tls-builders.ts';
import { mbPerSec, plainRead, round } from './measure.ts';
import type { Bench } from './run.ts';

const CONNECTIONS = 2000;
const RESPONSES = 50_000;

const client = Uint8Array.from(
  records(
    22,
    handshake(
      1,
      clientHelloBody({
        ciphers: [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0x009c, 0x002f],
        extensions: [
          sniExt('api.toy-cloud.example'),
          alpnExt('h2', 'http/1.1'),
          versionsExt(0x0304, 0x0303),
          u16ListExt(0x000a, [0x1d, 0x17, 0x18]),
          u16ListExt(0x000d, [0x0403, 0x0804, 0x0401, 0x0503]),
        ],
      }),
    ),
  ),
);
const server = Uint8Array.from(
  records(22, [
    ...handshake(2, serverHelloBody(0xc02b)),
    ...handshake(11, certificateBody(TEST_CERT)),
    ...handshake(14, []),
  ]),
);
const alert = Uint8Array.from(records(21, [2, 48]));

const u16 = (n: number) => [n >> 8, n & 0xff];
const name = (s: string) => [...s.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]), 0];
const response = Uint8Array.from([
  ...u16(7),
  0x81,
  0x80,
  0,
  1,
  0,
  2,
  0,
  0,
  0,
  0,
  ...name('api.toy-cloud.example'),
  0,
  1,
  0,
  1,
  0xc0,
  12,
  0,
  5,
  0,
  1,
  0,
  0,
  0,
  60,
  0,
  7,
  4,
  ...Buffer.from('edge'),
  0xc0,
  16,
  0xc0,
  51,
  0,
  1,
  0,
  1,
  0,
  0,
  0,
  60,
  0,
  4,
  127,
  0,
  0,
  11,
]);

const bench: Bench = async (emit) => {
  const tlsBytes = (client.length + server.length + alert.length) * CONNECTIONS;
  const tls = mbPerSec(tlsBytes, () => {
    for (let i = 0; i < CONNECTIONS; i++) {
      const m = new TlsMetadata(() => {});
      m.write('client', client);
      m.write('server', server);
      m.write('client', alert);
      if (!m.rejected) throw new Error('bench corpus not read');
    }
  });
  const tlsChunks = Array.from({ length: CONNECTIONS }, () => [client, server, alert]).flat();
  const tlsRef = mbPerSec(tlsBytes, () => plainRead(tlsChunks));
  emit({
    bench: 'tls-metadata',
    corpus: 'tls12-handshake',
    mb_per_s: round(tls),
    reference_mb_per_s: round(tlsRef),
    ratio: round(tls / tlsRef, 3),
    handshakes_per_s: round((tls * 1048576) / (tlsBytes / CONNECTIONS)),
  });

  const dnsBytes = response.length * RESPONSES;
  const dns = mbPerSec(dnsBytes, () => {
    for (let i = 0; i < RESPONSES; i++) if ('error' in parseDns(response)) throw new Error('bench corpus not read');
  });
  const dnsChunks = Array.from({ length: RESPONSES }, () => response);
  const dnsRef = mbPerSec(dnsBytes, () => plainRead(dnsChunks));
  emit({
    bench: 'dns',
    corpus: 'udp-responses',
    mb_per_s: round(dns),
    reference_mb_per_s: round(dnsRef),
    ratio: round(dns / dnsRef, 3),
  });

  const framed = Buffer.concat(dnsChunks.map((r) => Buffer.concat([Buffer.from(u16(r.length)), r])));
  const tcpChunks: Uint8Array[] = [];
  for (let i = 0; i < framed.length; i += 1460) tcpChunks.push(framed.subarray(i, i + 1460));
  const tcp = mbPerSec(framed.length, () => {
    const f = new DnsTcpFramer(() => {});
    for (const c of tcpChunks) f.write(c);
  });
  const tcpRef = mbPerSec(framed.length, () => plainRead(tcpChunks));
  emit({
    bench: 'dns',
    corpus: 'tcp-1460',
    mb_per_s: round(tcp),
    reference_mb_per_s: round(tcpRef),
    ratio: round(tcp / tcpRef, 3),
  });
};

export default bench;

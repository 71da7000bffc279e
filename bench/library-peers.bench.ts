/**
 * Our hand-written parsers beside the maintained libraries that parse the same formats (ADR 0011): DNS
 * (dns-packet), multipart (busboy), MQTT (mqtt-packet) and streaming JSON (@streamparser/json), on the same
 * bytes in the same run. `ratio` is ours over the library's MB/s (above 1: ours is faster). The corpora are
 * made by the libraries' own encoders where they have one (dns-packet, mqtt-packet), so the figures do not
 * flatter our parser with input shaped for it. Input arrives in 64 KiB chunks except DNS (one datagram each).
 */
import { Tokenizer as StreamTokenizer } from '@streamparser/json';
import busboy from 'busboy';
import * as dnsPacket from 'dns-packet';
import * as mqttPacket from 'mqtt-packet';
import { parseDns } from '../src/decode/dns.ts';
import { JsonTokenizer } from '../src/decode/json-tokens.ts';
import { MqttDecoder, type MqttSink } from '../src/decode/mqtt.ts';
import { MultipartParser } from '../src/decode/multipart.ts';
import { DEFAULT_LIMITS } from '../src/model/limits.ts';
import { chunksOf, mbPerSec, mbPerSecAsync, round } from './measure.ts';
import type { Bench } from './run.ts';

/** A resolver's answer as a toy gets it: a CNAME chain and four addresses, names compressed. */
function dnsResponse(i: number): Buffer {
  const name = `api${i % 97}.toy-cloud.example`;
  return dnsPacket.encode({
    type: 'response',
    id: i & 0xffff,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: [{ type: 'A', name }],
    answers: [
      { type: 'CNAME', name, ttl: 300, data: `edge${i % 13}.cdn.example` },
      ...[1, 2, 3, 4].map((n) => ({
        type: 'A' as const,
        name: `edge${i % 13}.cdn.example`,
        ttl: 60,
        data: `10.0.${n}.${i % 250}`,
      })),
    ],
  });
}

/** Telemetry as devices send it: many small objects, numbers, short strings, one nested array. */
function telemetry(bytes: number): Buffer {
  const lines: string[] = [];
  for (let n = 0, size = 0; size < bytes; n++) {
    const line = JSON.stringify({
      device: `TOY-${n % 50}`,
      seq: n,
      battery: 0.5 + (n % 50) / 100,
      wifi: [{ ssid: 'lab', rssi: -40 - (n % 30) }],
      event: n % 7 === 0 ? 'button' : 'heartbeat',
      ok: true,
    });
    lines.push(line);
    size += line.length + 1;
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

const bench: Bench = async (emit) => {
  const pair = async (
    name: string,
    corpus: string,
    bytes: number,
    ours: () => void,
    library: () => void | Promise<void>,
  ): Promise<void> => {
    const mb = mbPerSec(bytes, ours, 3);
    const lib = await mbPerSecAsync(bytes, async () => library(), 3);
    emit({
      bench: 'library-peers',
      parser: name,
      corpus,
      mb_per_s: mb,
      library_mb_per_s: lib,
      ratio: round(mb / lib, 3),
    });
  };

  const responses = Array.from({ length: 100_000 }, (_, i) => dnsResponse(i));
  const dnsBytes = responses.reduce((n, r) => n + r.length, 0);
  await pair(
    'dns vs dns-packet',
    'udp-responses-cname-4a',
    dnsBytes,
    () => {
      for (const r of responses) if ('error' in parseDns(r)) throw new Error('corpus not read');
    },
    () => {
      for (const r of responses) dnsPacket.decode(r);
    },
  );

  const boundary = '----toyscope-bench-7MA4YWxkTrZu0gW';
  const file = Buffer.alloc(256 * 1024, 0x5a);
  const form = Buffer.concat([
    ...Array.from({ length: 64 }, (_, i) => [
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="f${i}"; filename="a${i}.jpg"\r\n`),
      Buffer.from('Content-Type: image/jpeg\r\n\r\n'),
      file,
      Buffer.from('\r\n'),
    ]).flat(),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
  const formChunks = chunksOf(form);
  const expected = 64 * file.length;
  let seen = 0;
  const check = (who: string): void => {
    if (seen !== expected) throw new Error(`${who} read ${seen} of ${expected} part bytes`);
  };
  const ourMultipart = (): void => {
    seen = 0;
    const sink = {
      partStart() {},
      partData: (c: Uint8Array) => {
        seen += c.length;
      },
      partEnd() {},
    };
    const p = new MultipartParser(boundary, sink, DEFAULT_LIMITS, () => {});
    for (const c of formChunks) p.write(c);
    p.end();
    check('ours');
  };
  const busboyMultipart = async (): Promise<void> => {
    seen = 0;
    const bb = busboy({ headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    bb.on('file', (_name, stream) =>
      stream.on('data', (c: Buffer) => {
        seen += c.length;
      }),
    );
    const done = new Promise<void>((resolve, reject) => bb.on('close', resolve).on('error', reject));
    for (const c of formChunks) bb.write(c);
    bb.end();
    await done;
    check('busboy');
  };
  await pair('multipart vs busboy', 'form-64x256k', form.length, ourMultipart, busboyMultipart);

  const mqttSink: MqttSink = {
    connect: () => {},
    publishStart: () => {},
    publishData: () => {},
    publishGap: () => {},
    publishEnd: () => {},
    subscribe: () => {},
    violation: () => {},
  };
  const publishes = Buffer.concat(
    Array.from({ length: 200_000 }, (_, i) =>
      mqttPacket.generate({
        cmd: 'publish',
        topic: `toys/XY-${i % 20}/telemetry`,
        payload: Buffer.from(`{"seq":${i},"lat":31.2,"lon":121.4}`),
        qos: 1,
        messageId: (i % 65535) + 1,
        retain: false,
        dup: false,
      }),
    ),
  );
  const mqttChunks = chunksOf(publishes);
  await pair(
    'mqtt vs mqtt-packet',
    'publish-small-200k',
    publishes.length,
    () => {
      const d = new MqttDecoder(mqttSink, { level: 4 });
      for (const c of mqttChunks) d.write(c);
      d.end();
    },
    () => {
      const p = mqttPacket.parser({ protocolVersion: 4 });
      p.on('packet', () => {});
      for (const c of mqttChunks) p.parse(Buffer.from(c.buffer, c.byteOffset, c.length));
    },
  );

  const ndjson = telemetry(20 * 1024 * 1024);
  const jsonChunks = chunksOf(ndjson);
  const limits = DEFAULT_LIMITS;
  await pair(
    'json tokens vs @streamparser/json Tokenizer',
    'telemetry-ndjson-20mb',
    ndjson.length,
    () => {
      const t = new JsonTokenizer(() => {}, { limits, report: () => {} });
      for (const c of jsonChunks) t.write(c);
      t.end();
    },
    () => {
      const t = new StreamTokenizer({ separator: '\n' });
      t.onToken = () => {};
      for (const c of jsonChunks) t.write(c);
      t.end();
    },
  );
};

export default bench;

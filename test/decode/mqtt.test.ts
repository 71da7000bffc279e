import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MqttDecoder, type MqttSink, mqttConnectPrefix } from '../../src/decode/mqtt.ts';
import { type Limits, resolveLimits } from '../../src/model/limits.ts';
import type { Secret } from '../../src/model/secret.ts';
import { type Ev, EventLog } from '../helpers/event-log.ts';
import { everySplit, oneByteAtATime, splitAt, utf8 } from '../helpers/splits.ts';

/** Feeds chunks to a client→broker and/or broker→client decoder pair; returns one merged event log. */
function run(chunks: Uint8Array[], opts: { level?: number; limits?: Partial<Limits> } = {}): Ev[] {
  const log = new EventLog();
  const dec = new MqttDecoder(
    {
      connect: (c) => log.push('connect', JSON.parse(JSON.stringify(c))),
      publishStart: (p) => log.push('publish', p.topic, p.qos, p.packetId, p.payloadLength, p.contentType),
      publishData: (d) => log.data(d),
      publishGap: (n) => log.after('gap', n),
      publishEnd: () => log.after('end'),
      subscribe: (s) => log.push('subscribe', s.packetId, s.filters),
      violation: (v) => log.after('violation', v.code, v.message),
    },
    { level: opts.level ?? 4 },
    resolveLimits(opts.limits),
  );
  for (const c of chunks) dec.write(c);
  dec.end();
  log.after('counts', dec.counts);
  return log.events;
}

const str = (s: string) => {
  const b = utf8(s);
  return [b.length >> 8, b.length & 0xff, ...b];
};
const varint = (n: number) => {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
};
const packet = (b0: number, body: number[] | Uint8Array) => new Uint8Array([b0, ...varint(body.length), ...body]);
const cat = (...p: Uint8Array[]) => new Uint8Array(Buffer.concat(p));

const PASSWORD = 'hunter2-Secret!';
const ignore: MqttSink = {
  connect: () => {},
  publishStart: () => {},
  publishData: () => {},
  publishGap: () => {},
  publishEnd: () => {},
  subscribe: () => {},
  violation: () => {},
};
const connect311 = packet(0x10, [
  ...str('MQTT'),
  4,
  0xc2 | 0x04 | 0x08, // username, password, clean session, will at QoS 1
  0,
  60,
  ...str('XY-00017'),
  ...str('toys/XY-00017/lwt'),
  ...str('offline'),
  ...str('toy-user'),
  ...str(PASSWORD),
]);
const connect5 = packet(0x10, [
  ...str('MQTT'),
  5,
  0xc2,
  0,
  30,
  ...[5, 0x11, 0, 0, 0, 10], // properties: session expiry 10
  ...str('XY-5'),
  ...str('u5'),
  ...str(PASSWORD),
]);
const publish = (topic: string, payload: string, qos = 0, extra: number[] = []) =>
  packet(0x30 | (qos << 1), [...str(topic), ...(qos ? [0, 7] : []), ...extra, ...utf8(payload)]);

describe('MqttDecoder packets', () => {
  it('reads a 3.1.1 CONNECT, the password only as a Secret that prints masked', () => {
    const log = run([connect311]);
    expect(log[0]).toEqual([
      'connect',
      {
        protocol: 'MQTT',
        level: 4,
        clientId: 'XY-00017',
        username: 'toy-user',
        hasPassword: true,
        password: `[secret, ${PASSWORD.length} chars]`,
        keepAlive: 60,
        cleanStart: true,
        will: { topic: 'toys/XY-00017/lwt', qos: 1, retain: false, payload: { ...utf8('offline') } },
      },
    ]);
    expect(JSON.stringify(log)).not.toContain(PASSWORD);
  });

  it('hands the password to its reader through Secret.reveal() only', () => {
    let secret: Secret | undefined;
    const dec = new MqttDecoder({ ...ignore, connect: (c) => (secret = c.password) }, { level: 4 }, resolveLimits());
    dec.write(connect311);
    expect(secret?.reveal()).toBe(PASSWORD);
    expect([String(secret), JSON.stringify({ secret }), inspect(secret)].join()).not.toContain(PASSWORD);
  });

  it('reads an MQTT 5 CONNECT with properties', () => {
    const log = run([connect5]);
    expect(log[0]![1]).toMatchObject({ level: 5, clientId: 'XY-5', username: 'u5', hasPassword: true });
    expect(JSON.stringify(log)).not.toContain(PASSWORD);
  });

  it('streams PUBLISH payloads with topic, QoS and packet id', () => {
    const bytes = cat(publish('a/b', '{"x":1}'), publish('c', 'hello', 1), packet(0xc0, []), packet(0x40, [0, 7]));
    expect(run([bytes])).toEqual([
      ['publish', 'a/b', 0, undefined, 7, undefined],
      ['data', '{"x":1}'],
      ['end'],
      ['publish', 'c', 1, 7, 5, undefined],
      ['data', 'hello'],
      ['end'],
      ['counts', { publish: 2, pingreq: 1, puback: 1 }],
    ]);
  });

  it('reads MQTT 5 PUBLISH properties: content type kept, topic alias mapped, the rest skipped', () => {
    const props = (p: number[]) => [...varint(p.length), ...p];
    const first = publish(
      't/long/topic',
      'one',
      1,
      props([0x23, 0, 3, 0x03, ...str('application/json'), 0x26, ...str('k'), ...str('v')]),
    );
    const second = publish('', 'two', 0, props([0x23, 0, 3]));
    const unknown = publish('', 'three', 0, props([0x23, 0, 9]));
    expect(run([cat(connect5, first, second, unknown)]).slice(1)).toEqual([
      ['publish', 't/long/topic', 1, 7, 3, 'application/json'],
      ['data', 'one'],
      ['end'],
      ['publish', 't/long/topic', 0, undefined, 3, undefined],
      ['data', 'two'],
      ['end'],
      ['violation', 'unknown-topic-alias', 'alias 9'],
      ['publish', '', 0, undefined, 5, undefined],
      ['data', 'three'],
      ['end'],
      ['counts', { connect: 1, publish: 3 }],
    ]);
  });

  it('reads SUBSCRIBE topic filters', () => {
    const sub = packet(0x82, [0, 3, ...str('toys/+/cmd'), 1, ...str('toys/#'), 0]);
    expect(run([sub])[0]).toEqual([
      'subscribe',
      3,
      [
        { topic: 'toys/+/cmd', qos: 1 },
        { topic: 'toys/#', qos: 0 },
      ],
    ]);
  });

  it('streams an oversize PUBLISH past the header bound without buffering it', () => {
    const big = 'p'.repeat(200_000);
    const log = run([publish('big', big)], { limits: { MAX_MQTT_HEADER_BYTES: 1024 } });
    expect(log.slice(0, 3)).toEqual([['publish', 'big', 0, undefined, big.length, undefined], ['data', big], ['end']]);
  });

  it('skips a PUBLISH whose topic is over MAX_MQTT_HEADER_BYTES, as the limits given say', () => {
    const p = publish('t'.repeat(100), 'hi');
    expect(run([p])[0]).toEqual(['publish', 't'.repeat(100), 0, undefined, 2, undefined]);
    const codes = run([p, publish('ok', 'x')], { limits: { MAX_MQTT_HEADER_BYTES: 50 } }).filter(
      (e) => e[0] !== 'data',
    );
    expect(codes.slice(0, 3)).toEqual([
      ['violation', 'packet-too-large', 'PUBLISH topic and properties over the bound'],
      ['publish', 'ok', 0, undefined, 1, undefined],
      ['end'],
    ]);
  });

  it('stops on a bad remaining length or packet type, skips a malformed packet', () => {
    const badLen = new Uint8Array([0x30, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0]);
    expect(run([cat(badLen, publish('a', 'b'))])).toEqual([
      ['violation', 'bad-remaining-length', 'more than 4 length bytes'],
      ['counts', {}],
    ]);
    expect(run([cat(packet(0x00, []), publish('a', 'b'))])[0]).toEqual([
      'violation',
      'bad-packet-type',
      'packet type 0',
    ]);
    const badConnect = packet(0x10, [...str('HTTP'), 4, 0, 0, 60]);
    expect(run([cat(badConnect, publish('a', 'b'))])).toEqual([
      ['violation', 'malformed-packet', 'bad connect'],
      ['publish', 'a', 0, undefined, 1, undefined],
      ['data', 'b'],
      ['end'],
      ['counts', { connect: 1, publish: 1 }],
    ]);
    const shortTopic = packet(0x30, [0, 50, 0x61]);
    expect(run([cat(shortTopic, publish('a', 'b'))])[0]).toEqual([
      'violation',
      'malformed-packet',
      'variable header longer than the packet',
    ]);
  });

  it('flags a packet cut by the end of the stream', () => {
    const p = publish('t', 'payload');
    expect(run([p.subarray(0, p.length - 3)])).toEqual([
      ['publish', 't', 0, undefined, 7, undefined],
      ['data', 'payl'],
      ['end'],
      ['violation', 'truncated-packet', undefined],
      ['counts', { publish: 1 }],
    ]);
  });

  it('recognises a CONNECT from its first bytes', () => {
    expect(mqttConnectPrefix(connect311)).toBe('ok');
    expect(mqttConnectPrefix(connect311.subarray(0, 5))).toBe('more');
    expect(mqttConnectPrefix(packet(0x10, [...str('MQIsdp'), 3]))).toBe('ok');
    expect(mqttConnectPrefix(utf8('GET / HTTP/1.1'))).toBe('bad');
    expect(mqttConnectPrefix(packet(0x10, [...str('XMPP')]))).toBe('bad');
  });
});

describe('MqttDecoder split invariance and fuzz', () => {
  const stream = cat(
    connect311,
    publish('toys/XY/telemetry', '{"lat":31.2,"lon":121.4}', 1),
    packet(0x82, [0, 1, ...str('toys/#'), 1]),
    publish('x', ''),
    packet(0xe0, []),
  );
  const whole = run([stream]);

  it('gives the same events at every split and one byte at a time', () => {
    expect(whole.filter((e) => e[0] === 'end')).toHaveLength(2);
    for (const chunks of everySplit(stream)) expect(run(chunks)).toEqual(whole);
    expect(run(oneByteAtATime(stream))).toEqual(whole);
  });

  it('gives the same events at random splits', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => {
        expect(run(splitAt(stream, cuts))).toEqual(whole);
      }),
    );
  });

  it('never throws on mutated packets, in bounded time, and never shows the password outside payloads', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (muts, cuts) => {
          const b = stream.slice();
          for (const [i, v] of muts) b[i % b.length] = v;
          const log = run(splitAt(b, cuts), { level: muts.length % 2 ? 5 : 4 });
          // A mutated type byte can make the CONNECT a PUBLISH whose payload holds the password: payloads are content.
          expect(JSON.stringify(log.filter((e) => e[0] !== 'data'))).not.toContain(PASSWORD);
        },
      ),
      { numRuns: 300 },
    );
  });
});

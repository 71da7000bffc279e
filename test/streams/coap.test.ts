import { describe, expect, it } from 'vitest';
import { looksCoap, parseCoap } from '../../src/decode/coap.ts';
import type { FlowEvent } from '../../src/model/events.ts';
import { CoapStream } from '../../src/streams/coap.ts';
import { recognizeUdp } from '../../src/streams/recognize.ts';

/** A CoAP message: version 1, `type`, code `cls.detail`, message id 7, `token`, options (sorted), payload. */
function coap(
  cls: number,
  detail: number,
  options: Array<[number, string | number[]]>,
  payload = '',
  token = [0xab],
): Uint8Array {
  const out = [0x40 | token.length, (cls << 5) | detail, 0, 7, ...token];
  let last = 0;
  for (const [n, v] of options) {
    const bytes = typeof v === 'string' ? [...Buffer.from(v)] : v;
    const delta = n - last;
    last = n;
    const nib = (x: number) => (x < 13 ? [x, []] : [13, [x - 13]]) as [number, number[]];
    const [d, dx] = nib(delta);
    const [l, lx] = nib(bytes.length);
    out.push((d << 4) | l, ...dx, ...lx, ...bytes);
  }
  if (payload) out.push(0xff, ...Buffer.from(payload));
  return Uint8Array.from(out);
}

const post = (payload: string, extra: Array<[number, string | number[]]> = []) =>
  coap(0, 2, [[11, 'rd'], [12, [50]], [15, 'ep=urn:imei:490154203237518'], ...extra], payload);

describe('parseCoap', () => {
  it('reads code, URI, Content-Format, blocks and payload', () => {
    const m = parseCoap(
      coap(
        0,
        3,
        [
          [3, 'iot.example'],
          [11, 'v1'],
          [11, 'profile'],
          [12, [60]],
          [15, 'a=1'],
          [27, [0x1a]],
        ],
        'x',
      ),
    );
    expect(m).toMatchObject({ codeClass: 0, codeDetail: 3, host: 'iot.example', uri: '/v1/profile?a=1' });
    expect(m?.contentType).toBe('application/cbor');
    expect(m?.block).toEqual({ num: 1, more: true });
    expect(Buffer.from(m?.payload ?? []).toString()).toBe('x');
  });

  it('refuses what is not CoAP', () => {
    for (const b of [
      Uint8Array.from([0x80, 1, 0, 0]), // version 2
      Uint8Array.from([0x49, 1, 0, 0]), // token longer than the datagram
      Uint8Array.from([0x40, 0x20, 0, 0]), // class 1 is reserved
      Uint8Array.from([0x40, 0x02, 0, 7, 0xff]), // a payload marker with no payload
      Uint8Array.from([0x40, 0x02, 0, 7, 0xf1, 0]), // option delta 15
      Uint8Array.from([0x40, 0x02, 0, 7, 0xb5, 0x61]), // an option longer than the datagram
    ]) {
      expect(parseCoap(b)).toBeUndefined();
    }
  });

  it('is recognised on its port, and elsewhere as a request with a path', () => {
    expect(recognizeUdp(post('{}'), 40000, 5683)).toBe('coap');
    expect(recognizeUdp(post('{}'), 40000, 15683)).toBe('coap');
    expect(recognizeUdp(coap(2, 5, [], 'x'), 40000, 15683)).toBe('udp');
    expect(looksCoap(coap(2, 5, [], 'x'), 5683, 40000)).toBe(true);
    expect(recognizeUdp(Buffer.from('imei:359587010124900,tracker'), 40000, 5002)).toBe('udp');
  });
});

describe('CoapStream', () => {
  function play(datagrams: Array<['up' | 'down', Uint8Array]>): FlowEvent[] {
    const events: FlowEvent[] = [];
    const violations: string[] = [];
    const s = new CoapStream(
      'f',
      (e) => events.push(e),
      (v) => violations.push(v.code),
    );
    for (const [dir, b] of datagrams) s.data(dir, b, 1);
    s.close(2);
    expect(violations).toEqual([]);
    return events;
  }
  const brief = (events: FlowEvent[]) =>
    events.map((e) =>
      e.type === 'message.head'
        ? ['head', e.msg.msgId, e.msg.direction, e.msg.method ?? e.msg.status, e.msg.url ?? '', e.msg.headers]
        : e.type === 'message.chunk'
          ? ['chunk', e.msgId, Buffer.from(e.data).toString()]
          : [e.type, 'msgId' in e ? e.msgId : ''],
    );

  it('makes a message of each request and response, the datagram giving the direction', () => {
    const events = play([
      ['up', post('{"lat":1}')],
      ['down', coap(2, 1, [], '')],
      ['down', coap(0, 0, [])], // an empty ACK
      [
        'down',
        coap(0, 1, [
          [11, '3'],
          [11, '0'],
        ]),
      ], // the platform reads the device's object 3
      ['up', coap(2, 5, [[12, [50]]], '{"serial":"A1"}')],
    ]);
    expect(brief(events)).toEqual([
      ['head', 0, 'upload', 'POST', '/rd?ep=urn:imei:490154203237518', [['Content-Format', 'application/json']]],
      ['chunk', 0, '{"lat":1}'],
      ['message.end', 0],
      ['head', 1, 'download', 201, '', []],
      ['message.end', 1],
      ['head', 2, 'download', 'GET', '/3/0', []],
      ['message.end', 2],
      ['head', 3, 'upload', 205, '', [['Content-Format', 'application/json']]],
      ['chunk', 3, '{"serial":"A1"}'],
      ['message.end', 3],
    ]);
  });

  it('joins a body sent block by block, and ends it at a missing block', () => {
    const block = (num: number, more: boolean, text: string) => post(text, [[27, [(num << 4) | (more ? 8 : 0) | 2]]]);
    const cont = coap(2, 31, [[27, [0x0a]]]);
    const whole = play([
      ['up', block(0, true, '{"a":')],
      ['down', cont],
      ['up', block(1, true, '"b",')],
      ['down', cont],
      ['up', block(2, false, '"c":1}')],
    ]);
    expect(brief(whole).filter((e) => e[0] !== 'head')).toEqual([
      ['chunk', 0, '{"a":'],
      ['chunk', 0, '"b",'],
      ['chunk', 0, '"c":1}'],
      ['message.end', 0],
    ]);
    const gap = play([
      ['up', block(0, true, 'x')],
      ['up', block(2, false, 'z')],
    ]);
    expect(brief(gap).map((e) => e.slice(0, 2))).toEqual([
      ['head', 0],
      ['chunk', 0],
      ['message.end', 0],
      ['head', 1],
      ['chunk', 1],
      ['message.end', 1],
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { analyzers } from '../../analyzers/index.ts';
import type { ByteSink } from '../../src/decode/filter.ts';
import { EmbeddedJsonScanner, MAX_EMBEDDED_JSON } from '../../src/pipeline/embedded-json.ts';
import { FlowScript, play } from '../../testkit/playbook.ts';
import { everySplit, oneByteAtATime } from '../helpers/splits.ts';

/** The documents a scanner hands out, by offset, for `chunks` written in turn; and its violations. */
function scan(chunks: Uint8Array[]): { docs: Array<[number, string]>; violations: string[] } {
  const docs: Array<[number, string]> = [];
  const violations: string[] = [];
  const open = (offset: number): ByteSink => {
    const parts: Uint8Array[] = [];
    return {
      write: (b) => parts.push(Uint8Array.from(b)),
      end: () => docs.push([offset, Buffer.concat(parts).toString('latin1')]),
    };
  };
  const s = new EmbeddedJsonScanner(open, (v) => violations.push(v.code), 'body');
  for (const c of chunks) s.write(c);
  s.end();
  return { docs, violations };
}

/** A vendor frame: 0x55 0xAA, a command, a 32-bit length, the body. */
function frame(body: string | Uint8Array, cmd = 1): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x55aa, 0);
  head.writeUInt16BE(cmd, 2);
  head.writeUInt32BE(b.length, 4);
  return Buffer.concat([head, b]);
}

describe('EmbeddedJsonScanner', () => {
  const a = '{"imei":"490154203237518","geo":{"lat":31.2,"s":"}]{\\"x\\":["}}';
  const b = '{ "contacts" : [{"name":"妈妈","phone":"+8613812345678"}] }';
  const stream = Buffer.concat([frame(a), frame(b, 2), Buffer.from([0, 1, 2])]);

  it('finds each document behind its header, to its closing bracket, whatever the cut', () => {
    const expected = [
      [8, a],
      [8 + Buffer.byteLength(a) + 8, Buffer.from(b).toString('latin1')],
    ];
    for (const chunks of everySplit(stream, 1 << 16)) expect(scan(chunks).docs).toEqual(expected);
    expect(scan(oneByteAtATime(stream)).docs).toEqual(expected);
  });

  it('takes no `{` whose first key is not plausible', () => {
    const noKey = [
      '{}',
      '{"":1}', // an empty key
      '{"a\x01":1}', // a control byte in the key
      '{"a\\"b":1}', // an escape in the key
      `{"${'k'.repeat(65)}":1}`, // a key too long
      '{"a" 1}', // no colon
      `{${' '.repeat(17)}"a":1}`, // too much whitespace before the key's quote
    ];
    for (const text of noKey) expect(scan([Buffer.from(`xx${text}yy`)]).docs).toEqual([]);
    expect(scan([Buffer.from('x{\n  "a": 1\n}')]).docs).toEqual([[1, '{\n  "a": 1\n}']]); // pretty-printed
    // An array of objects is one document, from its `[`, whatever the cut.
    const array = Buffer.from('\x00\x01[ {"a":1},{"a":2}]\x00[1,{"b":2}]');
    for (const chunks of everySplit(array)) {
      expect(scan(chunks).docs).toEqual([
        [2, '[ {"a":1},{"a":2}]'],
        [24, '{"b":2}'], // an array opening with a number is not one: its object alone
      ]);
    }
    // A `{` that fails the check may start the next candidate.
    expect(scan([Buffer.from('{{"a":1}')]).docs).toEqual([[1, '{"a":1}']]);
  });

  it('ends a document at a byte JSON cannot hold, keeping what came before, and searches on', () => {
    const cut = Buffer.concat([Buffer.from('{"a":[1,2'), Buffer.from([0x00, 0xff]), Buffer.from('{"b":2}')]);
    expect(scan([cut]).docs).toEqual([
      [0, '{"a":[1,2'],
      [11, '{"b":2}'],
    ]);
    // Inside a string: UTF-8 is text, a raw control byte is not.
    const inString = Buffer.concat([Buffer.from('{"a":"é'), Buffer.from([0x01]), Buffer.from('"}')]);
    expect(scan([inString]).docs).toEqual([[0, Buffer.from('{"a":"é').toString('latin1')]]);
  });

  it('reads at most MAX_EMBEDDED_JSON documents of a part, and says so once', () => {
    const many = Buffer.from('{"a":1}'.repeat(MAX_EMBEDDED_JSON + 5));
    const { docs, violations } = scan([many]);
    expect(docs).toHaveLength(MAX_EMBEDDED_JSON);
    expect(violations).toEqual(['embedded-json-limit']);
  });
});

describe('JSON in a device framing, through the pipeline', () => {
  const personal = analyzers.filter((x) => x.name !== 'face');
  const run = (protocol: 'raw' | 'http', ...chunks: Uint8Array[]) => {
    const head =
      protocol === 'raw'
        ? { msgId: 0, protocol, headers: [] }
        : { msgId: 0, method: 'POST', url: '/up', headers: [['content-type', 'application/octet-stream']] as const };
    const s = new FlowScript({ transport: protocol === 'raw' ? 'tcp' : 'http' }).message(head, ...chunks);
    return play(personal, s.close().events).findings.map((f) => `${f.category}/${f.subtype} ${f.path}`);
  };

  it('reads each framed document of a raw stream at its own path, and an undeclared upload the same', () => {
    const frames = Buffer.concat([
      frame('{"imei":"490154203237518","lat":39.990464,"lng":116.481488}'),
      frame('{"wifi":[{"bssid":"ac:84:c6:3e:12:a1","rssi":-48},{"bssid":"ac:84:c6:3e:12:a2","rssi":-60}]}'),
    ]);
    const expected = [
      'identifiers/imei json@8>$.imei',
      'location/coordinates json@8>$',
      'location/wifi-scan json@75>$.wifi',
    ];
    expect(run('raw', frames).sort()).toEqual(expected);
    expect(run('raw', frames.subarray(0, 40), frames.subarray(40)).sort()).toEqual(expected);
    expect(run('http', frames).sort()).toEqual(expected);
  });

  it('leaves a known format alone: JSON sniffed at the start is read as JSON, not searched again', () => {
    expect(run('http', Buffer.from('{"imei":"490154203237518"}'))).toEqual(['identifiers/imei $.imei']);
  });
});

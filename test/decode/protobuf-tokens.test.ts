import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { GrpcTokenizer } from '../../src/decode/grpc-tokens.ts';
import { ProtobufTokenizer, walkFields } from '../../src/decode/protobuf-tokens.ts';
import { everySplit, oneByteAtATime, splitAt } from '../helpers/splits.ts';
import { brief, merged, runBinary } from './binary-run.ts';

const root = protobuf.Root.fromJSON({
  nested: {
    Loc: { fields: { lat: { type: 'double', id: 1 }, lon: { type: 'double', id: 2 }, acc: { type: 'float', id: 3 } } },
    Report: {
      fields: {
        deviceId: { type: 'string', id: 1 },
        loc: { type: 'Loc', id: 2 },
        ts: { type: 'int64', id: 3 },
        tags: { rule: 'repeated', type: 'string', id: 4 },
        delta: { type: 'sint32', id: 5 },
        neg: { type: 'int32', id: 6 },
        audio: { type: 'bytes', id: 7 },
        phone: { type: 'string', id: 15 },
        id: { type: 'fixed64', id: 16 },
      },
    },
  },
});
const Report = root.lookupType('Report');
const audio = new Uint8Array(300).map((_, i) => (i * 37) & 0xff);
/** A copy: protobufjs returns a Buffer, whose `slice()` would be a view. */
const report = Uint8Array.from(
  Report.encode(
    Report.create({
      deviceId: 'XY-00017',
      loc: { lat: 39.9042, lon: 116.4074, acc: 12.5 },
      ts: 1700000000123,
      tags: ['a', 'b', 'c'],
      delta: -3,
      neg: -1,
      audio,
      phone: '+86 138 1234 5678',
      id: 7,
    }),
  ).finish(),
);

describe('ProtobufTokenizer', () => {
  it('walks a protobufjs message into field-number paths', () => {
    const r = runBinary(ProtobufTokenizer, [report]);
    expect(r.violations).toEqual([]);
    expect(brief(r)).toEqual([
      ['$.1', '1', 'string', 'XY-00017'],
      ['$.2.1', '1', 'number', '4630812834192328072'],
      ['$.2.1', '1', 'number', '39.9042'],
      ['$.2.2', '2', 'number', '4637891859487856892'],
      ['$.2.2', '2', 'number', '116.4074'],
      ['$.2.3', '3', 'number', '1095237632'],
      ['$.2.3', '3', 'number', '12.5'],
      ['$.3', '3', 'number', '1700000000123'],
      ['$.4', '4', 'string', 'a'],
      ['$.4[1]', '4', 'string', 'b'],
      ['$.4[2]', '4', 'string', 'c'],
      ['$.5', '5', 'number', '5'], // zigzag of -3, not undone
      ['$.6', '6', 'number', '18446744073709551615'], // int32 -1 as a 10-byte varint
      ['$.15', '15', 'string', '+86 138 1234 5678'],
      ['$.16', '16', 'number', '7'],
    ]);
    expect(r.bytes).toEqual([['$.7', 300]]);
    expect(r.tokens.every((t) => t.source === 'binary' && t.depth === 0 && !t.more)).toBe(true);
    // The parent: the message holding a field; for a repeat, the repeated field (as `parentOf` its path read).
    const parents = new Map(r.tokens.map((t) => [t.path, t.parent]));
    expect([...parents].filter(([p]) => ['$.1', '$.2.1', '$.4', '$.4[1]', '$.4[2]'].includes(p))).toEqual([
      ['$.1', '$'],
      ['$.2.1', '$.2'],
      ['$.4', '$'],
      ['$.4[1]', '$.4'],
      ['$.4[2]', '$.4'],
    ]);
    // Container numbers follow the parents: the body, the nested message, the repeated field (held by the body).
    const numbers = new Map(r.tokens.map((t) => [t.path, [t.container, t.outer]]));
    const body = numbers.get('$.1')!;
    const nested = numbers.get('$.2.1')!;
    expect(body).toEqual([0, 0]);
    expect(nested[1]).toBe(0);
    expect(nested[0]).not.toBe(0);
    expect(numbers.get('$.4')).toEqual(body);
    const repeats = numbers.get('$.4[1]')!;
    expect(numbers.get('$.4[2]')).toEqual(repeats);
    expect(repeats[1]).toBe(0);
    expect([0, nested[0]]).not.toContain(repeats[0]);
  });

  it('gives the same tokens whatever the chunking', () => {
    const whole = runBinary(ProtobufTokenizer, [report]);
    for (const chunks of everySplit(report)) expect(runBinary(ProtobufTokenizer, chunks)).toEqual(whole);
    expect(runBinary(ProtobufTokenizer, oneByteAtATime(report))).toEqual(whole);
  });

  it('streams strings, nested messages and bytes longer than MAX_TOKEN_BYTES', () => {
    const long = Report.encode(
      Report.create({ deviceId: 'é'.repeat(40), loc: { lat: 1.25, lon: 2.5 }, tags: ['x'], audio }),
    ).finish();
    const limits = { MAX_TOKEN_BYTES: 16 };
    const whole = runBinary(ProtobufTokenizer, [long], limits);
    expect(whole.violations).toEqual([]);
    expect(whole.tokens.filter((t) => t.path === '$.1').map((t) => t.value.length)).toEqual([16, 16, 8]);
    expect(merged(whole.tokens)).toContainEqual(['$.1', 'string', 'é'.repeat(40)]);
    expect(merged(whole.tokens)).toContainEqual(['$.2.2', 'number', '2.5']);
    expect(whole.bytes).toEqual([['$.7', 300]]);
    for (const chunks of everySplit(long)) expect(runBinary(ProtobufTokenizer, chunks, limits)).toEqual(whole);
  });

  it('reads a large nested message from a valid prefix', () => {
    const tags = Array.from({ length: 50 }, (_, i) => `tag-${i}`);
    const inner = Report.encode(Report.create({ tags, phone: '13812345678' })).finish();
    const outer = new Uint8Array([0x12, ...varint(inner.length), ...inner]); // field 2, length-delimited
    const limits = { MAX_TOKEN_BYTES: 64 };
    const r = runBinary(ProtobufTokenizer, [outer], limits);
    expect(r.violations).toEqual([]);
    expect(merged(r.tokens)).toContainEqual(['$.2.15', 'string', '13812345678']);
    expect(merged(r.tokens)).toContainEqual(['$.2.4[49]', 'string', 'tag-49']);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 8 }), (cuts) => {
        expect(runBinary(ProtobufTokenizer, splitAt(outer, cuts), limits)).toEqual(r);
      }),
      { numRuns: 200 },
    );
  });

  it('reads groups as nested messages', () => {
    // field 1 start group, field 2 varint 5, field 1 end group, field 3 varint 1
    const r = runBinary(ProtobufTokenizer, [new Uint8Array([0x0b, 0x10, 0x05, 0x0c, 0x18, 0x01])]);
    expect(r.violations).toEqual([]);
    expect(brief(r)).toEqual([
      ['$.1.2', '2', 'number', '5'],
      ['$.3', '3', 'number', '1'],
    ]);
  });

  it('keeps 64-bit varints exact and prefixes paths', () => {
    const max = new Uint8Array([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    const r = runBinary(ProtobufTokenizer, [max], {}, { pathPrefix: '$.payload>', depth: 2 });
    expect(brief(r)).toEqual([['$.payload>$.1', '1', 'number', '18446744073709551615']]);
    expect(r.tokens[0]!.depth).toBe(2);
  });

  it('flags malformed input and stops', () => {
    const codes = (b: number[]) => runBinary(ProtobufTokenizer, [new Uint8Array(b)]).violations.map((v) => v.code);
    expect(codes([0x0e, 0x01])).toEqual(['bad-wire-type']);
    expect(codes([0x00, 0x01])).toEqual(['bad-field-number']);
    expect(codes([0x0a, 0x05, 0x41])).toEqual(['truncated']);
    expect(codes([0x08])).toEqual(['truncated']);
    expect(codes([0x0c])).toEqual(['bad-end-group']);
    expect(codes([0x0b, 0x10, 0x01])).toEqual(['truncated']);
    expect(codes([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).toEqual(['bad-varint']);
    // a nested message whose inner field claims more bytes than the message holds, after a valid prefix
    const r = runBinary(ProtobufTokenizer, [new Uint8Array([0x08, 0x01, 0x0a, 0x03, 0x08, 0x01, 0x0a, 0x7f])]);
    expect(r.tokens.map((t) => t.value)).toEqual(['1']);
    expect(r.bytes).toEqual([['$.1[1]', 3]]); // not a message (the walk fails), not text: bytes
  });

  it('treats messages nested deeper than MAX_JSON_DEPTH as bytes', () => {
    let msg: number[] = [0x08, 0x2a];
    for (let i = 0; i < 10; i++) msg = [0x0a, msg.length, ...msg];
    const r = runBinary(ProtobufTokenizer, [new Uint8Array(msg)], { MAX_JSON_DEPTH: 4 });
    expect(r.violations).toEqual([]);
    expect(r.tokens).toEqual([]);
    expect(r.bytes.map(([p]) => p)).toEqual(['$.1.1.1.1.1']);
  });

  it('never throws on random or mutated input, and stays split-invariant', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
        const whole = runBinary(ProtobufTokenizer, [bytes]);
        expect(runBinary(ProtobufTokenizer, splitAt(bytes, cuts))).toEqual(whole);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.nat(report.length - 1), fc.integer({ min: 0, max: 255 }), (at, value) => {
        const bad = report.slice();
        bad[at] = value;
        const r = runBinary(ProtobufTokenizer, [bad]);
        expect(runBinary(ProtobufTokenizer, oneByteAtATime(bad))).toEqual(r);
      }),
      { numRuns: 300 },
    );
  });

  it('walkFields tells whole messages, prefixes and non-messages apart', () => {
    expect(walkFields(report, 0, report.length, true)).toBe(11);
    expect(walkFields(report, 0, 20, true)).toBe(-1);
    expect(walkFields(report, 0, 20, false)).toBeGreaterThan(0);
    expect(walkFields(new Uint8Array([0x0f]), 0, 1, false)).toBe(-1);
  });
});

describe('GrpcTokenizer', () => {
  const frame = (flag: number, body: Uint8Array) => {
    const b = new Uint8Array(5 + body.length);
    b[0] = flag;
    new DataView(b.buffer).setUint32(1, body.length);
    b.set(body, 5);
    return b;
  };

  it('tokenizes each length-prefixed message, split anywhere', () => {
    const small = Report.encode(Report.create({ deviceId: 'A', phone: '13812345678' })).finish();
    const stream = new Uint8Array([...frame(0, small), ...frame(0, report)]);
    const r = runBinary(GrpcTokenizer, [stream]);
    expect(r.violations).toEqual([]);
    expect(brief(r).slice(0, 3)).toEqual([
      ['$.1', '1', 'string', 'A'],
      ['$.15', '15', 'string', '13812345678'],
      ['$.1', '1', 'string', 'XY-00017'],
    ]);
    for (const chunks of everySplit(stream)) expect(runBinary(GrpcTokenizer, chunks)).toEqual(r);
  });

  it('skips compressed messages with a violation and flags truncation', () => {
    const r = runBinary(GrpcTokenizer, [frame(1, new Uint8Array([1, 2, 3])), frame(0, new Uint8Array([0x08, 0x01]))]);
    expect(r.violations.map((v) => v.code)).toEqual(['compressed-message']);
    expect(brief(r)).toEqual([['$.1', '1', 'number', '1']]);
    expect(runBinary(GrpcTokenizer, [frame(0, report).subarray(0, 20)]).violations.map((v) => v.code)).toContain(
      'truncated',
    );
  });
});

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

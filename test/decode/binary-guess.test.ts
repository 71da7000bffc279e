import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { encode as msgpack } from '@msgpack/msgpack';
import { encode as cbor } from 'cborg';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { guessBinaryEncoding } from '../../src/decode/binary-guess.ts';

const root = protobuf.Root.fromJSON({
  nested: {
    R: {
      fields: {
        id: { type: 'string', id: 1 },
        ts: { type: 'int64', id: 2 },
        lat: { type: 'double', id: 3 },
        lon: { type: 'double', id: 4 },
        audio: { type: 'bytes', id: 5 },
      },
    },
  },
});
const R = root.lookupType('R');
const record = { id: 'XY-00017', ts: 1700000000123, lat: 39.9042, lon: 116.4074 };

describe('guessBinaryEncoding', () => {
  it('recognises protobuf, CBOR and MessagePack made by their encoders', () => {
    const pb = R.encode(R.create(record)).finish();
    expect(guessBinaryEncoding(pb, true)).toBe('protobuf');
    const withAudio = R.encode(R.create({ ...record, audio: randomBytes(5000) })).finish();
    expect(guessBinaryEncoding(withAudio.subarray(0, 512))).toBe('protobuf');
    const tree = { deviceId: 'XY-00017', loc: { lat: 39.9042, lon: 116.4074 }, items: [1, 2, 3] };
    expect(guessBinaryEncoding(cbor(tree), true)).toBe('cbor');
    expect(guessBinaryEncoding(msgpack(tree), true)).toBe('msgpack');
    expect(guessBinaryEncoding(msgpack([tree, tree]), true)).toBe('msgpack');
    expect(guessBinaryEncoding(cbor([tree, tree]).subarray(0, 60))).toBe('cbor');
  });

  it('does not take text, gzip, JPEG or PCM audio for a binary encoding', () => {
    expect(guessBinaryEncoding(Buffer.from('{"a":1}'), true)).toBeUndefined();
    expect(guessBinaryEncoding(Buffer.from('hello world, this is text'), true)).toBeUndefined();
    for (let k = 0; k < 200; k++) {
      expect(guessBinaryEncoding(gzipSync(randomBytes(600)).subarray(0, 512))).toBeUndefined();
    }
    const jpeg = Buffer.concat([
      Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
      Buffer.from('JFIF\0'),
      randomBytes(500),
    ]);
    expect(guessBinaryEncoding(jpeg)).toBeUndefined();
    const pcm = Buffer.alloc(1024);
    for (const amp of [50, 800, 8000, 30000]) {
      for (const freq of [100, 440, 3000]) {
        for (let i = 0; i < 512; i++)
          pcm.writeInt16LE(Math.round(amp * Math.sin((2 * Math.PI * freq * i) / 16000)), 2 * i);
        expect(guessBinaryEncoding(pcm.subarray(0, 512))).toBeUndefined();
        expect(guessBinaryEncoding(pcm.subarray(1, 513))).toBeUndefined();
      }
    }
  });

  it('takes almost no random bytes for a binary encoding (a measured rate, on fixed seeds)', () => {
    // About 1 random body in 100,000 reads as protobuf or MessagePack with plausible structure (measured over
    // 1,000,000): a random property test failed now and then. Fixed seeds keep this one deterministic.
    let state = 0x9e3779b9;
    const next = () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return state >>> 0;
    };
    let taken = 0;
    for (let k = 0; k < 20_000; k++) {
      const bytes = new Uint8Array(64 + (next() % 449));
      for (let i = 0; i < bytes.length; i++) bytes[i] = next() & 0xff;
      if (guessBinaryEncoding(bytes) !== undefined) taken++;
    }
    expect(taken).toBeLessThanOrEqual(2);
  });

  it('believes no protobuf groups in a guess (proto3 has none; random bytes often start one)', () => {
    // field 1 varint, field 2 start-group, field 2 varint inside, field 2 end-group, field 3 varint: valid wire
    // format, field numbers in order.
    const grouped = Uint8Array.from([0x08, 0x01, 0x13, 0x10, 0x05, 0x14, 0x18, 0x01]);
    expect(guessBinaryEncoding(grouped, true)).toBeUndefined();
  });
});

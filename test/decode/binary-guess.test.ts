import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { encode as msgpack } from '@msgpack/msgpack';
import { encode as cbor } from 'cborg';
import fc from 'fast-check';
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

  it('does not take random bytes for a binary encoding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 512 }), (bytes) => {
        expect(guessBinaryEncoding(bytes)).toBeUndefined();
      }),
      { numRuns: 3000 },
    );
  });
});

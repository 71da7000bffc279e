import { describe, expect, it } from 'vitest';
import { HandshakeAssembler, type HandshakeMessage, recordLength } from '../../src/decode/tls-records.ts';
import { bytes, handshake } from '../../testkit/tls-builders.ts';
import { everySplit } from '../helpers/splits.ts';

const drain = (a: HandshakeAssembler): HandshakeMessage[] => {
  const out: HandshakeMessage[] = [];
  for (let m = a.next(); m !== undefined; m = a.next()) out.push(m);
  return out;
};

describe('HandshakeAssembler', () => {
  const input = bytes([...handshake(1, [1, 2, 3]), ...handshake(11, new Array(40).fill(9)), ...handshake(20, [7])]);

  it('reassembles messages across any cut and announces an oversized one without its body', () => {
    for (const parts of everySplit(input)) {
      const a = new HandshakeAssembler(32);
      const got: HandshakeMessage[] = [];
      for (const p of parts) {
        a.push(p);
        got.push(...drain(a));
      }
      expect(got).toEqual([
        { type: 1, length: 3, body: bytes([1, 2, 3]) },
        { type: 11, length: 40 },
        { type: 20, length: 1, body: bytes([7]) },
      ]);
    }
  });
});

describe('recordLength', () => {
  it('reads a TLS record header and refuses what is none', () => {
    expect(recordLength(bytes([23, 3, 3, 0x40, 0]))).toBe(0x4000);
    expect(recordLength(bytes([0x47, 0x45, 0x54, 0x20, 0x2f]))).toBe(-1); // "GET /"
    expect(recordLength(bytes([23, 3, 3, 0xff, 0xff]))).toBe(-1); // over 2^14 + 2048
  });
});

import { describe, expect, it } from 'vitest';
import { RecordFramer } from '../../../src/decode/tls-decrypt/record-framer.ts';
import { bytes, records } from '../../../testkit/tls-builders.ts';
import { everySplit } from '../../helpers/splits.ts';

const STREAM = bytes([...records(22, [1, 2, 3]), ...records(23, new Array(300).fill(7)), ...records(21, [1, 0])]);

function frame(parts: Uint8Array[]): { log: string[]; pending: number } {
  const f = new RecordFramer();
  const log: string[] = [];
  for (const p of parts) {
    const taken = f.write(
      p,
      (h, b) => {
        log.push(`${h[0]}:${b.length}:${b[0]}`);
        return true;
      },
      (text) => log.push(`bad ${text}`),
    );
    expect(taken).toBe(p.length);
  }
  return { log, pending: f.pending };
}

describe('RecordFramer', () => {
  it('hands over the same records however the stream is cut, holding only a cut record', () => {
    for (const parts of everySplit(STREAM))
      expect(frame(parts)).toEqual({ log: ['22:3:1', '23:300:7', '21:2:1'], pending: 0 });
    expect(frame([STREAM.subarray(0, 20)]).pending).toBe(20 - 8);
  });

  it('stops at bytes that are no record header, and when the caller says stop', () => {
    const f = new RecordFramer();
    const seen: string[] = [];
    expect(
      f.write(
        bytes([0x47, 0x45, 0x54, 0x20, 0x2f, 0x20]),
        () => true,
        (t) => seen.push(t),
      ),
    ).toBe(0);
    expect(seen).toEqual(['record type 71, version 69.84, length 8239']);
    const g = new RecordFramer();
    expect(
      g.write(
        STREAM,
        () => false,
        () => {},
      ),
    ).toBe(8);
  });
});

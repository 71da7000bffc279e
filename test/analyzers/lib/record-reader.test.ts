import { describe, expect, it } from 'vitest';
import { RecordReader } from '../../../analyzers/lib/record-reader.ts';
import { everySplit } from '../../helpers/splits.ts';

/** Records of `[length][tag][length bytes]` (length 0xff: stop): the head is 2 bytes, the body skipped unread. */
function walk(chunks: Uint8Array[]): string[] {
  const log: string[] = [];
  const reader: RecordReader = new RecordReader(2, 2, {
    head: (h) => {
      if (h[0] === 0xff) reader.stop();
      else {
        log.push(`tag ${h[1]} body ${h[0]}`);
        reader.next(h[0]!, 2);
      }
    },
    skipped: () => log.push('passed'),
  });
  for (const c of chunks) reader.push(c);
  return log;
}

describe('RecordReader', () => {
  const bytes = Uint8Array.from([3, 1, 9, 9, 9, 0, 2, 1, 3, 7, 0xff, 4, 4]);

  it('hands over each head, skips each body, whatever the chunking, and stops when told', () => {
    const expected = ['tag 1 body 3', 'passed', 'tag 2 body 0', 'passed', 'tag 3 body 1', 'passed'];
    for (const chunks of everySplit(bytes)) expect(walk(chunks)).toEqual(expected);
  });

  it('reads a longer head when asked (want)', () => {
    const seen: number[] = [];
    const reader: RecordReader = new RecordReader(4, 1, {
      head: (h) => {
        seen.push(h.length);
        if (h.length === 1) reader.want(h[0]!);
        else reader.next(0, 1);
      },
    });
    reader.push(Uint8Array.from([3, 0, 0, 2, 0]));
    expect(seen).toEqual([1, 3, 1, 2]);
  });
});

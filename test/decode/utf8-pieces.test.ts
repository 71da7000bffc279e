import { describe, expect, it } from 'vitest';
import { Utf8Pieces } from '../../src/decode/utf8-pieces.ts';

/** The bytes Utf8Pieces writes for `pieces`, and whether it ended its sink once. */
function encode(pieces: string[]): { bytes: Buffer; ends: number } {
  const out: Buffer[] = [];
  let ends = 0;
  const sink = { write: (b: Uint8Array) => out.push(Buffer.from(b)), end: () => ends++ };
  const u = new Utf8Pieces();
  for (const p of pieces) u.write(p, sink);
  u.end(sink);
  return { bytes: Buffer.concat(out), ends };
}

describe('Utf8Pieces', () => {
  it('gives the whole string’s UTF-8 whatever the cut, a surrogate pair cut between pieces included', () => {
    const whole = '{"name":"小宝🐻","note":"🎈a😀"}';
    for (let cut = 0; cut <= whole.length; cut++) {
      expect(encode([whole.slice(0, cut), whole.slice(cut)])).toEqual({ bytes: Buffer.from(whole, 'utf8'), ends: 1 });
    }
    const units = [...Array(whole.length).keys()].map((i) => whole[i] ?? '');
    expect(encode(units).bytes).toEqual(Buffer.from(whole, 'utf8'));
  });

  it('writes a lone high surrogate at the end as UTF-8 does (U+FFFD), never drops it', () => {
    expect(encode(['ab\ud83d']).bytes).toEqual(Buffer.from('ab\ufffd', 'utf8'));
  });
});

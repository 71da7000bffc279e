import { describe, expect, it } from 'vitest';
import type { ByteSink } from '../../src/decode/filter.ts';
import { transferDecoder } from '../../src/decode/transfer-encoding.ts';
import { everySplit } from '../helpers/splits.ts';

function decode(coding: string, chunks: Uint8Array[]): string {
  const parts: Uint8Array[] = [];
  const out: ByteSink = { write: (b) => parts.push(Uint8Array.from(b)), end: () => {} };
  const filter = transferDecoder(coding, () => {});
  if (!filter) throw new Error(`no filter for ${coding}`);
  for (const c of chunks) filter.write(c, out);
  filter.end(out);
  return Buffer.concat(parts).toString('utf8');
}

describe('transferDecoder', () => {
  it('decodes quoted-printable: escapes, soft line breaks, a bare = kept, at every cut', () => {
    const qp = Buffer.from('Call =E5=A6=88=E5=A6=88 on +86139=\r\n12345678 =3D now=\nplease; 5 = five=ZZ\r\n');
    const text = 'Call 妈妈 on +8613912345678 = nowplease; 5 = five=ZZ\r\n';
    for (const chunks of everySplit(qp, 1 << 12)) expect(decode('quoted-printable', chunks)).toBe(text);
  });

  it('decodes base64 in lines, at every cut', () => {
    const b64 = Buffer.from(
      `${Buffer.from('a photo\u0000\u00ff of Mia'.repeat(4))
        .toString('base64')
        .replace(/(.{20})/g, '$1\r\n')}\r\n`,
    );
    for (const chunks of everySplit(b64, 1 << 12))
      expect(decode('base64', chunks)).toBe('a photo\u0000\u00ff of Mia'.repeat(4));
  });

  it('leaves 7bit, 8bit, binary and unknown codings as sent', () => {
    for (const c of ['7bit', '8bit', 'binary', 'x-uuencode', undefined])
      expect(transferDecoder(c, () => {})).toBeUndefined();
    expect(transferDecoder(' Base64 ', () => {})).toBeDefined();
  });
});

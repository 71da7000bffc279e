import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EMBEDDED_SCAN_BYTES, EmbeddedMediaScanner } from '../../src/pipeline/embedded-media.ts';
import { JpegEnd } from '../../src/pipeline/jpeg-end.ts';

/** What a scanner hands on: the offset it opened at and the bytes its sink got. */
function scan(chunks: Uint8Array[]): { offset: number; bytes: Buffer; ended: boolean } | undefined {
  let found: { offset: number; parts: Uint8Array[]; ended: boolean } | undefined;
  const s = new EmbeddedMediaScanner((offset) => {
    const f = { offset, parts: [] as Uint8Array[], ended: false };
    found = f;
    return { write: (b) => f.parts.push(Uint8Array.from(b)), end: () => (f.ended = true) };
  });
  for (const c of chunks) s.write(c);
  s.end();
  return found && { offset: found.offset, bytes: Buffer.concat(found.parts), ended: found.ended };
}

const header = Buffer.from('TOYC\0\0\xb3\x88', 'latin1');
const jpeg = readFileSync(new URL('../../fixtures/face-corpus/pos-astronaut.jpg', import.meta.url));

describe('EmbeddedMediaScanner', () => {
  it('hands on the media behind a header, from its first byte, at every split of the head', () => {
    const body = Buffer.concat([header, jpeg.subarray(0, 400)]);
    for (let cut = 0; cut <= 40; cut++) {
      for (const step of [1, 3, 7]) {
        const chunks = [body.subarray(0, cut)];
        for (let at = cut; at < body.length; at += step) chunks.push(body.subarray(at, at + step));
        expect(scan(chunks)).toEqual({ offset: 8, bytes: body.subarray(8), ended: true });
      }
    }
  });

  it('knows PNG, GIF, RIFF WAVE and WebP, AMR, Ogg, ftyp boxes and ID3 tags', () => {
    const heads = [
      Buffer.from('\x89PNG\r\n\x1a\n\0\0\0\rIHDR', 'latin1'),
      Buffer.from('GIF89a\x10\0\x10\0\0\0\0\0', 'latin1'),
      Buffer.from('RIFF\x24\x08\0\0WAVEfmt ', 'latin1'),
      Buffer.from('RIFF\x24\x08\0\0WEBPVP8 ', 'latin1'),
      Buffer.from('#!AMR\n\x3c\x00\x00\x00\x00\x00\x00', 'latin1'),
      Buffer.from('OggS\0\x02\0\0\0\0\0\0\0\0', 'latin1'),
      Buffer.from('\0\0\0\x18ftypheic\0\0\0\0', 'latin1'),
      Buffer.from('ID3\x04\0\0\0\0\x10\x00\0\0\0\0', 'latin1'),
      Buffer.from('\xff\xd8\xff\xe1\x10\x00Exif\0\0MM', 'latin1'),
      Buffer.from('\xff\xd8\xff\xdb\x00\x43\x00\x08\x06\x06\x07\x06', 'latin1'),
    ];
    for (const h of heads) expect(scan([Buffer.concat([header, h, Buffer.alloc(20)])])?.offset).toBe(8);
  });

  it('finds nothing in random bytes, in short look-alikes, or past EMBEDDED_SCAN_BYTES', () => {
    let x = 7;
    const random = Buffer.alloc(256 * 1024).map(() => {
      x = (x * 1103515245 + 12345) >>> 0;
      return x >>> 24;
    });
    expect(scan([random])).toBeUndefined();
    const nearMisses = Buffer.from('\xff\xd8\xff\xe0\0\x10JFIX\0GIF88aRIFF\0\0\0\0AVI #!AMX\nOggS\0\x00', 'latin1');
    expect(scan([Buffer.concat([header, nearMisses, Buffer.alloc(20)])])).toBeUndefined();
    const late = Buffer.concat([Buffer.alloc(EMBEDDED_SCAN_BYTES), jpeg]);
    expect(scan([late.subarray(0, 1000), late.subarray(1000)])).toBeUndefined();
    const lastPlace = Buffer.concat([Buffer.alloc(EMBEDDED_SCAN_BYTES - 1), jpeg]);
    expect(scan([lastPlace])?.offset).toBe(EMBEDDED_SCAN_BYTES - 1);
  });
});

describe('JpegEnd and more than one JPEG in a part', () => {
  const dir = new URL('../../fixtures/face-corpus/', import.meta.url);
  const jpegs = readdirSync(dir)
    .filter((f) => f.endsWith('.jpg'))
    .map((f) => readFileSync(new URL(f, dir)));

  it('finds the end of every JPEG of the face corpus, whole or cut', () => {
    expect(jpegs.length).toBeGreaterThan(50);
    for (const j of jpegs) {
      const trailing = Buffer.concat([j, Buffer.from('TOYC')]);
      expect(new JpegEnd().push(trailing)).toBe(j.length);
      for (const cut of [1, 2, 3, 100, Math.floor(j.length / 2), j.length - 2, j.length - 1]) {
        const w = new JpegEnd();
        const first = w.push(trailing.subarray(0, cut));
        expect(first).toBe(-1);
        expect(w.push(trailing.subarray(cut))).toBe(j.length - cut);
      }
    }
  });

  it('skips a thumbnail inside APP1: its end marker is not the image’s', () => {
    const thumb = readFileSync(new URL('pos-thumb-hopper.jpg', dir));
    const app1Body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), thumb]);
    const length = Buffer.alloc(2);
    length.writeUInt16BE(app1Body.length + 2);
    const withThumb = Buffer.concat([
      jpeg.subarray(0, 2),
      Buffer.from([0xff, 0xe1]),
      length,
      app1Body,
      jpeg.subarray(2),
    ]);
    expect(new JpegEnd().push(withThumb)).toBe(withThumb.length);
  });

  it('hands on each framed JPEG of a stream with exactly its bytes, whatever the cut', () => {
    const [a, b] = [jpegs[0]!, jpegs[1]!];
    const stream = Buffer.concat([header, a, header, b, Buffer.from('END')]);
    const expected = [
      { offset: 8, bytes: a },
      { offset: 16 + a.length, bytes: b },
    ];
    const boundaries = [8, 8 + a.length, 16 + a.length, 16 + a.length + b.length];
    const cuts = [...boundaries.flatMap((x) => [x - 2, x - 1, x, x + 1, x + 2]), 4000, 9999];
    for (const cut of cuts) {
      const found: Array<{ offset: number; parts: Uint8Array[] }> = [];
      const s = new EmbeddedMediaScanner((offset) => {
        const f = { offset, parts: [] as Uint8Array[] };
        found.push(f);
        return { write: (x) => f.parts.push(Uint8Array.from(x)), end: () => {} };
      });
      s.write(stream.subarray(0, cut));
      s.write(stream.subarray(cut));
      s.end();
      expect(found.map((f) => ({ offset: f.offset, bytes: Buffer.concat(f.parts) }))).toEqual(expected);
    }
  });
});

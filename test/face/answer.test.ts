/**
 * The worker's answers (src/face/answer.ts) with a stand-in detector: the detector is loaded at the first image that
 * decodes, once, and never for images that do not decode; a load that fails fails every later answer too.
 */
import { describe, expect, it } from 'vitest';
import { jpegBytes } from '../../bench/corpus.ts';
import { DetectorLoadError, imageAnswerer } from '../../src/face/answer.ts';
import type { Detect } from '../../src/face/detector.ts';
import { readImage } from './image-fixtures.ts';

const CAT = readImage('cat-160.png');
/** A JPEG's markers around random entropy data and no Huffman tables, as the bench corpus makes them. */
const MADE_UP_JPEG = jpegBytes(7, 4096);
const WEBP = Buffer.from('RIFF\u0000\u0000\u0000\u0000WEBPVP8 ', 'latin1');

function counted(detect: Detect = async () => ({ faces: [], secondPass: false })) {
  const loads = { count: 0 };
  const load = async () => {
    loads.count++;
    return detect;
  };
  return { loads, load };
}

describe('imageAnswerer', () => {
  it('answers images that do not decode without loading the detector', async () => {
    const { loads, load } = counted();
    const answer = imageAnswerer(load);
    expect(await answer({ id: 1, bytes: MADE_UP_JPEG })).toMatchObject({ id: 1, kind: 'undecodable' });
    expect(await answer({ id: 2, bytes: WEBP })).toMatchObject({ id: 2, kind: 'undecodable', reason: /WebP/ });
    expect(loads.count).toBe(0);
  });

  it('loads the detector at the first image that decodes, and only then', async () => {
    const box = { x: 1, y: 2, width: 3, height: 4, score: 0.9 };
    const { loads, load } = counted(async () => ({ faces: [box], secondPass: true }));
    const answer = imageAnswerer(load);
    await answer({ id: 1, bytes: WEBP });
    expect(loads.count).toBe(0);
    const [a, b] = await Promise.all([answer({ id: 2, bytes: CAT }), answer({ id: 3, bytes: CAT })]);
    expect(a).toMatchObject({ id: 2, kind: 'checked', width: 160, height: 106, faces: [box], secondPass: true });
    expect(b).toMatchObject({ id: 3, kind: 'checked' });
    expect(loads.count).toBe(1);
  });

  it('rejects every decodable image with DetectorLoadError once the detector failed to load', async () => {
    let loads = 0;
    const answer = imageAnswerer(async () => {
      loads++;
      throw new Error('no WASM');
    });
    await expect(answer({ id: 1, bytes: CAT })).rejects.toThrow(DetectorLoadError);
    await expect(answer({ id: 2, bytes: CAT })).rejects.toThrow('no WASM');
    expect(await answer({ id: 3, bytes: WEBP })).toMatchObject({ kind: 'undecodable' });
    expect(loads).toBe(1);
  });

  it('answers an image the detector throws on as undecodable, as before', async () => {
    const { load } = counted(async () => {
      throw new Error('bad tensor');
    });
    expect(await imageAnswerer(load)({ id: 1, bytes: CAT })).toEqual({
      id: 1,
      kind: 'undecodable',
      reason: 'decode failed: bad tensor',
    });
  });
});

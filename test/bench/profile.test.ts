import { describe, expect, it } from 'vitest';
import { selfTimes } from '../../bench/profile.bench.ts';

const root = new URL('../../', import.meta.url);
const src = new URL('src/decode/json-tokens.ts', root).href;
const benchFile = new URL('bench/corpus.ts', root).href;

describe('profile self times', () => {
  it('sums samples by function and file, biggest first, without idle, loader and skipped frames', () => {
    const profile = {
      nodes: [
        { id: 1, callFrame: { functionName: 'write', url: src } },
        { id: 2, callFrame: { functionName: '(idle)', url: '' } },
        { id: 3, callFrame: { functionName: 'write', url: src } },
        { id: 4, callFrame: { functionName: '', url: src } },
        { id: 5, callFrame: { functionName: 'wavBytes', url: benchFile } },
        { id: 6, callFrame: { functionName: 'waitForWorker', url: 'node:internal/modules/esm/hooks' } },
        { id: 7, callFrame: { functionName: '(garbage collector)', url: '' } },
      ],
      samples: [1, 2, 3, 4, 5, 6, 7, 1],
      timeDeltas: [1000, 9000, 2000, 500, 7000, 7000, 1500, 1000],
    };
    const skip = new URL('bench/', root).pathname;
    expect(selfTimes(profile, skip)).toEqual([
      { fn: 'write', file: 'src/decode/json-tokens.ts', ms: 4 },
      { fn: '(garbage collector)', file: '', ms: 1.5 },
      { fn: '(anonymous)', file: 'src/decode/json-tokens.ts', ms: 0.5 },
    ]);
  });
});

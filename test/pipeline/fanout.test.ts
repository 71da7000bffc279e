import { describe, expect, it } from 'vitest';
import type { AnalyzerState } from '../../src/model/analyzer.ts';
import type { MediaInfo } from '../../src/model/media.ts';
import type { Token } from '../../src/model/token.ts';
import { AnalyzerFanout } from '../../src/pipeline/fanout.ts';
import { TokenRouter } from '../../src/pipeline/token-router.ts';

const tok = (value: string): Token => ({
  source: 'json',
  path: '$.a',
  parent: '$',
  container: 0,
  outer: 0,
  key: 'a',
  kind: 'string',
  value,
  offset: 0,
  more: false,
  depth: 0,
});
const info = { partId: 0, mime: 'audio/wav', family: 'audio', sniffed: true, depth: 0, origin: 'body' } as MediaInfo;

describe('AnalyzerFanout', () => {
  it("feeds tokens and media in order, stops a state at 'done' or a throw, and ends every state", () => {
    const log: string[] = [];
    const errors: string[] = [];
    const states: Record<string, AnalyzerState> = {
      a: { token: (t) => void log.push(`a:${t.value}`), end: () => void log.push('a:end') },
      b: {
        token: (t) => {
          log.push(`b:${t.value}`);
          return t.value === '2' ? 'done' : undefined;
        },
        media: () => void log.push('b:media'),
        end: () => void log.push('b:end'),
      },
      c: {
        token: (t) => {
          if (t.value === '1') throw new Error('boom');
          log.push(`c:${t.value}`);
          return undefined;
        },
        gap: () => void log.push('c:gap'),
        end: () => void log.push('c:end'),
      },
      d: { media: () => 'done', end: () => void log.push('d:end') },
    };
    const active = Object.entries(states).map(([name, state]) => ({ name, state, bit: 0, done: false }));
    const f = new AnalyzerFanout(active, new TokenRouter([]), (name) => errors.push(name));
    expect(f.wantsTokens).toBe(true);
    f.media(info, new Uint8Array(1));
    for (const v of ['1', '2', '3']) f.token(tok(v));
    f.gap(1);
    f.media(info, new Uint8Array(1));
    expect(f.live).toBe(true);
    f.end();
    expect(errors).toEqual(['c']);
    expect(log).toEqual(['b:media', 'a:1', 'b:1', 'a:2', 'b:2', 'a:3', 'a:end', 'b:end', 'c:end', 'd:end']);
    active[0]!.done = true;
    expect(f.live).toBe(false);
  });
});

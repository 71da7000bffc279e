/** Small analyzers for pipeline tests: they show what reached analyzers, not what a real detector decides. */
import type { Analyzer, FindingHandle } from '../src/model/analyzer.ts';
import type { MediaInfo } from '../src/model/media.ts';
import type { Token } from '../src/model/token.ts';

/** Reports one finding per decoded part with its sniffed type, origin, depth and byte count. */
export const mediaSniffer: Analyzer = {
  name: 'media-sniffer',
  wants: (head) => head.direction === 'upload',
  open: (ctx) => {
    const parts = new Map<number, { info: MediaInfo; bytes: number }>();
    return {
      media(info, chunk) {
        const p = parts.get(info.partId) ?? { info, bytes: 0 };
        p.bytes += chunk.length;
        parts.set(info.partId, p);
        return undefined;
      },
      end() {
        for (const { info, bytes } of parts.values()) {
          ctx.report({
            category: 'opaque-upload',
            subtype: 'media',
            excerpt: info.mime,
            path: info.origin,
            detail: { mime: info.mime, family: info.family, depth: info.depth, bytes, sniffed: info.sniffed },
          });
        }
      },
    };
  },
};

/** Records every token it is fed, in order. */
export function tokenRecorder(): { analyzer: Analyzer; tokens: Token[] } {
  const tokens: Token[] = [];
  const analyzer: Analyzer = {
    name: 'token-recorder',
    wants: () => true,
    open: () => ({
      token(t) {
        tokens.push(t);
        return undefined;
      },
      end() {},
    }),
  };
  return { analyzer, tokens };
}

/** A per-flow analyzer: one streaming finding per flow, updated with the message count and bytes. */
export const streamCounter: Analyzer = {
  name: 'stream-counter',
  wants: (head) => head.direction === 'upload',
  openFlow: () => {
    let handle: FindingHandle | undefined;
    let messages = 0;
    let bytes = 0;
    return {
      message: (_head, ctx) => ({
        media(_info, chunk) {
          bytes += chunk.length;
          return undefined;
        },
        end() {
          messages++;
          if (!handle) {
            handle = ctx.report({
              category: 'voice',
              subtype: 'raw-pcm',
              excerpt: 'stream',
              streaming: true,
              detail: { messages, bytes },
            });
          } else handle.update({ detail: { messages, bytes } });
        },
      }),
      close() {},
    };
  },
};

/** Throws from media(): the pipeline must survive and report it. */
export const throwing: Analyzer = {
  name: 'throwing',
  wants: () => true,
  open: () => ({
    media() {
      throw new Error('boom');
    },
    end() {},
  }),
};

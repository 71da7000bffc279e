/**
 * The analyzers the throughput benches run while analyzers/ is still filling up: a consumer that takes every
 * upload's media bytes and tokens (so every decoder and tokenizer runs, as the real detectors will make them) and
 * test/helpers' media sniffer (one finding per decoded part, so the store gets findings to write). They count;
 * they do not detect anything.
 */
import type { Analyzer } from '../src/model/analyzer.ts';
import { mediaSniffer } from '../testkit/test-analyzers.ts';

/** What the consumer saw, to print beside a figure and to keep the work from being optimised away. */
export interface Consumed {
  tokens: number;
  mediaBytes: number;
}

/** A fresh consumer (its own counters) plus the media sniffer. */
export function benchAnalyzers(): { analyzers: Analyzer[]; consumed: Consumed } {
  const consumed: Consumed = { tokens: 0, mediaBytes: 0 };
  const consumer: Analyzer = {
    name: 'bench-consumer',
    wants: (head) => head.direction === 'upload',
    open: () => ({
      media(_info, chunk) {
        consumed.mediaBytes += chunk.length;
        return undefined;
      },
      token() {
        consumed.tokens++;
        return undefined;
      },
      end() {},
    }),
  };
  return { analyzers: [consumer, mediaSniffer], consumed };
}

import { describe, expect, it } from 'vitest';
import type { Analyzer } from '../../src/model/analyzer.ts';
import { CollectingOutput } from '../../src/pipeline/output.ts';
import { Pipeline } from '../../src/pipeline/pipeline.ts';
import { FlowScript } from '../helpers/playbook.ts';

const later = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Defers at end(): a report after 20 ms that defers a second one, and a rejection. */
const slow: Analyzer = {
  name: 'face',
  wants: () => true,
  open: (ctx) => ({
    end() {
      ctx.defer(
        later(20).then(() => {
          ctx.report({ category: 'face', subtype: 'first', excerpt: 'a' });
          ctx.defer(later(20).then(() => void ctx.report({ category: 'face', subtype: 'second', excerpt: 'b' })));
        }),
      );
      ctx.defer(Promise.reject(new Error('worker died')));
    },
  }),
};

describe('pipeline: deferred work', () => {
  it('drain() awaits deferred work and work deferred meanwhile; reports are dated at the message end', async () => {
    const out = new CollectingOutput();
    const p = new Pipeline({ analyzers: [slow], output: out });
    const script = new FlowScript().message({ msgId: 1 }, '{}').close();
    for (const ev of script.events) p.push(ev);
    expect(out.findings).toEqual([]);
    expect(p.deferred).toBe(2);
    await p.drain();
    expect(p.deferred).toBe(0);
    expect(out.findings.map((f) => f.subtype)).toEqual(['first', 'second']);
    const end = script.events.find((e) => e.type === 'message.end')?.ts;
    expect(out.findings.every((f) => f.firstTs === end && f.final)).toBe(true);
    expect(out.violations).toMatchObject([
      { code: 'analyzer-error', decoder: 'analyzer:deferred', message: 'worker died' },
    ]);
  });

  it('drain() resolves at once with nothing deferred', async () => {
    const p = new Pipeline({ analyzers: [], output: new CollectingOutput() });
    await expect(p.drain()).resolves.toBeUndefined();
  });
});

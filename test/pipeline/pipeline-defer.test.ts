import { describe, expect, it } from 'vitest';
import type { Analyzer } from '../../src/model/analyzer.ts';
import type { FlowSource } from '../../src/model/flow.ts';
import { CollectingOutput } from '../../src/pipeline/output.ts';
import { Pipeline } from '../../src/pipeline/pipeline.ts';
import { FlowScript } from '../../testkit/playbook.ts';

const later = <T>(ms: number, v: T) => new Promise<T>((r) => setTimeout(() => r(v), ms));

/** Defers at end(): a report after 20 ms that defers a second one, and a rejection. */
const slow: Analyzer = {
  name: 'face',
  wants: () => true,
  open: (ctx) => ({
    end() {
      ctx.defer(later(20, 'a'), (excerpt) => {
        ctx.report({ category: 'face', subtype: 'first', excerpt });
        ctx.defer(later(20, 'b'), (b) => void ctx.report({ category: 'face', subtype: 'second', excerpt: b }));
      });
      ctx.defer(Promise.reject(new Error('worker died')), () => {});
    },
  }),
};

/**
 * Per message: defers work that takes `ms` from the message's first body byte (so later messages finish first)
 * and reports the message's id; a per-message synchronous finding at the same time.
 */
function racing(delays: number[]): Analyzer {
  return {
    name: 'face',
    wants: () => true,
    open: (ctx) => ({
      end() {
        const id = ctx.head.msgId;
        ctx.report({ category: 'identifiers', subtype: `sync-${id}`, excerpt: 'x' });
        ctx.defer(later(delays[id % delays.length]!, id), (n) => {
          ctx.report({ category: 'face', subtype: `deferred-${n}`, excerpt: 'y' });
        });
      },
    }),
  };
}

function script(source: FlowSource, messages: number): FlowScript {
  const s = new FlowScript({ source });
  for (let i = 0; i < messages; i++) s.message({ msgId: i }, '{}');
  return s.close();
}

describe('pipeline: deferred work', () => {
  it('drain() awaits deferred work and work deferred meanwhile; reports are dated at the message end', async () => {
    const out = new CollectingOutput();
    const p = new Pipeline({ analyzers: [slow], output: out });
    const s = new FlowScript().message({ msgId: 1 }, '{}').close();
    for (const ev of s.events) p.push(ev);
    expect(out.findings).toEqual([]);
    expect(p.deferred).toBe(2);
    await p.drain();
    expect(p.deferred).toBe(0);
    expect(out.findings.map((f) => f.subtype)).toEqual(['first', 'second']);
    const end = s.events.find((e) => e.type === 'message.end')?.ts;
    expect(out.findings.every((f) => f.firstTs === end && f.final)).toBe(true);
    expect(out.violations).toMatchObject([
      { code: 'analyzer-error', decoder: 'analyzer:deferred', message: 'worker died' },
    ]);
  });

  it('drain() resolves at once with nothing deferred', async () => {
    const p = new Pipeline({ analyzers: [], output: new CollectingOutput() });
    await expect(p.drain()).resolves.toBeUndefined();
  });

  it('offline: results are applied in deferral order before the flow`s next event, however long the work took', async () => {
    const run = async (delays: number[]) => {
      const out = new CollectingOutput();
      const p = new Pipeline({ analyzers: [racing(delays)], output: out });
      for (const ev of script('capture', 4).events) p.push(ev);
      await p.drain();
      return out.findings.map((f) => `${f.id} ${f.subtype}`);
    };
    const slowFirst = await run([60, 1, 30, 1]);
    expect(slowFirst).toEqual(await run([1, 1, 1, 1]));
    expect(slowFirst).toEqual(await run([1, 40, 1, 80]));
    // Each message's result comes before the next message's findings, with ids in that order.
    expect(slowFirst.slice(0, 4)).toEqual([
      'c1:1/f0 sync-0',
      'c1:1/f1 deferred-0',
      'c1:1/f2 sync-1',
      'c1:1/f3 deferred-1',
    ]);
  });

  it('offline: idle() waits for held events; the flow closes after its deferred work', async () => {
    const out = new CollectingOutput();
    const p = new Pipeline({ analyzers: [racing([30])], output: out });
    for (const ev of script('capture', 2).events) p.push(ev);
    expect(out.flows.get('c1:1')?.closed).toBe(false); // the close waits behind the deferred work
    await p.idle(10, 0);
    expect(out.flows.get('c1:1')?.closed).toBe(true);
    expect(out.findings.map((f) => f.subtype)).toEqual(['sync-0', 'deferred-0', 'sync-1', 'deferred-1']);
  });

  it('offline: held chunks are copies, never views pinning the reader`s buffer, and reach analyzers unchanged', async () => {
    const seen: Uint8Array[] = [];
    const keeping: Analyzer = {
      name: 'face',
      wants: () => true,
      open: (ctx) => ({
        media: (_kind, chunk) => void seen.push(chunk),
        end() {
          if (ctx.head.msgId === 0) ctx.defer(later(20, 0), () => {});
        },
      }),
    };
    // The reader's buffer: message 1's chunks are views of it (as a replay hands them), overwritten by the next read.
    const reader = Buffer.from('\x89PNG\r\n\x1a\n'.repeat(600), 'latin1');
    const original = Buffer.from(reader);
    const s = new FlowScript({ source: 'capture' })
      .message({ msgId: 0 }, reader.subarray(0, 8))
      .message({ msgId: 1 }, ...[0, 1200, 2400, 3600].map((at) => reader.subarray(at, at + 1200)))
      .close();
    const p = new Pipeline({ analyzers: [keeping], output: new CollectingOutput() });
    for (const ev of s.events) p.push(ev);
    reader.fill(0);
    await p.drain();
    const held = seen.slice(-4);
    expect(held.every((c) => c.buffer !== reader.buffer)).toBe(true);
    expect(Buffer.concat(held)).toEqual(original.subarray(0, 4800));
  });

  it('live: results are applied as they settle, events never wait', async () => {
    const out = new CollectingOutput();
    const p = new Pipeline({ analyzers: [racing([40, 1])], output: out });
    for (const ev of script('live', 2).events) p.push(ev);
    expect(out.flows.get('c1:1')?.closed).toBe(true);
    await p.drain();
    expect(out.findings.map((f) => f.subtype)).toEqual(['sync-0', 'sync-1', 'deferred-1', 'deferred-0']);
  });

  it('offline: finish() while a flow`s own close waits behind its work closes it once, without a violation', async () => {
    const out = new CollectingOutput();
    const p = new Pipeline({ analyzers: [racing([30])], output: out });
    for (const ev of script('capture', 2).events) p.push(ev);
    p.finish(); // the end of a replay: every flow still open is closed
    await p.drain();
    expect(out.violations).toEqual([]);
    expect(out.flows.get('c1:1')).toMatchObject({ closed: true });
    expect(out.flows.get('c1:1')?.error).toBeUndefined(); // its own clean close, not "still open at the end"
    expect(out.findings.map((f) => f.subtype)).toEqual(['sync-0', 'deferred-0', 'sync-1', 'deferred-1']);
  });
});

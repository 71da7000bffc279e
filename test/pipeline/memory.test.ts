/**
 * "Never buffer a whole body": a 200 MB JSON body holding one base64 string goes through the whole pipeline
 * (tokenizer, base64 decoding as a nested part, analyzers) while RSS stays within 64 MiB of where it started.
 */
import { describe, expect, it } from 'vitest';
import type { Analyzer } from '../../src/model/analyzer.ts';
import { CollectingOutput } from '../../src/pipeline/output.ts';
import { Pipeline } from '../../src/pipeline/pipeline.ts';
import { testFlow } from '../../testkit/playbook.ts';

const BODY_MB = 200;

describe('pipeline memory', () => {
  it(`streams a ${BODY_MB} MB JSON body with one base64 string in bounded memory`, () => {
    let mediaBytes = 0;
    let tokenChars = 0;
    const counter: Analyzer = {
      name: 'counter',
      wants: () => true,
      open: () => ({
        media(info, chunk) {
          if (info.depth === 1) mediaBytes += chunk.length;
          return undefined;
        },
        token(t) {
          if (t.source === 'json') tokenChars += t.value.length;
          return undefined;
        },
        end() {},
      }),
    };
    const out = new CollectingOutput();
    const p = new Pipeline({ analyzers: [counter], output: out });
    const flow = testFlow();
    const head = {
      msgId: 0,
      direction: 'upload' as const,
      protocol: 'http' as const,
      headers: [['Content-Type', 'application/json']] as const,
    };
    p.push({ ts: 1, type: 'flow.open', flow });
    p.push({ ts: 2, type: 'message.head', flowId: flow.id, msg: { ...head, headers: [...head.headers] } });

    // 48 KiB of raw bytes → 64 KiB of base64 per chunk, made fresh each time so nothing big is held here.
    const raw = Buffer.alloc(48 * 1024);
    const chunks = Math.ceil((BODY_MB * 1024 * 1024) / (64 * 1024));
    const base = process.memoryUsage().rss;
    let peak = base;
    p.push({ ts: 3, type: 'message.chunk', flowId: flow.id, msgId: 0, data: Buffer.from('{"audio":"') });
    for (let i = 0; i < chunks; i++) {
      raw.writeUInt32LE(i, 0);
      p.push({ ts: 4, type: 'message.chunk', flowId: flow.id, msgId: 0, data: Buffer.from(raw.toString('base64')) });
      if (i % 256 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    p.push({ ts: 5, type: 'message.chunk', flowId: flow.id, msgId: 0, data: Buffer.from('"}') });
    p.push({ ts: 6, type: 'message.end', flowId: flow.id, msgId: 0 });
    peak = Math.max(peak, process.memoryUsage().rss);

    expect(out.violations).toEqual([]);
    expect(mediaBytes).toBe(chunks * raw.length);
    expect(tokenChars).toBe(chunks * 64 * 1024);
    expect((peak - base) / (1024 * 1024)).toBeLessThan(64);
  });
});

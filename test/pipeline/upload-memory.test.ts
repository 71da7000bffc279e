/**
 * "Memory must stay flat on a 1 GiB upload": one upload of 1 GiB goes through the whole pipeline with every
 * registered analyzer (random bytes under octet-stream, and real 16 kHz speech as raw PCM) while RSS grows by less than
 * 96 MiB: nothing buffers a body whole, evidence stops at its cap.
 */

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzers } from '../../analyzers/index.ts';
import { voice } from '../../analyzers/voice.ts';
import { captureOf } from '../../eval/score.ts';
import type { Finding } from '../../src/model/finding.ts';
import type { PipelineOutput } from '../../src/pipeline/output.ts';
import { Pipeline } from '../../src/pipeline/pipeline.ts';
import { testFlow } from '../../testkit/playbook.ts';
import { replayCapture } from '../../testkit/replay.ts';

const GIB = 1024 * 1024 * 1024;
const CHUNK = 1024 * 1024;

/** Counts what leaves the pipeline without keeping it. */
function countingSink(): PipelineOutput & { evidenceBytes: number; categories: Set<string>; voiceBytes: number } {
  const sink = {
    evidenceBytes: 0,
    categories: new Set<string>(),
    voiceBytes: 0,
    flow() {},
    message() {},
    finding(f: Finding) {
      sink.categories.add(f.category);
      if (f.category === 'voice') sink.voiceBytes = Number(f.detail?.bytes ?? 0);
    },
    violation() {},
    evidence(e: { data: Uint8Array }) {
      sink.evidenceBytes += e.data.length;
    },
  };
  return sink;
}

function uploadGiB(fill: (chunk: Buffer, i: number) => void): {
  growthMiB: number;
  sink: ReturnType<typeof countingSink>;
} {
  const sink = countingSink();
  const p = new Pipeline({ analyzers, output: sink });
  const flow = testFlow({ tls: 'none' });
  p.push({ ts: 1, type: 'flow.open', flow });
  const headers: Array<[string, string]> = [['Content-Type', 'application/octet-stream']];
  p.push({
    ts: 2,
    type: 'message.head',
    flowId: flow.id,
    msg: { msgId: 0, direction: 'upload', protocol: 'http', method: 'POST', url: '/upload', headers },
  });
  const chunk = Buffer.alloc(CHUNK);
  const base = process.memoryUsage().rss;
  let peak = base;
  for (let i = 0; i < GIB / CHUNK; i++) {
    fill(chunk, i);
    p.push({ ts: 3 + i, type: 'message.chunk', flowId: flow.id, msgId: 0, data: chunk });
    if (i % 64 === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  p.push({ ts: 5000, type: 'message.end', flowId: flow.id, msgId: 0 });
  p.push({ ts: 5001, type: 'flow.close', flowId: flow.id, stats: { bytesUp: GIB, bytesDown: 0 } });
  peak = Math.max(peak, process.memoryUsage().rss);
  return { growthMiB: (peak - base) / (1024 * 1024), sink };
}

describe('a 1 GiB upload through every analyzer', () => {
  it('of random bytes keeps memory flat', () => {
    let x = 0x9e3779b9;
    const { growthMiB } = uploadGiB((chunk, i) => {
      if (i > 0) return; // one random MiB, sent 1024 times: the analyzers cannot tell
      for (let o = 0; o < chunk.length; o += 4) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        chunk.writeInt32LE(x | 0, o);
      }
    });
    expect(growthMiB).toBeLessThan(96);
  });

  it('of speech (raw 16 kHz PCM) keeps memory flat, with one voice finding and evidence at its cap', () => {
    // Real espeak-ng speech from the voice-raw-pcm fixture, repeated: the voice analyzer recognises it and keeps
    // consuming the whole upload (duration, bytes, evidence), which is the case that could grow.
    const { out } = replayCapture(captureOf(join(import.meta.dirname, '../../fixtures/voice-raw-pcm')), [voice]);
    const clip = out.findings.find((f) => f.detail?.sampleRate === 16000)!;
    const pcm = Buffer.concat(
      out.evidenceChunks.filter((c) => c.evidenceId === clip.evidence.evidenceId).map((c) => c.data),
    ).subarray(44);
    const speech = Buffer.alloc(CHUNK);
    for (let o = 0; o < CHUNK; o += pcm.length) pcm.copy(speech, o, 0, Math.min(pcm.length, CHUNK - o) & ~1);
    const { growthMiB, sink } = uploadGiB((chunk) => {
      speech.copy(chunk);
    });
    expect([...sink.categories]).toContain('voice');
    expect(sink.voiceBytes).toBe(GIB); // the finding covers the whole upload, not the part that was kept
    expect(growthMiB).toBeLessThan(96);
    expect(sink.evidenceBytes).toBeLessThanOrEqual(8 * 1024 * 1024 + 44);
  });
});

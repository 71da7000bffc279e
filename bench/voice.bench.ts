/**
 * Voice analyzer throughput on a mixed upload corpus (bench/README.md § voice): the pipeline with the voice
 * analyzer alone, and with every registered analyzer, against a plain read of the same bytes.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { analyzers } from '../analyzers/index.ts';
import { voice } from '../analyzers/voice.ts';
import { captureOf } from '../eval/score.ts';
import type { Analyzer } from '../src/model/analyzer.ts';
import type { FlowEvent } from '../src/model/events.ts';
import { CollectingOutput } from '../src/pipeline/output.ts';
import { Pipeline } from '../src/pipeline/pipeline.ts';
import { FlowScript } from '../testkit/playbook.ts';
import { replayCapture } from '../testkit/replay.ts';
import { mbPerSec, plainRead, round } from './measure.ts';
import type { Bench } from './run.ts';

const CHUNK = 16 * 1024;

function corpus(): { events: FlowEvent[]; chunks: Uint8Array[]; bytes: number } {
  const fixtures = join(import.meta.dirname, '../fixtures');
  const { out } = replayCapture(captureOf(join(fixtures, 'voice-raw-pcm')), [voice]);
  const pcm = Buffer.concat(
    out.evidenceChunks.filter((c) => c.evidenceId === out.findings[0]!.evidence.evidenceId).map((c) => c.data),
  ).subarray(44);
  const speech = Buffer.concat(Array.from({ length: 8 }, () => pcm)); // ~0.9 MB of 16 kHz speech
  const json = Buffer.from(
    JSON.stringify({ items: Array.from({ length: 4000 }, (_, i) => ({ id: i, t: 'telemetry', v: i * 3 })) }),
  );
  const bodies: Array<[string, Uint8Array]> = [
    ['application/octet-stream', speech],
    [
      'application/json',
      Buffer.from(
        JSON.stringify({ format: 'pcm', rate: 16000, speech: speech.subarray(0, 256 * 1024).toString('base64') }),
      ),
    ],
    ['application/octet-stream', randomBytes(1 << 20)],
    ['application/octet-stream', gzipSync(json)],
    ['application/json', json],
    ['image/jpeg', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(1 << 20)])],
  ];
  const s = new FlowScript();
  const chunks: Uint8Array[] = [];
  bodies.forEach(([type, body], i) => {
    const parts: Uint8Array[] = [];
    for (let o = 0; o < body.length; o += CHUNK) parts.push(body.subarray(o, o + CHUNK));
    chunks.push(...parts);
    s.message({ msgId: i, headers: [['content-type', type]] }, ...parts);
  });
  return { events: s.close().events, chunks, bytes: chunks.reduce((n, c) => n + c.length, 0) };
}

function run(list: readonly Analyzer[], events: FlowEvent[]): void {
  const p = new Pipeline({ analyzers: list, output: new CollectingOutput() });
  for (const ev of events) p.push(ev);
  p.finish();
}

const bench: Bench = async (emit) => {
  const { events, chunks, bytes } = corpus();
  const reference = mbPerSec(bytes, () => plainRead(chunks));
  for (const [name, list] of [
    ['voice-alone', [voice]],
    ['all-analyzers', analyzers],
    ['no-analyzers', []],
  ] as const) {
    const mb = mbPerSec(bytes, () => run(list, events));
    emit({
      bench: 'voice',
      corpus: 'mixed-uploads',
      pipeline: name,
      mb_per_s: mb,
      reference_mb_per_s: reference,
      ratio: round(mb / reference, 3),
      ...(name === 'all-analyzers' ? { goal_mb_per_s: 500 } : {}),
    });
  }
};
export default bench;

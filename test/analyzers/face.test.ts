import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { faceAnalyzer } from '../../analyzers/face.ts';
import { FacePool } from '../../src/face/pool.ts';
import type { Analyzer } from '../../src/model/analyzer.ts';
import type { FlowEvent } from '../../src/model/events.ts';
import { type Limits, resolveLimits } from '../../src/model/limits.ts';
import { CollectingOutput } from '../../src/pipeline/output.ts';
import { Pipeline } from '../../src/pipeline/pipeline.ts';
import { FlowScript } from '../../testkit/playbook.ts';

const CORPUS = new URL('../../fixtures/face-corpus/', import.meta.url);
const FACE = readFileSync(new URL('pos-astronaut.jpg', CORPUS));
const CAT = readFileSync(new URL('neg-chelsea.jpg', CORPUS));

const pool = new FacePool({ size: 2 });
afterAll(() => pool.close());
const face = faceAnalyzer(() => pool);

async function run(events: FlowEvent[], list: readonly Analyzer[] = [face], limits?: Partial<Limits>) {
  const out = new CollectingOutput();
  const p = new Pipeline({ analyzers: list, output: out, ...(limits ? { limits } : {}) });
  for (const ev of events) p.push(ev);
  p.finish();
  await p.drain();
  return out;
}

function multipart(field: string, image: Uint8Array, boundary = 'XyZ'): Uint8Array {
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="me.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), image, Buffer.from(`\r\n--${boundary}--\r\n`)]);
}

const MULTIPART_HEAD = {
  method: 'POST',
  url: '/facepp/v3/detect',
  headers: [['content-type', 'multipart/form-data; boundary=XyZ']] as Array<[string, string]>,
};
const JSON_HEAD = { method: 'POST', url: '/api/v1/upload', headers: [['content-type', 'application/json']] } as const;

function subtypes(out: CollectingOutput): string[] {
  return out.findings.map((f) => f.subtype).sort();
}

describe('face analyzer', () => {
  it('finds the face in a multipart upload, with boxes, evidence and the request shape', async () => {
    const body = multipart('image_file', FACE);
    const script = new FlowScript().message({ msgId: 1, ...MULTIPART_HEAD }, body.subarray(0, 999), body.subarray(999));
    const out = await run(script.close().events);
    expect(subtypes(out)).toEqual(['face', 'face-api-request']);
    const f = out.findings.find((x) => x.subtype === 'face');
    expect(f).toMatchObject({ category: 'face', path: 'multipart:image_file', msgId: 1 });
    expect(f?.detail).toMatchObject({ faces: 1, width: 512, height: 512, mime: 'image/jpeg', bytes: FACE.length });
    const [box] = JSON.parse(String(f?.detail?.boxes)) as number[][];
    expect(box).toHaveLength(5);
    expect(f?.confidence).toBeGreaterThan(0.9);
    const chunks = out.evidenceChunks.filter((c) => c.evidenceId === f?.evidence.evidenceId);
    expect(Buffer.concat(chunks.map((c) => c.data))).toEqual(FACE);
    expect(chunks.at(-1)?.final).toBe(true);
    // Dated at the message's last event before the answer was applied (the chunk that ended the image), not when
    // the worker answered: the same however busy the machine is.
    const lastChunk = script.events.filter((e) => e.type === 'message.chunk').at(-1)?.ts;
    expect(f?.firstTs).toBe(lastChunk);
    expect(out.findings.find((x) => x.subtype === 'face-api-request')?.detail).toEqual({
      shape: 'multipart image_file',
    });
  });

  it('finds a face in a base64 JSON face-API request (Baidu shape)', async () => {
    const json = JSON.stringify({ image: FACE.toString('base64'), image_type: 'BASE64', face_field: 'age,beauty' });
    const out = await run(new FlowScript().message({ msgId: 1, ...JSON_HEAD }, json).close().events);
    expect(subtypes(out)).toEqual(['face', 'face-api-request']);
    expect(out.findings.find((x) => x.subtype === 'face')).toMatchObject({ path: '$.image' });
  });

  it('reports nothing for a photo of a cat, a small icon or a download', async () => {
    const cat = new FlowScript().message({ msgId: 1, method: 'POST', url: '/upload' }, CAT);
    const icon = new FlowScript({ id: 'c1:2' }).message(
      { msgId: 1, method: 'POST', url: '/upload' },
      FACE.subarray(0, 900),
    );
    const down = new FlowScript({ id: 'c1:3' }).message({ msgId: 1, direction: 'download', status: 200 }, FACE);
    const out = await run([...cat.close().events, ...icon.close().events, ...down.close().events]);
    expect(out.findings).toEqual([]);
  });

  it('reports face-unchecked for a format the detector cannot decode, saying which', async () => {
    const tiff = Buffer.alloc(4096);
    tiff.write('II*\u0000\u0008\u0000\u0000\u0000', 'latin1');
    const out = await run(new FlowScript().message({ msgId: 1, method: 'PUT', url: '/photo' }, tiff).close().events);
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]).toMatchObject({ subtype: 'face-unchecked', detail: { reason: 'undecodable' } });
    expect(String(out.findings[0]?.detail?.message)).toMatch(/^no decoder for TIFF/);
  });

  it('reports face-unchecked for an image past MAX_IMAGE_BYTES, without waiting for the detector', () => {
    const out = new CollectingOutput();
    const p = new Pipeline({ analyzers: [face], output: out, limits: { MAX_IMAGE_BYTES: 8192 } });
    for (const ev of new FlowScript().message({ msgId: 1, method: 'POST', url: '/up' }, FACE).close().events)
      p.push(ev);
    expect(p.deferred).toBe(0);
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]).toMatchObject({ subtype: 'face-unchecked', detail: { reason: 'too-large', bytes: 8192 } });
  });

  it('reports face embeddings of 128/256/512 floats under face or feature keys', async () => {
    const floats = (n: number) => Array.from({ length: n }, (_, i) => Math.sin(i + 0.5) * 0.3);
    const bodies = [
      { faceFeature: floats(128) },
      { data: { faces: [{ embedding: floats(512) }] } },
      { feature: floats(127) },
      { values: floats(128) },
      { feature: Array.from({ length: 128 }, (_, i) => i) },
    ];
    const events = bodies.flatMap(
      (b, i) => new FlowScript({ id: `c1:${i}` }).message({ msgId: 1, ...JSON_HEAD }, JSON.stringify(b)).close().events,
    );
    const out = await run(events);
    expect(out.findings.map((f) => [f.flowId, f.subtype, f.path, f.detail?.length])).toEqual([
      ['c1:0', 'face-embedding', '$.faceFeature', 128],
      ['c1:1', 'face-embedding', '$.data.faces[0].embedding', 512],
    ]);
  });

  it('recognises the AWS Rekognition Image.Bytes shape', async () => {
    const json = JSON.stringify({ Image: { Bytes: CAT.toString('base64') }, Attributes: ['ALL'] });
    const out = await run(new FlowScript().message({ msgId: 1, ...JSON_HEAD }, json).close().events);
    expect(out.findings.map((f) => [f.subtype, f.detail?.shape])).toEqual([['face-api-request', 'Image.Bytes']]);
  });

  it('live: a burst of 50 photos never holds the pipeline up; what the pool sheds says so', async () => {
    const burstPool = new FacePool({ limits: resolveLimits({ MAX_FACE_QUEUE: 8 }) });
    const out = new CollectingOutput();
    const live = new Pipeline({ analyzers: [faceAnalyzer(() => burstPool)], output: out });
    try {
      for (let i = 0; i < 50; i++) {
        const flow = new FlowScript({ id: `img${i}`, source: 'live' });
        for (const ev of flow.message({ msgId: 1, ...MULTIPART_HEAD }, multipart('image_file', FACE)).close().events) {
          live.push(ev);
        }
      }
      // Every flow closed at once: nothing waited for the detector.
      expect([...out.flows.values()].filter((f) => f.closed)).toHaveLength(50);
      await live.drain();
      const faces = out.findings.filter((f) => f.subtype === 'face').length;
      const unchecked = out.findings.filter((f) => f.subtype === 'face-unchecked');
      expect(faces + unchecked.length).toBe(50);
      expect(unchecked.length).toBeGreaterThan(0);
      expect(unchecked.every((f) => f.detail?.reason === 'queue-full' || f.detail?.reason === 'timeout')).toBe(true);
    } finally {
      await burstPool.close();
    }
  }, 60_000);

  it('replay: a burst of photos far past the queue bound is waited for, never shed', async () => {
    const burstPool = new FacePool({ limits: resolveLimits({ MAX_FACE_QUEUE: 2, MAX_FACE_WAIT_MS: 1 }) });
    const out = new CollectingOutput();
    const replay = new Pipeline({ analyzers: [faceAnalyzer(() => burstPool)], output: out });
    try {
      for (let i = 0; i < 12; i++) {
        const flow = new FlowScript({ id: `img${i}`, source: 'capture' });
        for (const ev of flow.message({ msgId: 1, ...MULTIPART_HEAD }, multipart('image_file', FACE)).close().events) {
          replay.push(ev);
        }
        await replay.idle(2, 1 << 20); // backpressure, as replayFile applies it between reads
      }
      await replay.drain();
      expect(out.findings.filter((f) => f.subtype === 'face')).toHaveLength(12);
    } finally {
      await burstPool.close();
    }
  }, 120_000);
});

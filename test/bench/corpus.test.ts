import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type BodyKind, kindOf, MIX, REAL_PHOTOS, realPhoto, rng, upload } from '../../bench/corpus.ts';
import { uploadCache } from '../../bench/make-corpus.ts';
import { sniff } from '../../src/decode/magic.ts';
import { decodeImage } from '../../src/face/decode-image.ts';
import type { Finding } from '../../src/model/finding.ts';
import { CollectingOutput } from '../../src/pipeline/output.ts';
import { Pipeline } from '../../src/pipeline/pipeline.ts';
import { mediaSniffer } from '../../testkit/test-analyzers.ts';

/** The parts the pipeline decodes out of one upload: `mime@depth` per part, sorted. */
function partsOf(kind: BodyKind): string[] {
  const u = upload(kind, 3);
  const out = new CollectingOutput();
  const p = new Pipeline({ analyzers: [mediaSniffer], output: out });
  const flow = {
    id: 'f',
    deviceId: '127.0.0.2',
    device: { ip: '127.0.0.2', port: 40000 },
    server: { ip: '127.1.0.1', port: 80, host: 'api.toycloud.cn' },
    transport: 'http' as const,
    tls: 'none' as const,
    source: 'capture' as const,
  };
  p.push({ ts: 1, type: 'flow.open', flow });
  p.push({
    ts: 2,
    type: 'message.head',
    flowId: 'f',
    msg: { msgId: 0, direction: 'upload', protocol: 'http', method: 'POST', url: u.path, headers: u.headers },
  });
  for (let at = 0; at < u.body.length; at += 5000) {
    p.push({ ts: 3, type: 'message.chunk', flowId: 'f', msgId: 0, data: u.body.subarray(at, at + 5000) });
  }
  p.push({ ts: 4, type: 'message.end', flowId: 'f', msgId: 0 });
  p.finish();
  expect(out.violations).toEqual([]);
  return [...out.findingsById.values()].map((f: Finding) => `${f.detail?.mime}@${f.detail?.depth}`).sort();
}

describe('bench corpus', () => {
  it('makes the same bytes for the same seed', () => {
    expect(upload('multipart', 5).body).toEqual(upload('multipart', 5).body);
    expect(upload('raw', 5).body).not.toEqual(upload('raw', 6).body);
    const a = rng(1);
    const b = rng(1);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });

  it("carries the face corpus's real photos, which decode, in the first multipart variants when asked", async () => {
    const uploads = uploadCache(REAL_PHOTOS);
    for (const [v, name] of REAL_PHOTOS.entries()) {
      const photo = realPhoto(name);
      expect(Buffer.from(uploads('multipart', v).body).includes(Buffer.from(photo))).toBe(true);
      const img = await decodeImage(photo);
      expect('width' in img && img.width * img.height).toBeGreaterThan(0);
    }
    const jpegLike = Buffer.from(uploads('multipart', REAL_PHOTOS.length).body);
    expect(REAL_PHOTOS.some((name) => jpegLike.includes(Buffer.from(realPhoto(name))))).toBe(false);
    expect(
      Buffer.from(uploadCache()('multipart', 0).body).includes(Buffer.from(realPhoto(REAL_PHOTOS[0] as string))),
    ).toBe(false);
  });

  it('shapes media so the magic table recognises it', () => {
    expect(sniff(upload('chunked-wav', 1).body)?.mime).toBe('audio/wav');
    expect(gunzipSync(upload('gzip-json', 1).body).length).toBe(upload('gzip-json', 1).decodedBytes);
  });

  it('decodes to the parts each kind claims', () => {
    expect(partsOf('chunked-wav')).toEqual(['audio/wav@0']);
    expect(partsOf('multipart')).toEqual(expect.arrayContaining(['audio/wav@1', 'image/jpeg@1']));
    expect(partsOf('base64-audio')).toEqual(expect.arrayContaining(['audio/wav@1']));
    expect(partsOf('gzip-json')).toEqual(['application/json@0']);
  });

  it('draws kinds by the MIX weights', () => {
    const counts = new Map<BodyKind, number>();
    for (let d = 0; d < 20; d++) counts.set(kindOf(d), (counts.get(kindOf(d)) ?? 0) + 1);
    expect([...counts]).toEqual(MIX);
  });
});

import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { opaqueUpload } from '../../analyzers/opaque-upload.ts';
import { FlowScript, play } from '../../testkit/playbook.ts';
import { json, run } from './run.ts';

const A = [opaqueUpload];
const octet = 'application/octet-stream';

describe('opaque-upload', () => {
  it('reports a high-entropy body of no known format with its size', () => {
    const body = randomBytes(8192);
    const f = run(A, { contentType: octet, body: [body.subarray(0, 3000), body.subarray(3000)] });
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ subtype: 'high-entropy-upload', path: 'body', detail: { bytes: 8192, mime: octet } });
    expect(f[0]?.detail?.entropyBits).toBeGreaterThan(7.5);
  });

  it('reports an encrypted base64 value inside JSON', () => {
    const f = json(A, { deviceId: 'x', data: randomBytes(3000).toString('base64') });
    expect(f.map((x) => [x.subtype, x.path, x.detail?.bytes])).toEqual([['high-entropy-upload', '$.data', 3000]]);
  });

  it('notes base64 nested past MAX_BASE64_NESTING, which is left unread, with a violation: never "nothing found"', () => {
    // Four levels of JSON-in-base64 around a phone number: the fourth is past the default bound of 3.
    let inner: unknown = { phone: '+8613812345678', note: 'x'.repeat(80) };
    for (let i = 0; i < 4; i++) inner = { data: Buffer.from(JSON.stringify(inner)).toString('base64') };
    const events = new FlowScript()
      .message({ msgId: 0, method: 'POST', headers: [['Content-Type', 'application/json']] }, JSON.stringify(inner))
      .close().events;
    const out = play(A, events);
    expect([...out.findingsById.values()].map((f) => [f.subtype, f.path, f.detail])).toEqual([
      ['nested-too-deep', '$.data>$.data>$.data>$.data', { depth: 4, limit: 3 }],
    ]);
    expect(out.violations.map((v) => v.code)).toEqual(['base64-too-deep']);
    // Within the bound, nothing is noted.
    expect([...play(A, events, { MAX_BASE64_NESTING: 4 }).findingsById.values()]).toEqual([]);
  });

  it('ignores small, low-entropy, sniffed and structured uploads', () => {
    expect(run(A, { contentType: octet, body: randomBytes(500) })).toEqual([]);
    expect(run(A, { contentType: octet, body: Buffer.alloc(8192, 7) })).toEqual([]);
    expect(run(A, { contentType: octet, body: gzipSync(Buffer.alloc(8192, 7)) })).toEqual([]);
    expect(json(A, { text: 'a'.repeat(5000) })).toEqual([]);
  });

  it('looks inside a compressed upload: random bytes in gzip are opaque, the gzip itself is not', () => {
    const found = run(A, { contentType: octet, body: gzipSync(randomBytes(4096)) });
    expect(found.map((f) => [f.subtype, f.path, f.detail?.bytes])).toEqual([
      ['high-entropy-upload', 'body>gzip', 4096],
    ]);
  });

  it('sums the upload bytes of a TLS flow left opaque into one finding', () => {
    const s = new FlowScript({ tls: 'passthrough', transport: 'tcp' });
    for (let i = 0; i < 3; i++) s.message({ msgId: i, protocol: 'raw' }, randomBytes(700));
    const f = [...play(A, s.close().events).findingsById.values()];
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      subtype: 'tls-opaque-upload',
      final: true,
      detail: { bytes: 2100, messages: 3, tls: 'passthrough' },
    });
  });
});

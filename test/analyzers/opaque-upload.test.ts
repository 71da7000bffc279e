import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { opaqueUpload } from '../../analyzers/opaque-upload.ts';
import { FlowScript, play } from '../helpers/playbook.ts';
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

  it('ignores small, low-entropy, sniffed and structured uploads', () => {
    expect(run(A, { contentType: octet, body: randomBytes(500) })).toEqual([]);
    expect(run(A, { contentType: octet, body: Buffer.alloc(8192, 7) })).toEqual([]);
    expect(run(A, { contentType: octet, body: gzipSync(randomBytes(4096)) })).toEqual([]);
    expect(json(A, { text: 'a'.repeat(5000) })).toEqual([]);
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

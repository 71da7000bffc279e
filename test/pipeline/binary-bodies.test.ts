/**
 * Binary bodies through the pipeline: protobuf declared and recognised by shape, CBOR, MessagePack and gRPC
 * reach analyzers as tokens, byte fields become nested parts; and the binary-bodies fixture replays with the
 * coordinate and phone tokens of each of its four bodies.
 */
import { join } from 'node:path';
import { encode as cbor } from 'cborg';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import type { Token } from '../../src/model/token.ts';
import { FlowScript, play } from '../../testkit/playbook.ts';
import { replayCapture } from '../../testkit/replay.ts';
import { mediaSniffer, tokenRecorder } from '../../testkit/test-analyzers.ts';

const root = protobuf.Root.fromJSON({
  nested: {
    Loc: { fields: { lat: { type: 'double', id: 1 }, lon: { type: 'double', id: 2 } } },
    Telemetry: {
      fields: {
        deviceId: { type: 'string', id: 1 },
        phone: { type: 'string', id: 3 },
        loc: { type: 'Loc', id: 4 },
        clip: { type: 'bytes', id: 7 },
      },
    },
  },
});
const Telemetry = root.lookupType('Telemetry');
const record = { deviceId: 'XY-00017', phone: '+86 138 1234 5678', loc: { lat: 39.9042, lon: 116.4074 } };
const pb = Uint8Array.from(Telemetry.encode(Telemetry.create(record)).finish());

const values = (tokens: Token[]) => tokens.map((t) => `${t.path}=${t.value}`);

function post(contentType: string | undefined, body: Uint8Array) {
  const rec = tokenRecorder();
  const headers: Array<[string, string]> = contentType ? [['Content-Type', contentType]] : [];
  const s = new FlowScript().message({ msgId: 0, method: 'POST', url: '/v3/telemetry', headers }, body);
  const out = play([rec.analyzer, mediaSniffer], s.close().events);
  return { tokens: rec.tokens, out };
}

describe('binary bodies in the pipeline', () => {
  it('walks a protobuf body declared application/x-protobuf', () => {
    const { tokens, out } = post('application/x-protobuf', pb);
    expect(values(tokens)).toEqual(
      expect.arrayContaining(['$.1=XY-00017', '$.3=+86 138 1234 5678', '$.4.1=39.9042', '$.4.2=116.4074']),
    );
    expect(tokens.find((t) => t.value === '39.9042')).toMatchObject({ kind: 'number', source: 'binary', depth: 0 });
    expect(out.violations).toEqual([]);
  });

  it('recognises an undeclared protobuf body by its shape', () => {
    for (const type of [undefined, 'application/octet-stream']) {
      const { tokens, out } = post(type, pb);
      expect(values(tokens)).toEqual(expect.arrayContaining(['$.3=+86 138 1234 5678', '$.4.1=39.9042']));
      expect(out.findings[0]?.detail).toMatchObject({ mime: 'application/x-protobuf', sniffed: true });
    }
  });

  it('leaves an undeclared random body alone', () => {
    const noise = Uint8Array.from({ length: 2000 }, (_, i) => (i * 7919 + 13) % 251);
    const { tokens, out } = post(undefined, noise);
    expect(tokens).toEqual([]);
    expect(out.findings[0]?.detail).toMatchObject({ mime: 'application/octet-stream' });
  });

  it('reads CBOR by type and by shape, and gRPC', () => {
    const body = Uint8Array.from(cbor(record));
    for (const type of ['application/cbor', undefined]) {
      expect(values(post(type, body).tokens)).toEqual(
        expect.arrayContaining(['$.phone=+86 138 1234 5678', '$.loc.lat=39.9042', '$.loc.lon=116.4074']),
      );
    }
    const grpc = new Uint8Array(5 + pb.length);
    new DataView(grpc.buffer).setUint32(1, pb.length);
    grpc.set(pb, 5);
    expect(values(post('application/grpc', grpc).tokens)).toContain('$.4.2=116.4074');
  });

  it('feeds a long byte field as a nested part (a WAV inside protobuf)', () => {
    const wav = Buffer.alloc(44 + 4000, 1);
    wav.write('RIFF', 0);
    wav.writeUInt32LE(36 + 4000, 4);
    wav.write('WAVEfmt ', 8);
    wav.write('data', 36);
    const body = Uint8Array.from(Telemetry.encode(Telemetry.create({ ...record, clip: wav })).finish());
    const { out } = post('application/x-protobuf', body);
    const parts = out.findings.map((f) => f.detail);
    expect(parts).toContainEqual(expect.objectContaining({ mime: 'audio/wav', depth: 1, bytes: wav.length }));
  });

  it('replays the binary-bodies fixture: four bodies, the same tokens each time', () => {
    const rec = tokenRecorder();
    const capture = join(import.meta.dirname, '../../fixtures/binary-bodies/capture.pcap');
    const { out } = replayCapture(capture, [rec.analyzer]);
    expect([...out.flows.values()].map((f) => f.server.host)).toEqual(['telemetry.xiaoyu-toys.com']);
    const uploads = rec.tokens.filter((t) => t.source === 'binary');
    const lat = uploads.filter((t) => t.value === '39.9042').map((t) => t.path);
    expect(lat).toEqual(['$.4.1', '$.4.1', '$.loc.lat', '$.loc.lat']);
    expect(uploads.filter((t) => t.value === '116.4074')).toHaveLength(4);
    expect(uploads.filter((t) => t.value === '+86 138 1234 5678')).toHaveLength(4);
    expect(uploads.filter((t) => t.value === 'Doudou')).toHaveLength(4);
    expect(out.violations).toEqual([]);
  });
});

/**
 * HTTP/2 through the live proxy: real h2 clients (curl `--http2`, which offers h2 and http/1.1, and node's http2
 * client, which offers only h2 as gRPC stacks do) through CONNECT to a local h2 origin. The proxy offers the cloud
 * what the device offered, gives the device the cloud's choice, relays the frames as bytes, and the shared stream
 * layer reads them (src/streams/http2.ts): findings in h2 uploads, a gRPC-shaped call included.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import {
  type ClientHttp2Session,
  createSecureServer,
  type Http2SecureServer,
  connect as h2connect,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CloudCa, curl, HOOK_MS, makeCloudCa, type TestProxy, testProxy, tunnel, until } from './harness.ts';

const IMEI = '490154203237518';
const PHONE = '+1 415 555 0134';

/** An h2-only origin (no HTTP/1 fallback, as a gRPC endpoint) answering each stream with the bytes it read. */
async function h2Origin(tls: { key: string; cert: string }): Promise<{ server: Http2SecureServer; port: number }> {
  const server = createSecureServer({ ...tls, allowHTTP1: false });
  server.on('stream', (stream: ServerHttp2Stream, headers) => {
    let bytes = 0;
    stream.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    stream.on('end', () => {
      const grpc = String(headers['content-type']).startsWith('application/grpc');
      stream.respond(
        grpc
          ? { ':status': 200, 'content-type': 'application/grpc' }
          : { ':status': 200, 'content-type': 'application/json' },
        grpc ? { waitForTrailers: true } : {},
      );
      if (grpc) stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(grpc ? Buffer.from([0, 0, 0, 0, 0]) : JSON.stringify({ ok: true, bytes }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

/** A protobuf field: tag (field number, wire type 2) and a short length-delimited string. */
function pbString(field: number, s: string): Buffer {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([(field << 3) | 2, b.length]), b]);
}

describe('HTTP/2 through toyscope proxy', () => {
  let cloud: CloudCa;
  let h2: { server: Http2SecureServer; port: number };
  let p: TestProxy;

  beforeAll(async () => {
    cloud = makeCloudCa(mkdtempSync(join(tmpdir(), 'toyscope-cloud-')));
    h2 = await h2Origin(cloud.leaf('api.tuyaus.com'));
    p = await testProxy({
      upstream: { resolve: new Map([['api.tuyaus.com', '127.0.0.1']]), extraCa: [cloud.pem] },
    });
  }, HOOK_MS);
  afterAll(async () => {
    await p.stop();
    h2.server.close();
  }, HOOK_MS);

  it('relays curl --http2 as h2 and finds the IMEI it uploaded', async () => {
    const body = JSON.stringify({ imei: IMEI, battery: 80 });
    const r = await curl(
      '--http2',
      '--proxy',
      `http://127.0.0.1:${p.port}`,
      '--cacert',
      p.caFile,
      '-H',
      'content-type: application/json',
      '--data',
      body,
      '-w',
      '\n%{http_version}',
      `https://api.tuyaus.com:${h2.port}/v1/report`,
    );
    expect(r.stderr).toBe('');
    const [json, version] = r.stdout.split('\n');
    expect(version).toBe('2');
    expect(JSON.parse(json!)).toEqual({ ok: true, bytes: body.length });
    await until(() => p.out.findings.some((f) => f.subtype === 'imei' && f.evidence.value === IMEI));
    const f = p.out.findings.find((x) => x.subtype === 'imei' && x.evidence.value === IMEI)!;
    const flow = p.out.flows.get(f.flowId)!;
    expect(flow).toMatchObject({ transport: 'http', tls: 'intercepted', source: 'live' });
    expect(flow.tlsInfo?.alpn).toContain('h2');
    expect(f).toMatchObject({ encrypted: true, path: '$.imei', destination: { host: 'api.tuyaus.com' } });
    const req = p.out.messages.find((m) => m.flowId === f.flowId && m.direction === 'upload');
    expect(req).toMatchObject({ method: 'POST', url: '/v1/report', bodyBytes: body.length });
  });

  it('intercepts a client that offers only h2 (a gRPC stack) instead of failing its handshake', async () => {
    const socket = await tunnel(p.port, 'api.tuyaus.com', h2.port);
    const ca = readFileSync(p.caFile, 'utf8');
    const session: ClientHttp2Session = h2connect(`https://api.tuyaus.com:${h2.port}`, {
      createConnection: () => tlsConnect({ socket, servername: 'api.tuyaus.com', ca, ALPNProtocols: ['h2'] }),
    });
    const errors: Error[] = [];
    session.on('error', (e) => errors.push(e));
    // A unary gRPC call: 5-byte message prefix, then a protobuf DeviceReport with an IMEI and a phone number.
    const pb = Buffer.concat([pbString(1, IMEI), pbString(3, PHONE)]);
    const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, pb.length]), pb]);
    const trailers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = session.request({
        ':method': 'POST',
        ':path': '/toycloud.telemetry.v1.Telemetry/Report',
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      req.on('trailers', (t) => resolve(t));
      req.on('error', reject);
      req.resume();
      req.end(frame);
    });
    session.close();
    expect(errors).toEqual([]);
    expect(trailers['grpc-status']).toBe('0');
    await until(() =>
      p.out.messages.some((m) => m.url === '/toycloud.telemetry.v1.Telemetry/Report' && m.direction === 'upload'),
    );
    const req = p.out.messages.find((m) => m.url === '/toycloud.telemetry.v1.Telemetry/Report')!;
    const flow = p.out.flows.get(req.flowId)!;
    expect(flow).toMatchObject({ tls: 'intercepted', source: 'live' });
    expect(flow.tlsInfo?.alpn).toEqual(['h2']);
    expect(p.out.violations.filter((v) => v.flowId === req.flowId)).toEqual([]);
    await until(() => p.out.findings.some((f) => f.flowId === req.flowId && f.subtype === 'imei'));
    const found = p.out.findings.filter((f) => f.flowId === req.flowId);
    expect(found.map((f) => [f.subtype, f.path, f.evidence.value])).toEqual(
      expect.arrayContaining([
        ['imei', '$.1', IMEI],
        ['phone-number', '$.3', expect.any(String)],
      ]),
    );
  });
});

/**
 * Connections as the gateway delivers them (an original destination, no proxy request), on loopback: the proxy
 * is told the original destination in-process, as SO_ORIGINAL_DST would say it. Real clients and servers:
 * - unknown TCP protocols: a client that half-closes (FIN) still gets everything the server sends afterwards,
 *   and a text protocol whose first line starts like "word word" is relayed, never answered as bad HTTP;
 * - TLS without SNI to an address no DNS answer named: the leaf carries the cloud certificate's names.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, PKI } from '../helpers/lab-cloud.ts';
import { echoSize, HOOK_MS, origin, type TestProxy, testProxy, until } from './harness.ts';

/** What the server sends after the client's FIN: more than a socket buffer, so a relay that stops early loses it. */
const ANSWER_BYTES = 4 << 20;

describe('unknown TCP protocols through the gateway path', () => {
  let server: Server;
  let serverPort: number;
  let p: TestProxy;
  const served: string[] = [];

  beforeAll(async () => {
    // Line protocol: "HELO …" is answered at once; anything else is answered only after the client's FIN.
    server = createServer({ allowHalfOpen: true }, (s) => {
      let got = '';
      s.on('data', (d) => {
        got += d;
        if (got.startsWith('HELO ') && got.endsWith('\r\n')) s.write('250 hello\r\n');
      });
      s.on('end', () => {
        served.push(got);
        if (got.startsWith('HELO ')) s.end('221 bye\r\n');
        else s.end(Buffer.alloc(ANSWER_BYTES, 0x61));
      });
      s.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    serverPort = (server.address() as AddressInfo).port;
    p = await testProxy({ originalDestination: () => ({ host: '127.0.0.1', port: serverPort }) });
  }, HOOK_MS);
  afterAll(async () => {
    await p.stop();
    server.close();
  }, HOOK_MS);

  it('relays what the server sends after the client half-closed, and records the flow as opaque tcp', async () => {
    const s = connect({ port: p.port, host: '127.0.0.1', allowHalfOpen: true });
    s.on('connect', () => s.end('\u0002toy\u0000hi')); // data and FIN at once: the FIN lands while the proxy peeks
    const got = await readAll(s);
    expect(got.length).toBe(ANSWER_BYTES);
    expect(served).toContain('\u0002toy\u0000hi');
    await until(() => flows(p).some((f) => f.closed && f.bytesDown === ANSWER_BYTES));
    const flow = flows(p).find((f) => f.bytesDown === ANSWER_BYTES)!;
    expect(flow).toMatchObject({ transport: 'tcp', tls: 'none', bytesUp: 7, server: { port: serverPort } });
    expect(flow.error).toBeUndefined();
  });

  it('relays a text protocol whose first line looks like "word word" instead of answering 400', async () => {
    const s = connect({ port: p.port, host: '127.0.0.1', allowHalfOpen: true });
    s.write('HELO mail.teddy.example\r\n');
    const first = await new Promise<string>((resolve) => s.once('data', (d) => resolve(String(d))));
    expect(first).toBe('250 hello\r\n');
    s.end();
    expect(String(await readAll(s))).toBe('221 bye\r\n');
    await until(() => flows(p).some((f) => f.closed && f.bytesUp === 'HELO mail.teddy.example\r\n'.length));
    const flow = flows(p).find((f) => f.bytesUp === 'HELO mail.teddy.example\r\n'.length)!;
    expect(flow).toMatchObject({ transport: 'tcp', tls: 'none', bytesDown: '250 hello\r\n221 bye\r\n'.length });
  });

  it('relays "word word" sent without a line end and then a FIN', async () => {
    const s = connect({ port: p.port, host: '127.0.0.1', allowHalfOpen: true });
    s.on('connect', () => s.end('hello world'));
    expect((await readAll(s)).length).toBe(ANSWER_BYTES);
    expect(served).toContain('hello world');
  });
});

describe('TLS without SNI through the gateway path', () => {
  it(
    "names the leaf after the address and copies the cloud certificate's names into it",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'toyscope-nosni-'));
      makeTestPki(dir, ['api.teddy.example'], ['nosni.teddy.example']);
      const read = (f: string) => readFileSync(join(dir, f), 'utf8');
      const cloud = await origin(echoSize, { key: read(PKI.defaultKey), cert: read(PKI.defaultCert) });
      const p = await testProxy({
        originalDestination: () => ({ host: '127.0.0.1', port: cloud.port }),
        upstream: { extraCa: [read(PKI.caCert)] },
      });
      try {
        const leaf = await new Promise<string>((resolve) =>
          execFile(
            'sh',
            [
              '-c',
              `echo ping | openssl s_client -connect 127.0.0.1:${p.port} -noservername -CAfile ${p.caFile} 2>/dev/null | openssl x509 -noout -subject -ext subjectAltName`,
            ],
            { encoding: 'utf8' },
            (_err, stdout) => resolve(stdout),
          ),
        );
        expect(leaf).toMatch(/subject=CN = 127\.0\.0\.1\n[\s\S]*IP Address:127\.0\.0\.1, DNS:nosni\.teddy\.example/);
        await until(() => flows(p).some((f) => f.closed && f.tls === 'intercepted'));
        expect(flows(p)[0]?.server).toMatchObject({ ip: '127.0.0.1', port: cloud.port, host: 'nosni.teddy.example' });
      } finally {
        await p.stop();
        cloud.server.close();
      }
    },
    HOOK_MS,
  );
});

function flows(p: TestProxy) {
  return [...p.out.flows.values()];
}

/** Everything a socket receives until the other side's FIN. */
function readAll(s: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    s.on('data', (d: Buffer) => parts.push(d));
    s.on('end', () => resolve(Buffer.concat(parts)));
    s.on('error', reject);
  });
}

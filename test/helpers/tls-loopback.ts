/**
 * Real TLS sessions between Node's own client and server on 127.0.0.1, recorded on the wire for the decryption
 * tests: a relay in the middle keeps each direction's bytes as sent, the client's `keylog` events give the NSS key
 * log, and each side's application bytes are known. Bounded: one connection, a 10 s deadline.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

const DATA = new URL('../data/tls/', import.meta.url);
/** Test certificates (test/data/tls/README.md). */
export const TEST_CERTS = {
  ec: { cert: readFileSync(new URL('ec-cert.pem', DATA)), key: readFileSync(new URL('ec-key.pem', DATA)) },
  rsa: { cert: readFileSync(new URL('rsa-cert.pem', DATA)), key: readFileSync(new URL('rsa-key.pem', DATA)) },
};

export interface TlsRecording {
  /** Bytes client → server and server → client as they crossed the relay. */
  client: Buffer;
  server: Buffer;
  keyLog: string;
  /** The cipher and protocol the client saw. */
  cipher: string;
  protocol: string;
  /** The client's last session (to resume it) and whether this session was a resumption. */
  session: Buffer | undefined;
  reused: boolean;
}

export interface TlsSessionSpec {
  server: tls.TlsOptions;
  client?: tls.ConnectionOptions;
  /** Application data the client writes (each a write), then it half-closes. */
  upload: Buffer[];
  /** What the server writes once the client has half-closed, then it ends. */
  download: Buffer[];
}

const DEADLINE_MS = 10_000;

/** Runs one session through a recording relay and returns what crossed it. */
export async function recordTls(spec: TlsSessionSpec): Promise<TlsRecording> {
  const server = tls.createServer({ allowHalfOpen: true, ...spec.server }, (s) => {
    s.on('data', () => {});
    s.on('end', () => {
      for (const d of spec.download) s.write(d);
      s.end();
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const up: Buffer[] = [];
  const down: Buffer[] = [];
  const relay = net.createServer((inbound) => {
    const outbound = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    inbound.on('data', (b) => {
      up.push(Buffer.from(b));
      outbound.write(b);
    });
    outbound.on('data', (b) => {
      down.push(Buffer.from(b));
      inbound.write(b);
    });
    inbound.on('end', () => outbound.end());
    outbound.on('end', () => inbound.end());
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  let keyLog = '';
  let session: Buffer | undefined;
  try {
    return await new Promise<TlsRecording>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('TLS session did not finish in time')), DEADLINE_MS);
      const client = tls.connect({
        host: '127.0.0.1',
        port: (relay.address() as net.AddressInfo).port,
        servername: 'api.toy-cloud.example',
        rejectUnauthorized: false,
        ...spec.client,
      });
      client.on('keylog', (line) => {
        keyLog += line.toString('latin1');
      });
      let reused = false;
      client.on('secureConnect', () => {
        reused = client.isSessionReused();
        for (const d of spec.upload) client.write(d);
        client.end();
      });
      client.on('session', (s) => {
        session = s;
      });
      client.on('data', () => {});
      client.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      client.on('close', () => {
        clearTimeout(timer);
        const c = client.getCipher();
        resolve({
          client: Buffer.concat(up),
          server: Buffer.concat(down),
          keyLog,
          cipher: c?.standardName ?? '',
          protocol: client.getProtocol() ?? '',
          session,
          reused,
        });
      });
    });
  } finally {
    relay.close();
    server.close();
  }
}

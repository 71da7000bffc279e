/**
 * Real TLS sessions between Node's own client and server on 127.0.0.1, recorded on the wire for the decryption
 * tests and the TLS bench corpus: a relay in the middle keeps each direction's bytes in the order they crossed it,
 * the client's `keylog` events give the NSS key log, and each side's application bytes are known. Bounded: one
 * connection at a time, a 10 s deadline each.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

const DATA = new URL('../test/data/tls/', import.meta.url);
/** Test certificates (test/data/tls/README.md). */
export const TEST_CERTS = {
  ec: { cert: readFileSync(new URL('ec-cert.pem', DATA)), key: readFileSync(new URL('ec-key.pem', DATA)) },
  rsa: { cert: readFileSync(new URL('rsa-cert.pem', DATA)), key: readFileSync(new URL('rsa-key.pem', DATA)) },
};

export interface TlsRecording {
  /** Bytes client → server and server → client as they crossed the relay. */
  client: Buffer;
  server: Buffer;
  /** Both directions in the order the relay passed them on (`up` = client → server). */
  exchanges: Array<['up' | 'down', Buffer]>;
  keyLog: string;
  /** The cipher (IANA name) and protocol the client saw. */
  cipher: string;
  protocol: string;
  /** The client's last session (to resume it) and whether this session was a resumption. */
  session: Buffer | undefined;
  reused: boolean;
}

/** One session: the client's options and what each side writes. */
export interface TlsExchange {
  client?: tls.ConnectionOptions;
  /** Application data the client writes (each a write), then it half-closes. */
  upload: Buffer[];
  /** What the server writes once the client has half-closed, then it ends. */
  download: Buffer[];
}

export interface TlsSessionSpec extends TlsExchange {
  server: tls.TlsOptions;
}

const DEADLINE_MS = 10_000;

/** A TLS server and a recording relay in front of it, for many sessions one after the other. */
export class TlsRecorder {
  readonly #server: tls.Server;
  readonly #relay: net.Server;
  #download: Buffer[] = [];
  #exchanges: Array<['up' | 'down', Buffer]> = [];

  private constructor(serverOptions: tls.TlsOptions) {
    this.#server = tls.createServer({ allowHalfOpen: true, ...serverOptions }, (s) => {
      const download = this.#download;
      s.on('data', () => {});
      s.on('end', () => {
        for (const d of download) s.write(d);
        s.end();
      });
      s.on('error', () => {});
    });
    // Half-open both ways: the client's FIN must not end the relay's way back before the server has answered.
    this.#relay = net.createServer({ allowHalfOpen: true }, (inbound) => {
      const exchanges = this.#exchanges;
      const port = (this.#server.address() as net.AddressInfo).port;
      const outbound = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      inbound.on('data', (b) => {
        exchanges.push(['up', Buffer.from(b)]);
        outbound.write(b);
      });
      outbound.on('data', (b) => {
        exchanges.push(['down', Buffer.from(b)]);
        inbound.write(b);
      });
      inbound.on('end', () => outbound.end());
      outbound.on('end', () => inbound.end());
      inbound.on('error', () => outbound.destroy());
      outbound.on('error', () => inbound.destroy());
    });
  }

  static async open(serverOptions: tls.TlsOptions): Promise<TlsRecorder> {
    const r = new TlsRecorder(serverOptions);
    await new Promise<void>((ok) => r.#server.listen(0, '127.0.0.1', ok));
    await new Promise<void>((ok) => r.#relay.listen(0, '127.0.0.1', ok));
    return r;
  }

  /** Runs one session through the relay and returns what crossed it. */
  record(spec: TlsExchange): Promise<TlsRecording> {
    this.#download = spec.download;
    const exchanges: Array<['up' | 'down', Buffer]> = [];
    this.#exchanges = exchanges;
    let keyLog = '';
    let session: Buffer | undefined;
    return new Promise<TlsRecording>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('TLS session did not finish in time')), DEADLINE_MS);
      const client = tls.connect({
        host: '127.0.0.1',
        port: (this.#relay.address() as net.AddressInfo).port,
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
        const side = (dir: 'up' | 'down') => Buffer.concat(exchanges.filter((e) => e[0] === dir).map((e) => e[1]));
        resolve({
          client: side('up'),
          server: side('down'),
          exchanges,
          keyLog,
          cipher: client.getCipher()?.standardName ?? '',
          protocol: client.getProtocol() ?? '',
          session,
          reused,
        });
      });
    });
  }

  close(): void {
    this.#relay.close();
    this.#server.close();
  }
}

/** One session with a server of its own. */
export async function recordTls(spec: TlsSessionSpec): Promise<TlsRecording> {
  const recorder = await TlsRecorder.open(spec.server);
  try {
    return await recorder.record(spec);
  } finally {
    recorder.close();
  }
}

/**
 * DeviceWire on real sockets (127.0.0.1): a TLS server runs over it as the proxy's device leg does, a Node TLS
 * client talks to it; what the wire handed on (held until attach, then live) is the real TLS of the connection,
 * ClientHello first, and its secrets decrypt it to exactly what each side wrote, TLS 1.3 and 1.2.
 */
import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { type ConnectionOptions, connect, TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { DeviceWire } from '../../proxy/device-wire.ts';
import { TlsDecryptSession } from '../../src/decode/tls-decrypt/session.ts';
import { KeyLog } from '../../src/decode/tls-keylog.ts';
import { TEST_CERTS } from '../../testkit/tls-loopback.ts';

const UPLOAD = Buffer.from('POST /v1/report HTTP/1.1\r\nhost: api.example\r\ncontent-length: 5\r\n\r\nhello');
const DOWNLOAD = Buffer.alloc(100_000, 'z');

interface Seen {
  order: string[];
  up: Buffer[];
  down: Buffer[];
  secrets: string[];
}

/** One connection through a DeviceWire; the sink attaches once the handshake is done, like the proxy's tap. */
async function session(client: ConnectionOptions): Promise<{ seen: Seen; detachedAt: number | undefined }> {
  const seen: Seen = { order: [], up: [], down: [], secrets: [] };
  let detachedAt: number | undefined;
  const server = createServer({ pauseOnConnect: true }, (socket: Socket) => {
    const wire = new DeviceWire(socket);
    const tls = new TLSSocket(wire.stream, { isServer: true, ...TEST_CERTS.ec });
    tls.on('keylog', wire.secret);
    tls.once('secure', () => {
      wire.attach({
        data: (dir, bytes) => {
          seen.order.push(dir);
          seen[dir].push(Buffer.from(bytes));
        },
        secret: (line) => {
          seen.order.push('secret');
          seen.secrets.push(Buffer.from(line).toString('latin1'));
        },
      });
      let got = 0;
      tls.on('data', (b: Buffer) => {
        got += b.length;
        if (got === UPLOAD.length) {
          tls.end(DOWNLOAD, () => {
            wire.detach();
            detachedAt = seen.order.length;
          });
        }
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    const c = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...client });
    await once(c, 'secureConnect');
    c.write(UPLOAD);
    const chunks: Buffer[] = [];
    c.on('data', (b: Buffer) => chunks.push(b));
    await once(c, 'end');
    c.end(); // its close_notify and FIN still cross the wire, after the detach
    await once(c, 'close');
    expect(Buffer.concat(chunks).equals(DOWNLOAD)).toBe(true);
  } finally {
    server.close();
  }
  return { seen, detachedAt };
}

/** Decrypts what the wire saw with the secrets it handed on. */
function decrypt(seen: Seen): { up: Buffer; down: Buffer; violations: string[] } {
  const keyLog = new KeyLog();
  keyLog.add(Buffer.from(seen.secrets.join(''), 'latin1'));
  const clear = { client: [] as Buffer[], server: [] as Buffer[] };
  const violations: string[] = [];
  const s = new TlsDecryptSession((r) => keyLog.lookup(r), {
    decrypting() {},
    data: (side, b) => clear[side].push(Buffer.from(b)),
    alert() {},
    keyUpdate() {},
    earlyData() {},
    violation: (v) => violations.push(v.code),
  });
  s.write('client', Buffer.concat(seen.up));
  s.write('server', Buffer.concat(seen.down));
  s.end();
  return { up: Buffer.concat(clear.client), down: Buffer.concat(clear.server), violations };
}

describe('DeviceWire', () => {
  for (const [name, client] of [
    ['TLS 1.3', { minVersion: 'TLSv1.3' }],
    ['TLS 1.2', { maxVersion: 'TLSv1.2' }],
  ] as const) {
    it(`hands on the ${name} bytes from the ClientHello on, secrets first, and they decrypt to what was sent`, async () => {
      const { seen, detachedAt } = await session(client);
      expect(seen.order[0]).toBe('secret');
      expect(seen.up[0]![0]).toBe(0x16); // a handshake record: the ClientHello
      expect(seen.secrets.join('')).toMatch(name === 'TLS 1.3' ? /^CLIENT_TRAFFIC_SECRET_0 /m : /^CLIENT_RANDOM /m);
      const clear = decrypt(seen);
      expect(clear.violations).toEqual([]);
      expect(clear.up.toString('latin1')).toBe(UPLOAD.toString('latin1'));
      expect(clear.down.equals(DOWNLOAD)).toBe(true);
      expect(seen.order.length).toBe(detachedAt);
    });
  }
});

/**
 * The TLS connections of a capture decrypted on their own, below the stream layer: reader → packet decoder → TCP
 * reassembly → one TlsDecryptSession per connection, with the key log given and the capture's own DSB secrets.
 * For comparing the decrypted bytes with tshark's "Follow TLS Stream" (fixtures' tshark.json).
 */
import { readFileSync } from 'node:fs';
import { AutoReader } from '../../src/capture/detect-format.ts';
import { PacketDecoder } from '../../src/capture/packet-decoder.ts';
import { TcpReassembler } from '../../src/capture/tcp-reassembly.ts';
import { type DecryptStatus, TlsDecryptSession } from '../../src/decode/tls-decrypt/session.ts';
import { DSB_TLS_KEY_LOG, KeyLog } from '../../src/decode/tls-keylog.ts';

/** One TCP connection's decryption: client address, clear bytes per direction, status and what did not open. */
export interface DecryptedConnection {
  client: { ip: string; port: number };
  up: Buffer;
  down: Buffer;
  status: DecryptStatus;
  violations: string[];
}

export function decryptCaptureFile(file: string, keyLogFile?: string): DecryptedConnection[] {
  const keyLog = new KeyLog();
  if (keyLogFile) keyLog.add(readFileSync(keyLogFile));
  const conns = new Map<
    number,
    { session: TlsDecryptSession; out: DecryptedConnection; up: Buffer[]; down: Buffer[] }
  >();
  const done: DecryptedConnection[] = [];
  const tcp = new TcpReassembler(
    {
      open: (conn) => {
        const up: Buffer[] = [];
        const down: Buffer[] = [];
        const out: DecryptedConnection = {
          client: conn.client,
          up: Buffer.alloc(0),
          down: Buffer.alloc(0),
          status: 'handshake',
          violations: [],
        };
        const session = new TlsDecryptSession((r) => keyLog.lookup(r), {
          decrypting: () => {},
          data: (side, b) => (side === 'client' ? up : down).push(Buffer.from(b)),
          alert: () => {},
          keyUpdate: () => {},
          earlyData: () => {},
          violation: (v) => out.violations.push(v.code),
        });
        conns.set(conn.id, { session, out, up, down });
      },
      data: (conn, dir, bytes) => conns.get(conn.id)?.session.write(dir === 'up' ? 'client' : 'server', bytes),
      gap: (conn, dir, length) => conns.get(conn.id)?.session.gap(dir === 'up' ? 'client' : 'server', length),
      close: (conn) => {
        const c = conns.get(conn.id);
        if (!c) return;
        c.session.end();
        c.out.up = Buffer.concat(c.up);
        c.out.down = Buffer.concat(c.down);
        c.out.status = c.session.status;
        done.push(c.out);
        conns.delete(conn.id);
      },
    },
    {},
  );
  const packets = new PacketDecoder({
    tcp: (s) => tcp.segment(s),
    udp: () => {},
    skipped: () => {},
    violation: () => {},
  });
  const reader = new AutoReader({
    packet: (p) => packets.packet(p),
    skipped: () => {},
    secrets: (type, data) => {
      if (type === DSB_TLS_KEY_LOG) keyLog.add(data);
    },
  });
  reader.write(readFileSync(file));
  reader.end();
  packets.end();
  tcp.end(Number.MAX_SAFE_INTEGER);
  return done;
}

import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tls13NextSecret, tls13TrafficKeys } from '../../../src/decode/tls-decrypt/key-schedule.ts';
import { cipherSuite } from '../../../src/decode/tls-decrypt/suites.ts';
import { DEFAULT_LIMITS } from '../../../src/model/limits.ts';
import { HELLO_RETRY, hex, keyLogOf, SIMPLE, ZERO_RTT } from './rfc8448.ts';
import { cutSide, interleave, runSession, type Step } from './run-session.ts';

const AES128 = cipherSuite(0x1301)!;
const C = SIMPLE.client;
const S = SIMPLE.server;
/** RFC 8448 §3 in wire order: CH | SH, EE… | Finished | NST | app | app | close | close. */
const simpleWire = () =>
  interleave([
    ['client', [C[0]!]],
    ['server', [S[0]!, S[1]!]],
    ['client', [C[1]!]],
    ['server', [S[2]!]],
    ['client', [C[2]!]],
    ['server', [S[3]!]],
    ['client', [C[3]!]],
    ['server', [S[4]!]],
  ]);
const sideBytes = (records: string[]) => hex(records.join(''));

describe('TlsDecryptSession, TLS 1.3 (RFC 8448)', () => {
  const expected = {
    events: ['decrypting TLSv1.3 AES_128_GCM_SHA256', 'alert client 1 0', 'alert server 1 0'],
    data: { client: hex(SIMPLE.appData), server: hex(SIMPLE.appData) },
    status: 'decrypting',
    decrypted: { client: 50, server: 50 },
    undecrypted: { client: 0, server: 0 },
  };

  it('decrypts the simple 1-RTT session: handshake, application data both ways, close_notify alerts', () => {
    expect(runSession(keyLogOf(SIMPLE), simpleWire())).toEqual(expected);
  });

  it('gives the same result with each side cut at every offset, client first or server first', () => {
    const client = sideBytes(C);
    const server = sideBytes(S);
    for (let i = 0; i <= client.length; i++) {
      const steps = [...cutSide('client', client, [i, i + 7]), ...cutSide('server', server, [])];
      expect(runSession(keyLogOf(SIMPLE), steps)).toEqual(expected);
    }
    for (let i = 0; i <= server.length; i++) {
      const steps: Step[] = [
        { side: 'client', bytes: hex(C[0]!) },
        ...cutSide('server', server, [i, i + 13]),
        ...cutSide('client', hex(C.slice(1).join('')), []),
      ];
      const [decrypting, clientAlert, serverAlert] = expected.events;
      expect(runSession(keyLogOf(SIMPLE), steps)).toEqual({
        ...expected,
        events: [decrypting, serverAlert, clientAlert],
      });
    }
    const oneByte = (side: 'client' | 'server', b: Buffer): Step[] =>
      [...b].map((x) => ({ side, bytes: Uint8Array.of(x) }));
    expect(runSession(keyLogOf(SIMPLE), [...oneByte('client', client), ...oneByte('server', server)])).toEqual(
      expected,
    );
  });

  it('without keys: nothing in clear, every protected byte counted', () => {
    const r = runSession('', simpleWire());
    expect(r.status).toBe('no-keys');
    expect(r.events).toEqual([]);
    expect(r.data.client).toHaveLength(0);
    const protectedBytes = (rs: string[]) => rs.slice(1).reduce((n, x) => n + x.length / 2, 0);
    expect(r.undecrypted).toEqual({ client: protectedBytes(C), server: protectedBytes(S) });
  });

  it('with wrong keys: an auth-failed violation, the session stays undecrypted', () => {
    const wrong = {
      ...SIMPLE,
      secrets: {
        ...SIMPLE.secrets,
        SERVER_HANDSHAKE_TRAFFIC_SECRET: '00'.repeat(32),
        CLIENT_HANDSHAKE_TRAFFIC_SECRET: '11'.repeat(32),
      },
    };
    const r = runSession(keyLogOf(wrong), simpleWire());
    expect(r.status).toBe('failed');
    expect(r.events).toEqual(['violation auth-failed', 'violation auth-failed']);
    expect(r.data.server).toHaveLength(0);
  });

  it('with handshake secrets only: decrypting, the application records counted as undecrypted', () => {
    const { CLIENT_HANDSHAKE_TRAFFIC_SECRET, SERVER_HANDSHAKE_TRAFFIC_SECRET } = SIMPLE.secrets;
    const r = runSession(
      keyLogOf({ ...SIMPLE, secrets: { CLIENT_HANDSHAKE_TRAFFIC_SECRET, SERVER_HANDSHAKE_TRAFFIC_SECRET } }),
      simpleWire(),
    );
    expect(r.events).toEqual(['decrypting TLSv1.3 AES_128_GCM_SHA256']);
    expect(r.undecrypted).toEqual({ client: 72 + 24, server: 227 + 72 + 24 });
  });

  it('reports 0-RTT data as not decrypted and decrypts the rest of a resumed session', () => {
    const c = ZERO_RTT.client;
    const s = ZERO_RTT.server;
    const steps = interleave([
      ['client', [c[0]!, c[1]!]],
      ['server', [s[0]!, s[1]!]],
      ['client', [c[2]!, c[3]!, c[4]!]],
      ['server', [s[2]!]],
      ['client', [c[5]!]],
      ['server', [s[3]!]],
    ]);
    const r = runSession(keyLogOf(ZERO_RTT), steps);
    expect(r.events).toEqual([
      'early-data 28',
      'decrypting TLSv1.3 AES_128_GCM_SHA256',
      'early-data 26',
      'alert client 1 0',
      'alert server 1 0',
    ]);
    expect(r.data).toEqual({ client: hex(SIMPLE.appData), server: hex(SIMPLE.appData) });
    expect(r.undecrypted).toEqual({ client: 54, server: 0 });
  });

  it('takes the keys from the ServerHello that follows a HelloRetryRequest', () => {
    const c = HELLO_RETRY.client;
    const s = HELLO_RETRY.server;
    const steps = interleave([
      ['client', [c[0]!]],
      ['server', [s[0]!]],
      ['client', [c[1]!]],
      ['server', [s[1]!, s[2]!]],
      ['client', [c[2]!, c[3]!]],
      ['server', [s[3]!]],
    ]);
    const r = runSession(keyLogOf(HELLO_RETRY), steps);
    // No application secrets in this key log: the close_notify records stay encrypted.
    expect(r.events).toEqual(['decrypting TLSv1.3 AES_128_GCM_SHA256']);
    expect(r.undecrypted).toEqual({ client: 24, server: 24 });
  });

  it('follows a KeyUpdate to the next application secret', () => {
    const s0 = hex(SIMPLE.secrets.CLIENT_TRAFFIC_SECRET_0);
    const s1 = tls13NextSecret(AES128, s0);
    // Client app records: the RFC's data (seq 0), then KeyUpdate (seq 1), then data under the next secret.
    const keyUpdate = seal13(s0, 1, 22, Uint8Array.of(24, 0, 0, 1, 0));
    const after = seal13(s1, 0, 23, Buffer.from('after the update'));
    const steps = interleave([
      ['client', [C[0]!]],
      ['server', [S[0]!, S[1]!]],
      ['client', [C[1]!, C[2]!, keyUpdate.toString('hex'), after.toString('hex')]],
    ]);
    const r = runSession(keyLogOf(SIMPLE), steps);
    expect(r.events).toEqual(['decrypting TLSv1.3 AES_128_GCM_SHA256', 'key-update client']);
    expect(r.data.client).toEqual(Buffer.concat([hex(SIMPLE.appData), Buffer.from('after the update')]));
  });

  it('stops a side at a gap and counts the rest of it as undecrypted', () => {
    const steps = simpleWire();
    steps.splice(4, 0, { side: 'server', gap: 100 }); // before the server's NewSessionTicket
    const r = runSession(keyLogOf(SIMPLE), steps);
    expect(r.data.server).toHaveLength(0);
    expect(r.data.client).toEqual(hex(SIMPLE.appData));
    expect(r.undecrypted.server).toBe(100 + 227 + 72 + 24);
    expect(r.events).toEqual(['decrypting TLSv1.3 AES_128_GCM_SHA256', 'alert client 1 0']);
  });

  it('flags a record header that is no TLS and stops that side', () => {
    const r = runSession(keyLogOf(SIMPLE), [
      { side: 'client', bytes: hex(C[0]!) },
      { side: 'server', bytes: Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n') },
    ]);
    expect(r.events).toEqual(['violation bad-record-header']);
  });

  it('holds at most MAX_TLS_HELD_BYTES of client records before the ServerHello', () => {
    const r = runSession(
      keyLogOf(SIMPLE),
      interleave([
        ['client', C],
        ['server', S],
      ]),
      {
        ...DEFAULT_LIMITS,
        MAX_TLS_HELD_BYTES: 100,
      },
    );
    expect(r.events[0]).toBe('violation held-too-long');
    expect(r.data.client).toHaveLength(0);
    expect(r.data.server).toEqual(hex(SIMPLE.appData));
  });

  it('never throws on truncated, mutated or random records, and reports only what it can stand behind', () => {
    const client = sideBytes(C);
    const server = sideBytes(S);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.nat(), fc.nat(255))),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.uint8Array({ maxLength: 64 }),
        (mutations, cuts, junk) => {
          const c = Buffer.from(client);
          const s = Buffer.from(server);
          for (const [onClient, i, v] of mutations) {
            const b = onClient ? c : s;
            b[i % b.length] = v;
          }
          const r = runSession(keyLogOf(SIMPLE), [
            ...cutSide('client', c, cuts),
            ...cutSide(
              'server',
              s,
              cuts.map((x) => x * 3),
            ),
            { side: 'server', bytes: junk },
          ]);
          // Whatever came out in clear is a prefix of the real application data (AEAD lets nothing else through).
          expect(hex(SIMPLE.appData).subarray(0, r.data.client.length)).toEqual(r.data.client);
          expect(hex(SIMPLE.appData).subarray(0, r.data.server.length)).toEqual(r.data.server);
        },
      ),
      { numRuns: 400 },
    );
  });
});

/** A TLS 1.3 record sealed with a traffic secret (test-side encryptor for KeyUpdate, which RFC 8448 lacks). */
function seal13(secret: Uint8Array, seq: number, innerType: number, content: Uint8Array): Buffer {
  const { key, iv } = tls13TrafficKeys(AES128, secret);
  const nonce = Buffer.from(iv);
  nonce.writeUInt32BE(nonce.readUInt32BE(8) ^ seq, 8);
  const inner = Buffer.concat([content, Uint8Array.of(innerType)]);
  const header = Buffer.from([23, 3, 3, (inner.length + 16) >> 8, (inner.length + 16) & 0xff]);
  const c = createCipheriv('aes-128-gcm', key, nonce);
  c.setAAD(header);
  const body = Buffer.concat([c.update(inner), c.final(), c.getAuthTag()]);
  return Buffer.concat([header, body]);
}

import { describe, expect, it } from 'vitest';
import type { FlowEvent } from '../../src/model/events.ts';
import { TlsStream } from '../../src/streams/tls.ts';
import { bytes, clientHelloBody, handshake, records, serverHelloBody, sniExt } from '../../testkit/tls-builders.ts';

describe('TlsStream', () => {
  it('sends the SNI as the host as soon as the ClientHello is read, with the TLS metadata', () => {
    const events: FlowEvent[] = [];
    const server = { ip: '127.0.0.10', port: 443 };
    const s = new TlsStream({ flowId: 'f', emit: (e) => events.push(e), report: () => {}, server });
    const hello = bytes(
      records(22, handshake(1, clientHelloBody({ ciphers: [0x1301], extensions: [sniExt('toy.example')] }))),
    );
    s.data('up', hello.subarray(0, 20), 1);
    expect(events).toEqual([]);
    s.data('up', hello.subarray(20), 2);
    expect(events).toMatchObject([
      {
        ts: 2,
        type: 'flow.update',
        flowId: 'f',
        update: { server: { ...server, host: 'toy.example' }, tlsInfo: { sni: 'toy.example', versions: ['TLSv1.2'] } },
      },
    ]);
    s.data('down', bytes(records(21, [2, 40])), 3);
    expect(events[1]).toMatchObject({
      update: { tlsInfo: { alerts: [{ from: 'server', name: 'handshake_failure' }] } },
    });
    expect(events[1]?.type === 'flow.update' && events[1].update.server).toBeFalsy();
  });

  it("lets the caller's TLS metadata win over the wire's (a --save-tls leg keeps the cloud's version and cipher)", () => {
    const events: FlowEvent[] = [];
    const known = { sni: 'toy.example', serverVersion: 'TLSv1.3', cipher: '0x1302', certIssuer: 'CN=Cloud CA' };
    const s = new TlsStream({
      flowId: 'f',
      emit: (e) => events.push(e),
      report: () => {},
      server: { ip: '127.0.0.10', port: 443 },
      tlsInfo: known,
    });
    s.data(
      'up',
      bytes(records(22, handshake(1, clientHelloBody({ ciphers: [0xc02f], extensions: [sniExt('toy.example')] })))),
      1,
    );
    s.data('down', bytes(records(22, handshake(2, serverHelloBody(0xc02f)))), 2);
    const last = events.at(-1);
    expect(last?.type === 'flow.update' && last.update.tlsInfo).toMatchObject({
      ...known,
      versions: ['TLSv1.2'],
      ja3Hash: expect.any(String),
    });
  });
});

/** Request framing for forwarded HTTP: targets, origin-form rewriting, body framing, 400/431, split invariance. */
import { describe, expect, it } from 'vitest';
import { type FramerOutput, RequestFramer } from '../../proxy/request-framer.ts';
import { resolveLimits } from '../../src/model/limits.ts';
import { everySplit, oneByteAtATime, utf8 } from '../helpers/splits.ts';

const limits = resolveLimits({ MAX_HTTP_HEADER_BYTES: 256 });
const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');

/** What the framer makes of `chunks`: heads as `target|head text`, bodies joined per request, errors. */
function run(chunks: Uint8Array[]): string[] {
  const f = new RequestFramer(limits);
  const out: string[] = [];
  const push = (o: FramerOutput) => {
    if (o.kind === 'head') out.push(`${o.target.host}:${o.target.port}|${text(o.bytes)}`);
    else if (o.kind === 'error') out.push(`error ${o.status}`);
    else if (out.length > 0 && out[out.length - 1]!.startsWith('body:')) out[out.length - 1] += text(o.bytes);
    else out.push(`body:${text(o.bytes)}`);
  };
  for (const c of chunks) for (const o of f.write(c)) push(o);
  return out;
}

const TWO = utf8(
  'POST http://api.tuyaus.com/d?x=1 HTTP/1.1\r\nHost: api.tuyaus.com\r\nProxy-Connection: keep-alive\r\nContent-Length: 5\r\n\r\nhello' +
    'POST http://log.umeng.com:8080/c HTTP/1.1\r\nHost: log.umeng.com:8080\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' +
    'GET /next HTTP/1.1\r\nHost: log.umeng.com:8080\r\n\r\n',
);

describe('RequestFramer', () => {
  it('names each target, rewrites to origin-form, drops Proxy-* and passes bodies through', () => {
    expect(run([TWO])).toEqual([
      'api.tuyaus.com:80|POST /d?x=1 HTTP/1.1\r\nHost: api.tuyaus.com\r\nContent-Length: 5\r\n\r\n',
      'body:hello',
      'log.umeng.com:8080|POST /c HTTP/1.1\r\nHost: log.umeng.com:8080\r\nTransfer-Encoding: chunked\r\n\r\n',
      'body:3\r\nabc\r\n0\r\n\r\n',
      'log.umeng.com:8080|GET /next HTTP/1.1\r\nHost: log.umeng.com:8080\r\n\r\n',
    ]);
  });

  it('gives the same output whatever the chunking', () => {
    const whole = run([TWO]);
    for (const chunks of everySplit(TWO)) expect(run(chunks)).toEqual(whole);
    expect(run(oneByteAtATime(TWO))).toEqual(whole);
  });

  it('passes everything through after an Upgrade request', () => {
    const up = Buffer.from(
      'GET http://ws.example.com/s HTTP/1.1\r\nHost: ws.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello',
      'latin1',
    );
    expect(run([up])).toEqual([expect.stringMatching(/^ws\.example\.com:80\|GET \/s /), 'body:\x81\x05hello']);
  });

  it('answers 400 to malformed heads and targets, 431 past the head bound', () => {
    expect(run([utf8('GET http://x/ HTTP/1.1\r\nno colon\r\n\r\n')])).toEqual(['error 400']);
    expect(run([utf8('GET https://x/ HTTP/1.1\r\nHost: x\r\n\r\n')])).toEqual(['error 400']);
    expect(run([utf8('GET / HTTP/1.1\r\nAccept: */*\r\n\r\n')])).toEqual(['error 400']);
    expect(run([utf8(`GET http://x/ HTTP/1.1\r\nX: ${'a'.repeat(300)}\r\n\r\n`)])).toEqual(['error 431']);
    expect(run([utf8(`GET http://x/ HTTP/1.1\r\nX: ${'a'.repeat(300)}`)])).toEqual(['error 431']);
  });

  it('routes origin-form requests by Host', () => {
    expect(run([utf8('GET /a HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n')])[0]).toMatch(/^::1:8443\|GET \/a /);
  });
});

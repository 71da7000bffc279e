// Framing anomalies through the real Http1Handler: each request smuggling shape is read one way (the one
// ANOMALY_READINGS names), flagged once on its message as `anomaly-*`, and the log does not depend on chunking.
import { describe, expect, it } from 'vitest';
import { Http1Handler } from '../../src/streams/http1.ts';
import { ANOMALY_READINGS } from '../../src/streams/http1-framing.ts';
import { utf8 } from '../helpers/splits.ts';
import { down, expectSplitInvariant, up } from './http1-script.ts';

const NEXT = 'GET /next HTTP/1.1\r\nHost: api.toy-cloud.example\r\n\r\n';
const tail = ['head #1 GET /next', 'end #1'];

describe('HTTP/1 framing anomalies', () => {
  it('CL.TE: both lengths, read by Transfer-Encoding; what follows the chunked body is the next request', () => {
    const req = `POST /a HTTP/1.1\r\nHost: api.toy-cloud.example\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n${NEXT}`;
    expect(expectSplitInvariant([up(req)])).toEqual([
      'host api.toy-cloud.example',
      'head #0 POST /a',
      'violation anomaly-cl-te #0',
      'body #0 hello',
      'end #0',
      ...tail,
    ]);
  });

  it('a Transfer-Encoding that is no coding: read as chunked when it names chunked, else by Content-Length', () => {
    const obscured = 'POST /a HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n';
    expect(expectSplitInvariant([up(obscured)])).toEqual([
      'head #0 POST /a',
      'violation anomaly-te-invalid #0',
      'body #0 hello',
      'end #0',
    ]);
    const req = `POST /a HTTP/1.1\r\nTransfer-Encoding: identity\r\nContent-Length: 5\r\n\r\nhello${NEXT}`;
    expect(expectSplitInvariant([up(req)])).toEqual([
      'head #0 POST /a',
      'violation anomaly-te-invalid #0',
      'violation anomaly-cl-te #0',
      'body #0 hello',
      'end #0',
      'host api.toy-cloud.example',
      ...tail,
    ]);
  });

  it('conflicting Content-Length headers: read with the first, the rest parsed as what follows', () => {
    const req = `POST /a HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 40\r\n\r\nhello${NEXT}`;
    expect(expectSplitInvariant([up(req)])).toEqual([
      'head #0 POST /a',
      'violation anomaly-cl-conflict #0',
      'body #0 hello',
      'end #0',
      'host api.toy-cloud.example',
      ...tail,
    ]);
  });

  it('whitespace before the colon and obs-fold: tolerated, read, flagged', () => {
    const req = `POST /a HTTP/1.1\r\nTransfer-Encoding : chunked\r\nX-Note: a\r\n b\r\n\r\n3\r\nabc\r\n0\r\n\r\n`;
    expect(expectSplitInvariant([up(req)])).toEqual([
      'head #0 POST /a',
      'violation anomaly-space-before-colon #0',
      'violation anomaly-obs-fold #0',
      'body #0 abc',
      'end #0',
    ]);
  });

  it('bare LF line ends, a second Host, spaces after a chunk size (once per message)', () => {
    const req =
      'POST /a HTTP/1.1\nHost: api.toy-cloud.example\nHost: evil.example\nTransfer-Encoding: chunked\n\n' +
      '3  \r\nabc\r\n2 \r\nde\r\n0\r\n\r\n';
    expect(expectSplitInvariant([up(req)])).toEqual([
      'host api.toy-cloud.example',
      'head #0 POST /a',
      'violation anomaly-bare-lf #0',
      'violation anomaly-host-duplicate #0',
      'violation anomaly-chunk-size-space #0',
      'body #0 abcde',
      'end #0',
    ]);
  });

  it('a response coded in HTTP/1.0 is flagged too; clean traffic gives no anomaly', () => {
    const res = 'HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n';
    expect(expectSplitInvariant([up(NEXT), down(res)])).toEqual([
      'host api.toy-cloud.example',
      'head #0 GET /next',
      'end #0',
      'head #1 200 <-0',
      'violation anomaly-te-http10 #1',
      'body #1 ok',
      'end #1',
    ]);
    const clean = 'POST /a HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n';
    expect(expectSplitInvariant([up(clean)]).filter((l) => l.startsWith('violation'))).toEqual([]);
  });

  it('says in the violation how it was read, never with captured content', () => {
    const messages: string[] = [];
    const h = new Http1Handler({ flowId: 'f', emit: () => {}, report: (v) => messages.push(v.message ?? '') });
    h.data('up', utf8('POST /a HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n'), 1);
    expect(messages).toEqual([ANOMALY_READINGS['cl-te']]);
  });
});

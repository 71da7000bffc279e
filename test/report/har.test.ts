import { describe, expect, it } from 'vitest';
import { exportable, HAR_TAIL, type HarEvidence, harEntries, harHead } from '../../src/report/har.ts';
import { finding, flowRecord, messageRecord, T0 } from '../../testkit/records.ts';

const request = messageRecord({ url: '/v1/voice?kid=7&sn=TB-9', bodyBytes: 4 });
const response = messageRecord({
  msgId: 1,
  direction: 'download',
  method: undefined,
  url: undefined,
  status: 200,
  requestId: 0,
  headers: [
    ['Content-Type', 'application/json'],
    ['Set-Cookie', 'sid=abc123'],
  ],
  contentType: 'application/json',
  mime: 'application/json',
  bodyBytes: 30,
  gapBytes: 2,
  firstTs: T0 + 2000,
  lastTs: T0 + 2500,
});
const wav: HarEvidence = { id: 'ev-1', mime: 'audio/wav', bytes: Uint8Array.of(1, 2, 3, 4), truncated: false };

describe('HAR export', () => {
  it('writes one entry per request with its response: heads masked, times, sizes, the flow as connection', () => {
    const [e] = harEntries(
      { flow: flowRecord(), messages: [request, response], findings: [], evidence: () => undefined },
      false,
    );
    expect(e).toMatchObject({
      startedDateTime: new Date(T0 / 1000).toISOString(),
      time: 2.5,
      request: {
        method: 'POST',
        url: 'https://api.toycloud.example/v1/voice?kid=•&sn=••••',
        headers: [
          { name: 'Host', value: 'api.toycloud.example' },
          { name: 'Content-Type', value: 'audio/wav' },
        ],
        queryString: [
          { name: 'kid', value: '•' },
          { name: 'sn', value: '••••' },
        ],
        bodySize: 4,
      },
      response: { status: 200, content: { size: 32, mimeType: 'application/json' }, bodySize: 32 },
      timings: { send: 0.5, wait: 1.5, receive: 0.5 },
      serverIPAddress: '127.0.0.1',
      connection: 'flow-1',
      _toyscope: {
        flowId: 'flow-1',
        transport: 'http',
        tls: 'intercepted',
        requestMsgId: 0,
        responseMsgId: 1,
        evidence: [],
      },
    });
    expect((e!.response.headers as Array<{ value: string }>)[1]?.value).not.toContain('abc123');
    expect(e?.request.postData).toBeUndefined();
  });

  it('carries a body only where evidence is that whole body, and only with reveal; notes it either way', () => {
    const input = { flow: flowRecord(), messages: [request, response], findings: [finding()], evidence: () => wav };
    const masked = harEntries(input, false)[0]!;
    expect(masked.request.postData).toBeUndefined();
    expect(masked._toyscope.evidence).toEqual([{ id: 'ev-1', msgId: 0, mime: 'audio/wav', bytes: 4, asBody: false }]);
    const revealed = harEntries(input, true)[0]!;
    expect(revealed.request.postData).toEqual({ mimeType: 'audio/wav', text: 'AQIDBA==', encoding: 'base64' });
    expect(revealed.request.url).toBe('https://api.toycloud.example/v1/voice?kid=7&sn=TB-9');
    const part = harEntries({ ...input, evidence: () => ({ ...wav, bytes: Uint8Array.of(1, 2) }) }, true)[0]!;
    expect(part.request.postData).toBeUndefined(); // a part of the body is not the body
  });

  it('puts WebSocket messages on the upgrade entry; MQTT, DNS and raw flows have no HAR form', () => {
    const flow = flowRecord({
      transport: 'websocket',
      tls: 'none',
      server: { ip: '127.0.0.9', port: 8080, host: 'ws.toy.example' },
    });
    const up = messageRecord({ method: 'GET', url: '/ch', bodyBytes: 0 });
    const switching = { ...response, status: 101, bodyBytes: 0, gapBytes: 0 };
    const text = messageRecord({
      msgId: 2,
      protocol: 'websocket',
      method: undefined,
      url: undefined,
      topic: 'text',
      firstTs: T0 + 5_000_000,
    });
    const binary = { ...text, msgId: 3, direction: 'download' as const, topic: 'binary' };
    const [e] = harEntries(
      { flow, messages: [up, switching, text, binary], findings: [], evidence: () => undefined },
      false,
    );
    expect(e?.request.url).toBe('http://ws.toy.example:8080/ch');
    expect(e?._webSocketMessages).toEqual([
      { type: 'send', time: (T0 + 5_000_000) / 1e6, opcode: 1, data: '' },
      { type: 'receive', time: (T0 + 5_000_000) / 1e6, opcode: 2, data: '' },
    ]);
    expect(e?._toyscope.transport).toBe('websocket');
    expect(
      ['http', 'websocket', 'mqtt', 'dns', 'tcp'].map((t) => exportable(flowRecord({ transport: t as 'http' }))),
    ).toEqual([true, true, false, false, false]);
  });

  it('frames the entries as one HAR 1.2 document', () => {
    const entries = harEntries(
      { flow: flowRecord(), messages: [request, response], findings: [], evidence: () => undefined },
      false,
    );
    const doc = JSON.parse(`${harHead('9.9.9')}${entries.map((e) => JSON.stringify(e)).join(',')}${HAR_TAIL}`);
    expect(doc.log).toMatchObject({ version: '1.2', creator: { name: 'toyscope', version: '9.9.9' }, pages: [] });
    expect(doc.log.entries).toHaveLength(1);
  });
});

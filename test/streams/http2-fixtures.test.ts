// The h2c fixtures (curl --http2-prior-knowledge, @grpc/grpc-js) through reader → TCP reassembly → router →
// Http2Stream, compared with the HTTP/2 view tshark recorded when each was made (make/tshark-http2-view.mjs):
// each request's method, path, host (:authority, HPACK- and Huffman-decoded) and body bytes, each answered.
import { describe, expect, it } from 'vitest';
import { replayFixture } from '../capture/fixture-replay.ts';

interface Http2View {
  requests: Array<{ stream: number; streamId: number; method: string; uri: string; host: string; bodyLength: number }>;
}

describe.each(['http2-prior-knowledge', 'grpc-h2c'])('%s fixture', (name) => {
  const run = replayFixture(name);
  const view = run.tshark as unknown as Http2View;

  it('has the requests tshark decoded, with their bodies, each answered, without violations', () => {
    const flows = [...run.out.flows.values()];
    expect(flows.every((f) => f.transport === 'http' && f.closed)).toBe(true);
    expect(run.out.violations).toEqual([]);
    const ours = [...run.messages.values()].flatMap((msgs) =>
      msgs
        .filter((m) => m.head.direction === 'upload')
        .map((m) => ({
          method: m.head.method,
          uri: m.head.url,
          host: m.head.headers.find(([n]) => n === 'host')?.[1].replace(/:\d+$/, ''),
          bodyLength: m.bytes,
          answered: msgs.some((r) => r.head.requestId === m.head.msgId && r.head.status === 200 && r.ended),
        })),
    );
    expect(view.requests.length).toBeGreaterThan(0);
    expect(ours).toEqual(
      view.requests.map(({ method, uri, host, bodyLength }) => ({ method, uri, host, bodyLength, answered: true })),
    );
  });
});

describe('http2-h2c-upgrade fixture (curl --http2 on http://)', () => {
  it('reads the HTTP/1.1 GET, the 101, then the HTTP/2 response on stream 1 answering the GET', () => {
    const run = replayFixture('http2-h2c-upgrade');
    expect(run.out.violations).toEqual([]);
    const [msgs] = [...run.messages.values()];
    expect(
      msgs!.map((m) => [m.head.msgId, m.head.method ?? m.head.status, m.head.requestId, m.bytes, m.ended]),
    ).toEqual([
      [0, 'GET', undefined, 0, true],
      [1, 101, 0, 0, true],
      [2, 200, 0, 53, true],
    ]);
    expect(run.tshark.requests.map((r) => r.uri)).toEqual([msgs![0]!.head.url]);
  });
});

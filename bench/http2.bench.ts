/**
 * HTTP/2 reading (src/streams/http2.ts: frames, HPACK, streams → FlowEvents) in MB/s, beside the HTTP/1 handler
 * reading the same requests as HTTP/1.1 with Content-Length, and a plain read of the bytes (bench/measure.ts).
 * Corpora: 8 streams at a time whose 16 KiB DATA frames interleave (bodies of 64 KiB), and many small requests
 * (1 KiB JSON bodies, headers indexed through HPACK's dynamic table after the first). Input in 64 KiB chunks.
 */
import { HTTP2_PREFACE } from '../src/decode/http2-frames.ts';
import { DEFAULT_LIMITS } from '../src/model/limits.ts';
import { Http1Handler } from '../src/streams/http1.ts';
import { Http2Stream } from '../src/streams/http2.ts';
import { msgIdCounter } from '../src/streams/mqtt.ts';
import { h2Frame, hpackLiteral } from '../testkit/http2-builders.ts';
import { chunksOf, mbPerSec, plainRead, round } from './measure.ts';
import type { Bench } from './run.ts';

const TOTAL = 32 * 1024 * 1024;

const frame = (type: number, flags: number, stream: number, payload: Uint8Array) =>
  Buffer.from(h2Frame(type, flags, stream, payload));
const lit = (name: string, value: string, index = false) => Buffer.from(hpackLiteral(name, value, index));
const HEADERS = [
  [':method', 'POST'],
  [':scheme', 'https'],
  [':path', '/v1/telemetry/upload'],
  [':authority', 'api.toy-cloud.example'],
  ['content-type', 'application/json'],
  ['user-agent', 'okhttp/4.12.0'],
] as const;
/** The first block adds every field to the dynamic table; later ones index them (62 + position from newest). */
const firstBlock = Buffer.concat(HEADERS.map(([n, v]) => lit(n, v, true)));
const laterBlock = Buffer.from(HEADERS.map((_, i) => 0x80 | (62 + HEADERS.length - 1 - i)));

function body(i: number, size: number): Buffer {
  const json = JSON.stringify({ seq: i, lat: 31.2, pad: 'x'.repeat(size) });
  return Buffer.from(json.slice(0, size));
}

/** `streams` requests at a time, bodies of `size` in DATA frames of `frameSize`, interleaved round-robin. */
function h2Corpus(streams: number, size: number, frameSize: number): { h2: Buffer; h1: Buffer; bodies: number } {
  const h2: Buffer[] = [HTTP2_PREFACE];
  const h1: Buffer[] = [];
  let id = 1;
  let total = 0;
  let bodies = 0;
  for (let round = 0; total < TOTAL; round++) {
    const batch = Array.from({ length: streams }, (_, k) => ({
      id: id + 2 * k,
      body: body(round * streams + k, size),
    }));
    id += 2 * streams;
    for (const s of batch) h2.push(frame(1, 0x4, s.id, round === 0 && s === batch[0] ? firstBlock : laterBlock));
    for (let off = 0; off < size; off += frameSize)
      for (const s of batch)
        h2.push(frame(0, off + frameSize >= size ? 1 : 0, s.id, s.body.subarray(off, off + frameSize)));
    for (const s of batch) {
      const head = `POST /v1/telemetry/upload HTTP/1.1\r\nhost: api.toy-cloud.example\r\ncontent-type: application/json\r\nuser-agent: okhttp/4.12.0\r\ncontent-length: ${size}\r\n\r\n`;
      h1.push(Buffer.from(head), s.body);
      total += size;
      bodies += size;
    }
  }
  return { h2: Buffer.concat(h2), h1: Buffer.concat(h1), bodies };
}

const bench: Bench = async (emit) => {
  let seen = 0;
  const emitEvent = (e: { type: string; data?: Uint8Array }) => {
    if (e.type === 'message.chunk') seen += e.data!.length;
  };
  const env = { flowId: 'b:1', emit: emitEvent, report: () => {}, limits: DEFAULT_LIMITS };
  const h2 = (chunks: Uint8Array[]) => () => {
    const s = new Http2Stream({ ...env, nextMsgId: msgIdCounter() });
    for (const c of chunks) s.data('up', c, 0);
    s.close(0);
  };
  const h1 = (chunks: Uint8Array[]) => () => {
    const s = new Http1Handler({ ...env, limits: DEFAULT_LIMITS });
    for (const c of chunks) s.data('up', c, 0);
    s.close(0, 'fin');
  };
  for (const [name, streams, size, frameSize] of [
    ['h2-8-streams-interleaved-64k', 8, 64 * 1024, 16 * 1024],
    ['h2-requests-1k', 1, 1024, 16 * 1024],
  ] as const) {
    const c = h2Corpus(streams, size, frameSize);
    const h2Chunks = chunksOf(c.h2);
    const h1Chunks = chunksOf(c.h1);
    seen = 0;
    h2(h2Chunks)();
    if (seen !== c.bodies) throw new Error(`${name}: read ${seen} of ${c.bodies} body bytes`);
    const mb = mbPerSec(c.h2.length, h2(h2Chunks));
    const http1 = mbPerSec(c.h1.length, h1(h1Chunks));
    const ref = mbPerSec(c.h2.length, () => plainRead(h2Chunks));
    emit({
      bench: 'http2',
      corpus: name,
      mb_per_s: mb,
      http1_mb_per_s: http1,
      reference_mb_per_s: ref,
      ratio_to_http1: round(mb / http1, 3),
      ratio: round(mb / ref, 3),
    });
  }
};

export default bench;

/**
 * WebSocket and MQTT decoding (src/decode/websocket.ts, mqtt.ts) in MB/s, beside a plain read of the same bytes
 * (bench/measure.ts plainRead). Corpora: masked client binary frames (unmask copies), unmasked server frames
 * (views), permessage-deflate JSON text frames with base64 audio (MB/s of inflated bytes; the reference reads the
 * inflated bytes), and MQTT PUBLISH streams with 1 KiB and 64-byte payloads. Input arrives in 64 KiB chunks.
 */
import { createDeflateRaw, deflateRawSync, constants as Z } from 'node:zlib';
import { MqttDecoder, type MqttSink } from '../src/decode/mqtt.ts';
import { unmask, WebSocketDecoder, type WebSocketSink } from '../src/decode/websocket.ts';
import { DEFAULT_LIMITS } from '../src/model/limits.ts';
import { chunksOf, mbPerSec, plainRead, round } from './measure.ts';
import type { Bench } from './run.ts';

const TOTAL = 32 * 1024 * 1024;
function pcm(bytes: number, from: number): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes / 2; i++) b.writeInt16LE(Math.round(6000 * Math.sin((from + i) / 5.7)), 2 * i);
  return b;
}

function wsFrame(opcode: number, payload: Uint8Array, mask: Uint8Array | undefined, rsv1 = false): Buffer {
  const len = payload.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const h = Buffer.alloc(2 + ext + (mask ? 4 : 0));
  h[0] = 0x80 | (rsv1 ? 0x40 : 0) | opcode;
  h[1] = (mask ? 0x80 : 0) | (ext === 0 ? len : ext === 2 ? 126 : 127);
  if (ext === 2) h.writeUInt16BE(len, 2);
  if (ext === 8) h.writeBigUInt64BE(BigInt(len), 2);
  if (mask) h.set(mask, 2 + ext);
  return Buffer.concat([h, mask ? unmask(payload, mask, 0) : payload]);
}

function corpus(make: (i: number) => Buffer): Buffer {
  const parts: Buffer[] = [];
  let size = 0;
  for (let i = 0; size < TOTAL; i++) {
    const p = make(i);
    parts.push(p);
    size += p.length;
  }
  return Buffer.concat(parts);
}

const str = (s: string) => {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
};
function mqttPublish(topic: string, payload: Buffer): Buffer {
  const body = Buffer.concat([str(topic), Buffer.from([0, 1]), payload]);
  const len: number[] = [];
  let n = body.length;
  do {
    len.push((n % 128) | (n >= 128 ? 0x80 : 0));
    n = Math.floor(n / 128);
  } while (n > 0);
  return Buffer.concat([Buffer.from([0x32, ...len]), body]);
}

const bench: Bench = async (emit) => {
  let seen = 0;
  const wsSink: WebSocketSink = {
    start: () => {},
    data: (d) => {
      seen += d.length;
    },
    gap: () => {},
    end: () => {},
    control: () => {},
    violation: () => {},
  };
  const mask = new Uint8Array([0x12, 0x34, 0x56, 0x78]);
  const limits = { MAX_INFLATE_BYTES: DEFAULT_LIMITS.MAX_INFLATE_BYTES };
  const ws = (chunks: Uint8Array[], fromClient: boolean) => () => {
    const d = new WebSocketDecoder(wsSink, { fromClient, limits });
    for (const c of chunks) d.write(c);
    d.end();
  };
  const figure = (corpusName: string, bytes: number, fn: () => void, refChunks: Uint8Array[]) => {
    const mb = mbPerSec(bytes, fn);
    const ref = mbPerSec(bytes, () => plainRead(refChunks));
    emit({ bench: 'protocols', corpus: corpusName, mb_per_s: mb, reference_mb_per_s: ref, ratio: round(mb / ref, 3) });
  };

  const masked = chunksOf(corpus((i) => wsFrame(2, pcm(4096, i * 2048), mask)));
  figure('ws-masked-binary-4k', TOTAL, ws(masked, true), masked);
  const plain = chunksOf(corpus((i) => wsFrame(2, pcm(4096, i * 2048), undefined)));
  figure('ws-server-binary-4k', TOTAL, ws(plain, false), plain);

  // 8 MiB of JSON text frames (40 ms of 16 kHz PCM as base64 each), compressed per message (no context
  // takeover: a fresh inflater per message) and as one stream (context takeover, ws's default).
  const texts: Buffer[] = [];
  for (let i = 0, n = 0; n < TOTAL / 4; i++) {
    texts.push(
      Buffer.from(JSON.stringify({ data: { status: 1, seq: i, audio: pcm(1280, i * 640).toString('base64') } })),
    );
    n += texts[i]!.length;
  }
  const inflated = texts.reduce((n, t) => n + t.length, 0);
  const perMessage = chunksOf(
    Buffer.concat(
      texts.map((t) => {
        const z = deflateRawSync(t, { finishFlush: Z.Z_SYNC_FLUSH });
        return wsFrame(1, z.subarray(0, z.length - 4), mask, true);
      }),
    ),
  );
  const stream = createDeflateRaw();
  const frames: Buffer[] = [];
  for (const t of texts) {
    const z = await new Promise<Buffer>((resolve) => {
      const out: Buffer[] = [];
      const take = (d: Buffer) => out.push(d);
      stream.on('data', take);
      stream.write(t);
      stream.flush(Z.Z_SYNC_FLUSH, () => {
        stream.off('data', take);
        resolve(Buffer.concat(out));
      });
    });
    frames.push(wsFrame(1, z.subarray(0, z.length - 4), mask, true));
  }
  stream.close();
  const takeover = chunksOf(Buffer.concat(frames));
  const wsDeflate = (chunks: Uint8Array[], noContextTakeover: boolean) => () => {
    const d = new WebSocketDecoder(wsSink, { fromClient: true, limits, deflate: { noContextTakeover } });
    for (const c of chunks) d.write(c);
    d.end();
  };
  for (const [name, chunks, noCtx] of [
    ['ws-deflate-json-base64-no-context-takeover', perMessage, true],
    ['ws-deflate-json-base64-context-takeover', takeover, false],
  ] as const) {
    seen = 0;
    wsDeflate(chunks, noCtx)();
    if (seen !== inflated) throw new Error(`${name}: inflated ${seen} of ${inflated}`);
    figure(name, inflated, wsDeflate(chunks, noCtx), chunksOf(Buffer.concat(texts)));
  }

  const mqttSink: MqttSink = {
    connect: () => {},
    publishStart: () => {},
    publishData: (d) => {
      seen += d.length;
    },
    publishGap: () => {},
    publishEnd: () => {},
    subscribe: () => {},
    violation: () => {},
  };
  const mqtt = (chunks: Uint8Array[]) => () => {
    const d = new MqttDecoder(mqttSink, { level: 4 });
    for (const c of chunks) d.write(c);
    d.end();
  };
  const json = (i: number, n: number) => Buffer.from(JSON.stringify({ id: i, lat: 31.2, pad: 'x'.repeat(n) }));
  const big = chunksOf(corpus((i) => mqttPublish('toys/XY-00017/telemetry', json(i, 1000))));
  figure('mqtt-publish-1k', TOTAL, mqtt(big), big);
  const small = chunksOf(corpus((i) => mqttPublish('t/s', json(i, 20))));
  figure('mqtt-publish-64b', TOTAL, mqtt(small), small);
};

export default bench;

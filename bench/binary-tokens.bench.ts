/**
 * Binary token streams: ProtobufTokenizer, CborTokenizer and MsgpackTokenizer on ~30 MB of telemetry-like
 * records (a batch of records per message, as a toy uploads them), fed in 64 KiB chunks to a sink that only
 * counts. Each figure sits beside a plain read of the same bytes (ratio = tokenizer / plain read) and beside the
 * encoder package's own decoder on the whole body (protobufjs with the schema, cborg, @msgpack/msgpack).
 */
import { decode as msgpackDecode, encode as msgpackEncode } from '@msgpack/msgpack';
import { decode as cborDecode, encode as cborEncode } from 'cborg';
import protobuf from 'protobufjs';
import type { BinaryTokenizerOptions } from '../src/decode/binary-tokens.ts';
import { CborTokenizer } from '../src/decode/cbor-tokens.ts';
import type { Tokenizer } from '../src/decode/filter.ts';
import { MsgpackTokenizer } from '../src/decode/msgpack-tokens.ts';
import { ProtobufTokenizer } from '../src/decode/protobuf-tokens.ts';
import { resolveLimits } from '../src/model/limits.ts';
import type { Token } from '../src/model/token.ts';
import { mbPerSec, plainRead, round } from './measure.ts';
import type { Bench } from './run.ts';

const CHUNK = 64 * 1024;
const TARGET = 30 * 1024 * 1024;
/** Records per encoded batch (a top-level `{records: [...]}` message). */
const BATCH = 1000;

const root = protobuf.Root.fromJSON({
  nested: {
    Loc: { fields: { lat: { type: 'double', id: 1 }, lon: { type: 'double', id: 2 }, acc: { type: 'float', id: 3 } } },
    Wifi: {
      fields: { ssid: { type: 'string', id: 1 }, bssid: { type: 'string', id: 2 }, rssi: { type: 'sint32', id: 3 } },
    },
    Child: { fields: { nickname: { type: 'string', id: 1 }, age: { type: 'uint32', id: 2 } } },
    Record: {
      fields: {
        ts: { type: 'int64', id: 1 },
        deviceId: { type: 'string', id: 2 },
        imei: { type: 'string', id: 3 },
        battery: { type: 'uint32', id: 4 },
        online: { type: 'bool', id: 5 },
        loc: { type: 'Loc', id: 6 },
        wifi: { rule: 'repeated', type: 'Wifi', id: 7 },
        child: { type: 'Child', id: 8 },
        event: { type: 'string', id: 9 },
      },
    },
    Batch: { fields: { records: { rule: 'repeated', type: 'Record', id: 1 } } },
  },
});
const Batch = root.lookupType('Batch');

function record(n: number) {
  return {
    ts: 1_700_000_000_000 + n * 1000,
    deviceId: `TOY-${(n * 7919) % 100000}`,
    imei: '862012345678901',
    battery: n % 100,
    online: n % 3 !== 0,
    loc: { lat: 31.2304 + (n % 1000) / 1e5, lon: 121.4737 - (n % 777) / 1e5, acc: 12.5 },
    wifi: [
      { ssid: 'HomeNet-5G', bssid: 'a4:2b:b0:12:34:56', rssi: -40 - (n % 50) },
      { ssid: '邻居家', bssid: 'f0:9f:c2:aa:bb:cc', rssi: -71 },
    ],
    child: { nickname: 'Mimi', age: 6 },
    event: n % 5 === 0 ? 'voice_start' : 'heartbeat',
  };
}

/** One encoded batch repeated to ~TARGET bytes, and cut into CHUNK-sized chunks. */
function corpus(encode: (batch: { records: ReturnType<typeof record>[] }) => Uint8Array) {
  const batch = encode({ records: Array.from({ length: BATCH }, (_, i) => record(i)) });
  const copies = Math.ceil(TARGET / batch.length);
  const body = new Uint8Array(batch.length * copies);
  for (let i = 0; i < copies; i++) body.set(batch, i * batch.length);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < body.length; i += CHUNK) chunks.push(body.subarray(i, i + CHUNK));
  return { batch, body, chunks };
}

type TokenizerClass = new (sink: (t: Token) => void, opts: BinaryTokenizerOptions) => Tokenizer;

function tokenize(T: TokenizerClass, chunks: Uint8Array[]): number {
  let n = 0;
  const t = new T(() => n++, { limits: resolveLimits(), report: () => {} });
  for (const c of chunks) t.write(c);
  t.end();
  return n;
}

const bench: Bench = async (emit) => {
  const cases = [
    {
      corpus: 'protobuf-telemetry',
      T: ProtobufTokenizer,
      data: corpus((b) => Batch.encode(Batch.create(b)).finish()),
      reference: 'protobufjs-decode',
      decode: (batch: Uint8Array) => Batch.decode(batch),
    },
    {
      corpus: 'cbor-telemetry',
      T: CborTokenizer,
      data: corpus((b) => cborEncode(b)),
      reference: 'cborg-decode',
      decode: (batch: Uint8Array) => cborDecode(batch),
    },
    {
      corpus: 'msgpack-telemetry',
      T: MsgpackTokenizer,
      data: corpus((b) => msgpackEncode(b)),
      reference: 'msgpack-decode',
      decode: (batch: Uint8Array) => msgpackDecode(batch),
    },
  ];
  for (const c of cases) {
    const { body, chunks, batch } = c.data;
    const bytes = body.length;
    const plain = mbPerSec(bytes, () => plainRead(chunks));
    const mb = mbPerSec(bytes, () => tokenize(c.T, chunks), 3);
    const tokens = tokenize(c.T, chunks);
    emit({
      bench: 'binary-tokens',
      corpus: c.corpus,
      mb_per_s: mb,
      reference_mb_per_s: plain,
      ratio: round(mb / plain, 3),
      tokens,
      bytes,
    });
    const copies = bytes / batch.length;
    const lib = mbPerSec(
      bytes,
      () => {
        for (let i = 0; i < copies; i++) c.decode(batch);
      },
      3,
    );
    emit({
      bench: 'binary-tokens',
      corpus: c.corpus,
      mb_per_s: mb,
      reference: c.reference,
      reference_mb_per_s: lib,
      ratio: round(mb / lib, 3),
    });
  }
};

export default bench;

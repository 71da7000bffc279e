/**
 * Byte decoders: gzip and brotli inflate, multipart parsing and base64 decoding, in MB/s of decoded bytes, each
 * beside a plain read of the same decoded bytes (bench/measure.ts plainRead). Input arrives in 64 KiB chunks.
 */
import zlib from 'node:zlib';
import { Base64Decoder } from '../src/decode/base64.ts';
import { createContentDecoder } from '../src/decode/content-encoding.ts';
import type { ByteSink } from '../src/decode/filter.ts';
import { MultipartParser } from '../src/decode/multipart.ts';
import { DEFAULT_LIMITS } from '../src/model/limits.ts';
import { chunksOf, mbPerSec, plainRead, round } from './measure.ts';
import type { Bench } from './run.ts';

function jsonCorpus(bytes: number): Buffer {
  const rows: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const row = JSON.stringify({
      id: i,
      device: `toy-${i % 97}`,
      lat: 31.2 + (i % 1000) / 1e4,
      lon: 121.4,
      text: `utterance ${i * 7919}`,
    });
    rows.push(row);
    size += row.length + 1;
  }
  return Buffer.from(rows.join('\n'));
}

const bench: Bench = async (emit) => {
  let sink = 0;
  const out: ByteSink = {
    write: (c) => {
      sink += c.length;
    },
    end() {},
  };
  const figure = (name: string, corpus: string, bytes: number, run: () => void, reference: Uint8Array[]) => {
    const mb = mbPerSec(bytes, run, 3);
    const ref = mbPerSec(bytes, () => plainRead(reference), 3);
    emit({ bench: name, corpus, mb_per_s: mb, reference_mb_per_s: ref, ratio: round(mb / ref, 3) });
  };

  const json = jsonCorpus(50 * 1024 * 1024);
  const jsonChunks = chunksOf(json);
  const gz = chunksOf(zlib.gzipSync(json));
  figure(
    'inflate',
    'json-gzip-50mb',
    json.length,
    () => {
      const f = createContentDecoder('gzip', DEFAULT_LIMITS, () => {});
      for (const c of gz) f.write(c, out);
      f.end(out);
    },
    jsonChunks,
  );

  const brJson = json.subarray(0, 20 * 1024 * 1024);
  const br = chunksOf(zlib.brotliCompressSync(brJson, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } }));
  figure(
    'inflate',
    'json-brotli-20mb',
    brJson.length,
    () => {
      const f = createContentDecoder('br', DEFAULT_LIMITS, () => {});
      for (const c of br) f.write(c, out);
      f.end(out);
    },
    chunksOf(brJson),
  );

  const boundary = '------------------------b12c02bc5dbd5535';
  const fileData = Buffer.alloc(1024 * 1024, 0x61);
  const parts: Buffer[] = [];
  for (let i = 0; i < 40; i++) {
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="f${i}"; filename="a${i}.bin"\r\n\r\n`),
      fileData,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  const form = Buffer.concat(parts);
  const formChunks = chunksOf(form);
  figure(
    'multipart',
    'form-40x1mb',
    form.length,
    () => {
      const p = new MultipartParser(
        boundary,
        {
          partStart() {},
          partData: (c) => {
            sink += c.length;
          },
          partEnd() {},
        },
        DEFAULT_LIMITS,
        () => {},
      );
      for (const c of formChunks) p.write(c);
      p.end();
    },
    formChunks,
  );

  const raw = json.subarray(0, 30 * 1024 * 1024);
  const b64 = raw.toString('base64');
  const pieces: string[] = [];
  for (let i = 0; i < b64.length; i += DEFAULT_LIMITS.MAX_TOKEN_BYTES)
    pieces.push(b64.slice(i, i + DEFAULT_LIMITS.MAX_TOKEN_BYTES));
  figure(
    'base64',
    'json-30mb-in-64k-pieces',
    raw.length,
    () => {
      const d = new Base64Decoder(() => {});
      for (const p of pieces) d.write(p, out);
      d.end(out);
    },
    chunksOf(raw),
  );
  if (sink < 0) emit({ bench: 'never', sink });
};

export default bench;

/**
 * Message bodies a smart toy uploads, for the pipeline and replay benches: JSON telemetry, gzip JSON batches,
 * WAV-like 16 kHz PCM, JPEG-like images, multipart forms holding both, base64 audio inside JSON, and raw binary.
 * Deterministic (seeded), synthetic: shaped like the real thing for magic sniffing and tokenizers, not real media,
 * except where a caller gives a multipart upload a real photo (REAL_PHOTOS) so the face detector has something to
 * decode. It makes bytes only; bench/make-corpus.ts wraps them into a capture and bench/pipeline.bench.ts into FlowEvents.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

/** The kinds of upload in the mixed corpus. */
export type BodyKind = 'json' | 'gzip-json' | 'chunked-wav' | 'multipart' | 'base64-audio' | 'raw';

/** One upload: its HTTP request line target, headers (without Host / framing) and body bytes. */
export interface Upload {
  kind: BodyKind;
  path: string;
  headers: Array<[string, string]>;
  body: Uint8Array;
  /** Body bytes after content decoding (= body.length unless gzip). */
  decodedBytes: number;
}

/** xorshift32: a small deterministic generator, so every run builds the same bytes. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

const enc = new TextEncoder();

/** One telemetry event as a toy batches it (identifiers, location, Wi-Fi scan, child profile). */
export function telemetryEvent(n: number): Record<string, unknown> {
  return {
    ts: 1_700_000_000_000 + n * 1000,
    deviceId: `TOY-${(n * 7919) % 100000}`,
    imei: '862012345678901',
    mac: 'a4:2b:b0:12:34:56',
    battery: n % 100,
    loc: { lat: 31.2304 + (n % 1000) / 1e5, lon: 121.4737 - (n % 777) / 1e5, acc: 12.5 },
    wifi: [
      { ssid: 'HomeNet-5G', bssid: 'a4:2b:b0:12:34:56', rssi: -40 - (n % 50) },
      { ssid: '邻居家', bssid: 'f0:9f:c2:aa:bb:cc', rssi: -71 },
    ],
    child: { nickname: 'Mimi', age: 6, birthday: '2018-05-04' },
    event: n % 5 === 0 ? 'voice_start' : 'heartbeat',
  };
}

/** A JSON telemetry document of about `bytes` bytes (a batch of events). */
export function telemetryJson(seed: number, bytes: number): Uint8Array {
  const events: Record<string, unknown>[] = [];
  let size = 40;
  for (let n = seed * 1000; size < bytes; n++) {
    const e = telemetryEvent(n);
    events.push(e);
    size += JSON.stringify(e).length + 1;
  }
  return enc.encode(JSON.stringify({ v: 2, seq: seed, events }));
}

/** A WAV file (RIFF, 16 kHz mono s16le) of about `bytes` bytes: a wobbling tone with noise, voice-like in level. */
export function wavBytes(seed: number, bytes: number): Uint8Array {
  const samples = Math.max(1, Math.floor((bytes - 44) / 2));
  const out = new Uint8Array(44 + samples * 2);
  const v = new DataView(out.buffer);
  out.set(enc.encode('RIFF'), 0);
  v.setUint32(4, 36 + samples * 2, true);
  out.set(enc.encode('WAVEfmt '), 8);
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, 16000, true);
  v.setUint32(28, 32000, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  out.set(enc.encode('data'), 36);
  v.setUint32(40, samples * 2, true);
  const r = rng(seed);
  const f = 180 + (seed % 7) * 20;
  for (let i = 0; i < samples; i++) {
    const env = 0.5 + 0.5 * Math.sin((2 * Math.PI * i) / 4000);
    const s = 6000 * env * Math.sin((2 * Math.PI * f * i) / 16000) + ((r() & 0x3ff) - 512);
    v.setInt16(44 + 2 * i, Math.round(s), true);
  }
  return out;
}

/** A JPEG-like file of about `bytes` bytes: SOI, JFIF APP0, SOF0 (640×480), SOS, random entropy data, EOI. */
export function jpegBytes(seed: number, bytes: number): Uint8Array {
  const head = Uint8Array.from([
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x48, 0x00, 0x48, 0x00,
    0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0xe0, 0x02, 0x80, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11,
    0x01, 0xff, 0xda, 0x00, 0x0c, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3f, 0x00,
  ]);
  const out = new Uint8Array(Math.max(bytes, head.length + 2));
  out.set(head);
  const r = rng(seed);
  for (let i = head.length; i < out.length - 2; i++) out[i] = r() % 0xff; // never 0xff: no stray markers
  out.set([0xff, 0xd9], out.length - 2);
  return out;
}

/**
 * Photos of fixtures/face-corpus that decode, for the replay corpus: a face the fast pass decides (512 × 512) and
 * a 640 × 480 photo of two people that takes the detector's second pass (SSD), its costliest in memory.
 */
export const REAL_PHOTOS: readonly string[] = ['pos-astronaut.jpg', 'pos-basketball1.jpg'];

/** The bytes of one of REAL_PHOTOS. */
export function realPhoto(name: string): Uint8Array {
  return readFileSync(join(import.meta.dirname, '../fixtures/face-corpus', name));
}

/** Random bytes: an encrypted or proprietary blob. */
export function rawBytes(seed: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  const r = rng(seed);
  for (let i = 0; i + 4 <= bytes; i += 4) new DataView(out.buffer).setUint32(i, r());
  return out;
}

/** A multipart/form-data body of text fields and files; returns the body and its boundary. */
export function multipart(
  seed: number,
  parts: Array<{ name: string; filename?: string; type?: string; data: Uint8Array | string }>,
): { boundary: string; body: Uint8Array } {
  const boundary = `------------------------toyscope${seed.toString(16).padStart(8, '0')}`;
  const pieces: Uint8Array[] = [];
  for (const p of parts) {
    const file = p.filename ? `; filename="${p.filename}"` : '';
    const type = p.type ? `\r\nContent-Type: ${p.type}` : '';
    pieces.push(enc.encode(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${file}${type}\r\n\r\n`));
    pieces.push(typeof p.data === 'string' ? enc.encode(p.data) : p.data, enc.encode('\r\n'));
  }
  pieces.push(enc.encode(`--${boundary}--\r\n`));
  return { boundary, body: Buffer.concat(pieces) };
}

/**
 * An upload of `kind`, about the corpus's typical size for that kind (1.5 KiB of JSON up to 160 KiB of audio);
 * `photo` replaces a multipart upload's JPEG-like part.
 */
export function upload(kind: BodyKind, seed: number, photo?: Uint8Array): Upload {
  const u = plainUpload(kind, seed, photo);
  return { ...u, decodedBytes: kind === 'gzip-json' ? gunzipSync(u.body).length : u.body.length };
}

function plainUpload(kind: BodyKind, seed: number, photo?: Uint8Array): Omit<Upload, 'decodedBytes'> {
  const json: [string, string] = ['Content-Type', 'application/json'];
  switch (kind) {
    case 'json':
      return { kind, path: '/v1/telemetry', headers: [json], body: telemetryJson(seed, 1500) };
    case 'gzip-json':
      return {
        kind,
        path: '/v1/events/batch',
        headers: [json, ['Content-Encoding', 'gzip']],
        body: gzipSync(telemetryJson(seed, 96 * 1024), { level: 6 }),
      };
    case 'chunked-wav':
      return {
        kind,
        path: '/speech/v1/recognize',
        headers: [['Content-Type', 'audio/wav']],
        body: wavBytes(seed, 160_000),
      };
    case 'multipart': {
      const { boundary, body } = multipart(seed, [
        { name: 'meta', data: JSON.stringify(telemetryEvent(seed)) },
        { name: 'photo', filename: `cam-${seed}.jpg`, type: 'image/jpeg', data: photo ?? jpegBytes(seed, 60_000) },
        { name: 'voice', filename: `msg-${seed}.wav`, type: 'audio/wav', data: wavBytes(seed + 1, 64_000) },
      ]);
      return {
        kind,
        path: '/api/upload',
        headers: [['Content-Type', `multipart/form-data; boundary=${boundary}`]],
        body,
      };
    }
    case 'base64-audio': {
      const audio = Buffer.from(wavBytes(seed, 64_000)).toString('base64');
      const doc = { deviceId: `TOY-${seed}`, format: 'wav', rate: 16000, audio };
      return { kind, path: '/v2/voice/message', headers: [json], body: enc.encode(JSON.stringify(doc)) };
    }
    case 'raw':
      return {
        kind,
        path: '/ota/log',
        headers: [['Content-Type', 'application/octet-stream']],
        body: rawBytes(seed, 128 * 1024),
      };
  }
}

/** The mix of uploads, by weight out of 20 (telemetry most often, by count; audio and images most, by bytes). */
export const MIX: ReadonlyArray<[BodyKind, number]> = [
  ['json', 6],
  ['gzip-json', 4],
  ['chunked-wav', 3],
  ['multipart', 3],
  ['base64-audio', 2],
  ['raw', 2],
];

/** The kind for a draw in [0, 20). */
export function kindOf(draw: number): BodyKind {
  let d = draw % 20;
  for (const [kind, w] of MIX) {
    if (d < w) return kind;
    d -= w;
  }
  return 'json';
}

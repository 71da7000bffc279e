import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gunzipFrame as gunzip, gzipOffset } from '../../analyzers/lib/audio-gzip-frame.ts';
import { voice } from '../../analyzers/voice.ts';
import { captureOf } from '../../eval/score.ts';
import type { FlowEvent } from '../../src/model/events.ts';
import { DEFAULT_LIMITS } from '../../src/model/limits.ts';
import { FlowScript, play } from '../../testkit/playbook.ts';
import { replayCapture } from '../../testkit/replay.ts';
import { evidenceBytes, FIXTURES, speechPcm } from './voice-samples.ts';

const binary = { protocol: 'websocket' as const, ws: { opcode: 2, compressed: false } };
const text = { protocol: 'websocket' as const, ws: { opcode: 1, compressed: false } };

/** A vendor frame: magic `TOYA`, a big-endian length, then a gzip member of `payload`. */
function toyaFrame(payload: Uint8Array): Buffer {
  const gz = gzipSync(payload);
  const head = Buffer.alloc(8);
  head.write('TOYA', 0, 'latin1');
  head.writeUInt32BE(gz.length, 4);
  return Buffer.concat([head, gz]);
}

/** WebSocket binary messages of `size`-byte slices of `bytes`, message i at `i * everyUs` µs. */
function paced(bytes: Buffer, size: number, everyUs: number, wrap: (b: Buffer) => Uint8Array = (b) => b) {
  const s = new FlowScript({ transport: 'websocket' });
  let id = 0;
  for (let o = 0; o < bytes.length; o += size) s.message({ msgId: id++, ...binary }, wrap(bytes.subarray(o, o + size)));
  s.close();
  const t0 = s.events[0]!.ts;
  let msg = 0;
  return s.events.map((ev): FlowEvent => {
    if (ev.type === 'message.head') msg++;
    return { ...ev, ts: t0 + msg * everyUs };
  });
}

const gunzipFrame = (frame: Uint8Array) => gunzip(frame, DEFAULT_LIMITS);

describe('vendor binary framing with a gzip payload', () => {
  it('finds a gzip member behind a short vendor header and inflates it, bounded', () => {
    const pcm = speechPcm().subarray(0, 3200);
    const frame = toyaFrame(pcm);
    expect(gzipOffset(frame)).toBe(8);
    expect(Buffer.from(gunzipFrame(frame)!)).toEqual(pcm);
    expect(gzipOffset(Buffer.concat([Buffer.alloc(40), frame]))).toBe(-1); // header too long to be framing
    expect(gunzipFrame(frame.subarray(0, 200))?.length).toBeGreaterThan(0); // a truncated member gives its head
    expect(gunzipFrame(Buffer.concat([frame.subarray(0, 18), Buffer.alloc(100, 0xa5)]))).toBeUndefined();
    const bomb = Buffer.concat([
      Buffer.from('TOYA\0\0\0\0'),
      gzipSync(Buffer.alloc(4 * DEFAULT_LIMITS.MAX_AUDIO_GUNZIP_BYTES)),
    ]);
    expect(gunzipFrame(bomb)).toBeUndefined();
  });

  it('reports speech sent as gzip-compressed PCM in vendor frames as one raw-pcm stream', () => {
    const pcm = speechPcm();
    const out = play([voice], paced(pcm, 1280, 40_000, toyaFrame));
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]).toMatchObject({
      subtype: 'raw-pcm',
      final: true,
      detail: { codec: 'pcm-s16le', sampleRate: 16000, sampleRateFrom: 'cadence', bytes: pcm.length, streaming: true },
    });
    const wav = evidenceBytes(out, out.findings[0]!.evidence.evidenceId);
    expect(wav.subarray(44)).toEqual(pcm);
  });

  it('reports speech sent as bare gzip members (no vendor header) once, with every byte once', () => {
    const pcm = speechPcm();
    const out = play(
      [voice],
      paced(pcm, 1280, 40_000, (b) => gzipSync(b)),
    );
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]).toMatchObject({ subtype: 'raw-pcm', final: true, detail: { bytes: pcm.length } });
    expect(evidenceBytes(out, out.findings[0]!.evidence.evidenceId).subarray(44)).toEqual(pcm);
  });

  it('gives the same finding when each framed message arrives in pieces cut inside the header', () => {
    const pcm = speechPcm();
    const whole = play([voice], paced(pcm, 1280, 40_000, toyaFrame)).findings;
    const cut = paced(pcm, 1280, 40_000, toyaFrame).flatMap((ev): FlowEvent[] =>
      ev.type === 'message.chunk'
        ? [5, 17, ev.data.length].map((end, i, ends) => ({ ...ev, data: ev.data.subarray(i ? ends[i - 1] : 0, end) }))
        : [ev],
    );
    expect(play([voice], cut).findings.map((f) => f.detail)).toEqual(whole.map((f) => f.detail));
  });

  it('gives nothing for gzip-framed random bytes or a gzip of text', () => {
    const random = Buffer.alloc(80_000);
    for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761) >>> 24;
    expect(play([voice], paced(random, 1280, 40_000, toyaFrame)).findings).toEqual([]);
    const words = Buffer.from('the quick brown fox jumps over the lazy dog '.repeat(2000));
    expect(play([voice], paced(words, 1280, 40_000, toyaFrame)).findings).toEqual([]);
  });
});

describe('cadence as evidence of the sample rate', () => {
  it('takes 16 kHz from 1280 bytes every 40 ms when the session names no rate', () => {
    const out = play([voice], paced(speechPcm(), 1280, 40_000));
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]!.detail).toMatchObject({ sampleRate: 16000, sampleRateFrom: 'cadence' });
    expect(evidenceBytes(out, out.findings[0]!.evidence.evidenceId).readUInt32LE(24)).toBe(16000);
  });

  it('believes the cadence over the signal: the same samples paced at 640 bytes per 40 ms are 8 kHz', () => {
    const out = play([voice], paced(speechPcm(), 640, 40_000));
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]!.detail).toMatchObject({ sampleRate: 8000, sampleRateFrom: 'cadence' });
  });
});

describe('raw Opus packets', () => {
  it('does not believe a hello when the packets do not last its frame_duration (random bytes)', () => {
    const s = new FlowScript({ transport: 'websocket' });
    s.message(
      { msgId: 0, ...text },
      '{"type":"hello","audio_params":{"format":"opus","sample_rate":16000,"frame_duration":60}}',
    );
    let x = 7;
    for (let i = 1; i <= 60; i++) {
      const p = new Uint8Array(90).map(() => {
        x = (x * 1103515245 + 12345) >>> 0;
        return x >>> 24;
      });
      s.message({ msgId: i, ...binary }, p);
    }
    expect(play([voice], s.close().events).findings).toEqual([]);
  });
});

describe('recorded voice streams', () => {
  it('voice-ws-xfyun: one finding reported early, updated per frame, WAV evidence of the whole stream', () => {
    const { out } = replayCapture(captureOf(join(FIXTURES, 'voice-ws-xfyun')), [voice]);
    expect(out.findings).toHaveLength(1);
    const f = out.findings[0]!;
    expect(f).toMatchObject({ subtype: 'raw-pcm', final: true, detail: { sampleRate: 16000, streaming: true } });
    const updates = out.findingUpdates.filter((u) => u.id === f.id);
    expect(updates.length).toBeGreaterThan(50);
    expect(updates[0]!.final).toBe(false);
    const wav = evidenceBytes(out, f.evidence.evidenceId);
    expect(wav.readUInt32LE(24)).toBe(16000);
    expect(wav.length - 44).toBe(f.detail?.bytes);
    expect(Math.abs((wav.length - 44) / 32 - Number(f.detail?.durationMs))).toBeLessThan(2);
  });

  it('voice-mqtt: the rate comes from the cadence of the publishes', () => {
    const { out } = replayCapture(captureOf(join(FIXTURES, 'voice-mqtt')), [voice]);
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]!.detail).toMatchObject({ sampleRate: 16000, sampleRateFrom: 'cadence' });
    expect(evidenceBytes(out, out.findings[0]!.evidence.evidenceId).readUInt32LE(24)).toBe(16000);
  });

  it('neg-ws-tts-download: speech streamed down gives nothing', () => {
    const { out } = replayCapture(captureOf(join(FIXTURES, 'neg-ws-tts-download')), [voice]);
    expect(out.findings).toEqual([]);
  });
});

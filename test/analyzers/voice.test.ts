import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { id3v2Size, mpegHeader } from '../../analyzers/lib/audio-mp3.ts';
import { voice } from '../../analyzers/voice.ts';
import { captureOf } from '../../eval/score.ts';
import { FlowScript, play } from '../../testkit/playbook.ts';
import { replayCapture } from '../../testkit/replay.ts';
import { run } from './run.ts';
import { containerBody, evidenceBytes, FIXTURES, speechPcm } from './voice-samples.ts';

describe('voice evidence plays', () => {
  it('wraps raw PCM in a WAV header whose format and duration match the finding', () => {
    const { out } = replayCapture(captureOf(join(FIXTURES, 'voice-raw-pcm')), [voice]);
    expect(out.findings).toHaveLength(2);
    for (const f of out.findings) {
      const wav = evidenceBytes(out, f.evidence.evidenceId);
      expect(wav.toString('latin1', 0, 4)).toBe('RIFF');
      expect(wav.toString('latin1', 8, 16)).toBe('WAVEfmt ');
      expect(wav.readUInt16LE(20)).toBe(1); // PCM
      expect(wav.readUInt16LE(22)).toBe(1);
      const rate = wav.readUInt32LE(24);
      expect(rate).toBe(f.detail?.sampleRate);
      expect(wav.readUInt16LE(34)).toBe(16);
      expect(wav.toString('latin1', 36, 40)).toBe('data');
      expect(wav.readUInt32LE(40)).toBe(0xffffffff); // streaming sizes: "until the end of the file"
      const durationMs = ((wav.length - 44) / (2 * rate)) * 1000;
      expect(Math.abs(durationMs - Number(f.detail?.durationMs))).toBeLessThan(2);
      expect(durationMs).toBeGreaterThan(2000);
    }
  });

  it('keeps a WAV container as sent, with its header duration', () => {
    const { out } = replayCapture(captureOf(join(FIXTURES, 'voice-http-containers')), [voice]);
    const f = out.findings.find((x) => x.subtype === 'wav')!;
    const wav = evidenceBytes(out, f.evidence.evidenceId);
    const dataBytes = wav.readUInt32LE(40);
    expect(wav.toString('latin1', 36, 40)).toBe('data');
    expect(Math.round((dataBytes / wav.readUInt32LE(28)) * 1000)).toBe(f.detail?.durationMs);
    const ogg = out.findings.find((x) => x.subtype === 'opus')!;
    expect(evidenceBytes(out, ogg.evidence.evidenceId).toString('latin1', 0, 4)).toBe('OggS');
    expect(Number(ogg.detail?.durationMs)).toBeGreaterThan(2500);
  });

  it('marks evidence truncated past the evidence cap', () => {
    const pcm = speechPcm();
    const s = new FlowScript().message({ msgId: 0, headers: [['content-type', 'application/octet-stream']] }, pcm);
    const out = play([voice], s.close().events, { MAX_EVIDENCE_BYTES: 10_000 });
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]!.evidence.truncated).toBe(true);
  });
});

describe('voice streams', () => {
  it('reports raw Opus packets announced by a hello frame as one streaming finding, updated as packets come', () => {
    const s = new FlowScript({ transport: 'websocket' });
    const ws = (opcode: number) => ({ protocol: 'websocket' as const, ws: { opcode, compressed: false } });
    s.message(
      { msgId: 0, ...ws(1) },
      '{"type":"hello","version":1,"audio_params":{"format":"opus","sample_rate":16000,"channels":1,"frame_duration":60}}',
    );
    const packet = new Uint8Array(80).fill(0x33);
    packet[0] = 11 << 3; // SILK wideband, 60 ms, one frame
    for (let i = 1; i <= 20; i++) s.message({ msgId: i, ...ws(2) }, packet);
    const out = play([voice], s.close().events);
    expect(out.findings).toHaveLength(1);
    const f = out.findings[0]!;
    expect(f).toMatchObject({
      subtype: 'opus',
      final: true,
      detail: { sampleRate: 16000, durationMs: 1200, streaming: true },
    });
    const updates = out.findingUpdates.filter((u) => u.id === f.id);
    expect(updates.length).toBeGreaterThan(10);
    expect(updates[0]!.final).toBe(false);
  });

  it('joins base64 PCM spread over many JSON frames into one raw-pcm stream with the session rate', () => {
    const pcm = speechPcm();
    const s = new FlowScript({ transport: 'websocket' });
    let id = 0;
    for (let o = 0; o < pcm.length; o += 1280) {
      const audio = pcm.subarray(o, o + 1280).toString('base64');
      const frame = { data: { status: o === 0 ? 0 : 1, format: 'audio/L16;rate=16000', encoding: 'raw', audio } };
      s.message({ msgId: id++, protocol: 'websocket', ws: { opcode: 1, compressed: false } }, JSON.stringify(frame));
    }
    const out = play([voice], s.close().events);
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]).toMatchObject({
      subtype: 'raw-pcm',
      detail: { sampleRate: 16000, sampleRateFrom: 'session', streaming: true },
    });
    expect(out.findings[0]!.detail?.bytes).toBe(pcm.length);
    expect(Math.abs(Number(out.findings[0]!.detail?.durationMs) - pcm.length / 32)).toBeLessThan(2);
  });

  it('does not report downloads (a TTS reply)', () => {
    const pcm = speechPcm();
    const s = new FlowScript().message({ msgId: 0, direction: 'download', status: 200 }, pcm);
    expect(play([voice], s.close().events).findings).toEqual([]);
  });

  it('gives the same finding whatever the chunking', () => {
    const pcm = speechPcm();
    const chunks = [];
    for (let o = 0; o < pcm.length; o += 333) chunks.push(pcm.subarray(o, o + 333));
    const whole = play([voice], new FlowScript().message({ msgId: 0 }, pcm).close().events).findings;
    const split = play([voice], new FlowScript().message({ msgId: 0 }, ...chunks).close().events).findings;
    expect(split.map((f) => f.detail)).toEqual(whole.map((f) => f.detail));
    expect(whole).toHaveLength(1);
  });
});

describe('voice over RTP', () => {
  /** RTP packets as src/streams/rtp.ts gives them: one message each, its fields as headers. */
  function rtpScript(packets: Array<{ payload: Uint8Array; pt: number; seq: number; ts: number; ssrc?: string }>) {
    const s = new FlowScript({ transport: 'udp' });
    for (const [i, p] of packets.entries()) {
      const headers: Array<[string, string]> = [
        ['Payload-Type', String(p.pt)],
        ['SSRC', p.ssrc ?? 'cafe0001'],
        ['Sequence', String(p.seq)],
        ['Timestamp', String(p.ts)],
      ];
      s.message({ msgId: i, protocol: 'rtp', headers }, p.payload);
    }
    return s.close().events;
  }
  const opusPacket = new Uint8Array(60).fill(0x5a);
  opusPacket[0] = 15 << 3; // hybrid fullband, 20 ms, one frame

  it('plays its G.711 evidence as a WAV of the expanded samples, as long as the finding says', () => {
    const { out } = replayCapture(captureOf(join(FIXTURES, 'voice-rtp')), [voice]);
    const g711 = out.findings.filter((f) => f.subtype === 'g711');
    expect(g711.map((f) => f.detail?.codec).sort()).toEqual(['pcma', 'pcmu']);
    for (const f of g711) {
      const wav = evidenceBytes(out, f.evidence.evidenceId);
      expect(wav.toString('latin1', 0, 4)).toBe('RIFF');
      expect(wav.readUInt32LE(24)).toBe(8000);
      expect(Math.abs((wav.length - 44) / 16 - Number(f.detail?.durationMs))).toBeLessThan(2);
      expect(wav.length - 44).toBe(2 * Number(f.detail?.bytes)); // one byte a sample sent, two in the clip
    }
    const opus = out.findings.find((f) => f.subtype === 'opus')!;
    expect(evidenceBytes(out, opus.evidence.evidenceId).toString('latin1', 0, 4)).toBe('OggS');
  });

  it('believes Opus in a dynamic payload type when its timestamps step by its packets’ durations at 48 kHz', () => {
    // 20 ms packets: 960 ticks each; the fifth packet lost (the sequence skips, the clock steps twice as far).
    const packets = Array.from({ length: 30 }, (_, i) => i)
      .filter((i) => i !== 5)
      .map((i) => ({ payload: opusPacket, pt: 111, seq: 100 + i, ts: 5000 + 960 * i }));
    // A DTMF event (RFC 4733, its own payload type under the same source) is not audio of the stream.
    const dtmf = { payload: Uint8Array.from([5, 0x8a, 0, 160]), pt: 101, seq: 200, ts: 5000 };
    const out = play([voice], rtpScript([...packets.slice(0, 12), dtmf, ...packets.slice(12)]));
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]).toMatchObject({
      subtype: 'opus',
      detail: { container: 'rtp', durationMs: 29 * 20, packets: 29 },
    });
  });

  it('does not take video (a 90 kHz clock, a frame in several packets) or another clock for Opus', () => {
    const video = Array.from({ length: 40 }, (_, i) => ({
      payload: opusPacket,
      pt: 96,
      seq: i,
      ts: 3000 * Math.floor(i / 4), // four packets a frame, 30 frames a second
    }));
    const eightKilohertz = Array.from({ length: 40 }, (_, i) => ({ payload: opusPacket, pt: 97, seq: i, ts: 160 * i }));
    expect(play([voice], rtpScript(video)).findings).toEqual([]);
    expect(play([voice], rtpScript(eightKilohertz)).findings).toEqual([]);
  });

  it('gives each source of a flow its own stream', () => {
    const a = Array.from({ length: 15 }, (_, i) => ({ payload: opusPacket, pt: 111, seq: i, ts: 960 * i, ssrc: 'a' }));
    const b = a.map((p) => ({ ...p, ssrc: 'b', seq: p.seq + 1000 }));
    const interleaved = a.flatMap((p, i) => [p, b[i]!]);
    expect(play([voice], rtpScript(interleaved)).findings).toHaveLength(2);
  });
});

describe('voice durations of MP3 and WebM uploads', () => {
  const { out } = replayCapture(captureOf(join(FIXTURES, 'voice-http-containers')), [voice]);
  const find = (subtype: string) => out.findings.find((f) => f.subtype === subtype)!;

  it('reports the duration ffprobe gives, close to the WAV of the same sentence', () => {
    const wavMs = Number(find('wav').detail?.durationMs); // 2807: the header of the sox WAV
    expect(find('mp3').detail?.durationMs).toBe(2880);
    expect(find('webm').detail?.durationMs).toBe(2815);
    for (const subtype of ['mp3', 'webm']) {
      // expected.json matches exactly, so the tolerance is asserted here: encoder delay and padding only.
      expect(Math.abs(Number(find(subtype).detail?.durationMs) - wavMs)).toBeLessThan(100);
    }
    expect(find('mp3').evidence.value).toBe('mp3 16000 Hz, 2.9 s, 11745 bytes');
    expect(find('webm').evidence.value).toBe('webm 16000 Hz, 2.8 s, 6580 bytes');
  });

  it('takes the rate from the frames when an ID3 tag (album art) hides them from the header read', () => {
    const mp3 = containerBody('mp3');
    const audio = mp3.subarray(id3v2Size(mp3)!);
    const art = 8000; // more than the head the container sniffer reads
    const size = [21, 14, 7, 0].map((s) => (art >> s) & 0x7f); // syncsafe
    const tagged = Buffer.concat([Buffer.from([0x49, 0x44, 0x33, 4, 0, 0, ...size]), Buffer.alloc(art), audio]);
    const chunks = Array.from({ length: Math.ceil(tagged.length / 1024) }, (_, i) =>
      tagged.subarray(i * 1024, i * 1024 + 1024),
    );
    const f = run([voice], { body: chunks, contentType: 'audio/mpeg' })[0];
    expect(f?.detail).toMatchObject({ sampleRate: 16000, durationMs: 2880 });
  });

  it('reports what a truncated upload sent, not what its header promised', () => {
    const cut = (subtype: string, n: number, contentType: string) =>
      run([voice], { body: containerBody(subtype).subarray(0, n), contentType })[0]?.detail?.durationMs;
    expect(cut('mp3', 5000, 'audio/mpeg')).toBe(1188);
    expect(cut('webm', 3000, 'audio/webm')).toBe(1059);
    const wav = containerBody('wav');
    const samples = 60_000 - (wav.indexOf('data') + 8);
    expect(cut('wav', 60_000, 'audio/wav')).toBe(Math.round(samples / 32)); // 16 kHz 16-bit: 32 bytes a ms
  });

  it('counts an MP3 streamed as frames over WebSocket messages as one growing finding', () => {
    const mp3 = containerBody('mp3');
    const s = new FlowScript({ transport: 'websocket' });
    const ws = { protocol: 'websocket' as const, ws: { opcode: 2, compressed: false } };
    const tag = id3v2Size(mp3)!;
    const tagAndInfo = tag + mpegHeader(mp3, tag)!.size;
    s.message({ msgId: 0, ...ws }, mp3.subarray(0, tagAndInfo));
    let id = 1;
    for (let o = tagAndInfo; o < mp3.length; o += mpegHeader(mp3, o)!.size) {
      s.message({ msgId: id++, ...ws }, mp3.subarray(o, o + mpegHeader(mp3, o)!.size)); // one frame per message
    }
    const found = play([voice], s.close().events);
    expect(found.findings).toHaveLength(1);
    expect(found.findings[0]).toMatchObject({ subtype: 'mp3', final: true, detail: { durationMs: 2880 } });
    const updates = found.findingUpdates.filter((u) => u.id === found.findings[0]!.id);
    expect(updates.length).toBeGreaterThan(10);
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OggOpusWriter, oggCrc } from '../../analyzers/lib/audio-ogg-writer.ts';
import { voice } from '../../analyzers/voice.ts';
import { captureOf } from '../../eval/score.ts';
import { replayCapture } from '../../testkit/replay.ts';
import { itWithTools } from '../helpers/tools.ts';
import { evidenceBytes, FIXTURES } from './voice-samples.ts';

interface Page {
  flags: number;
  granule: bigint;
  serial: number;
  seq: number;
  crcOk: boolean;
  packets: Buffer[];
}

/** An Ogg reader written from RFC 3533 for the test: pages, CRC check (field zeroed), packets (whole per page). */
function readOgg(buf: Buffer): Page[] {
  const pages: Page[] = [];
  for (let o = 0; o < buf.length; ) {
    expect(buf.toString('latin1', o, o + 4)).toBe('OggS');
    const n = buf[o + 26]!;
    const lacing = [...buf.subarray(o + 27, o + 27 + n)];
    const end = o + 27 + n + lacing.reduce((a, b) => a + b, 0);
    const page = Buffer.from(buf.subarray(o, end));
    const crc = page.readUInt32LE(22);
    page.writeUInt32LE(0, 22);
    const packets: Buffer[] = [];
    let at = o + 27 + n;
    let start = at;
    for (const l of lacing) {
      at += l;
      if (l < 255) {
        packets.push(buf.subarray(start, at));
        start = at;
      }
    }
    pages.push({
      flags: buf[o + 5]!,
      granule: buf.readBigInt64LE(o + 6),
      serial: buf.readUInt32LE(o + 14),
      seq: buf.readUInt32LE(o + 18),
      crcOk: oggCrc(page) === crc,
      packets,
    });
    o = end;
  }
  return pages;
}

function opusHelloClip() {
  const { out } = replayCapture(captureOf(join(FIXTURES, 'voice-ws-opus-hello')), [voice]);
  expect(out.findings).toHaveLength(1);
  const f = out.findings[0]!;
  return { f, ogg: evidenceBytes(out, f.evidence.evidenceId), out };
}

describe('Ogg Opus evidence for raw Opus packets', () => {
  it("computes Ogg's CRC32 as libogg does (every page of an opusenc file checks)", () => {
    const { out } = replayCapture(captureOf(join(FIXTURES, 'voice-http-containers')), [voice]);
    const f = out.findings.find((x) => x.subtype === 'opus')!;
    const pages = readOgg(evidenceBytes(out, f.evidence.evidenceId));
    expect(pages.length).toBeGreaterThan(2);
    expect(pages.every((p) => p.crcOk)).toBe(true);
  });

  it('wraps the packets of the opus-hello stream: valid pages, OpusHead fields, final granule = duration', () => {
    const { f, ogg } = opusHelloClip();
    expect(f).toMatchObject({ subtype: 'opus', final: true, detail: { container: 'none', sampleRate: 16000 } });
    expect(f.evidence.evidenceId).toBeDefined();
    const pages = readOgg(ogg);
    expect(pages.every((p) => p.crcOk)).toBe(true);
    expect(pages.map((p) => p.seq)).toEqual(pages.map((_, i) => i));
    expect(new Set(pages.map((p) => p.serial)).size).toBe(1);
    expect(pages[0]!.flags).toBe(0x02); // beginning of stream
    expect(pages.at(-1)!.flags & 0x04).toBe(0x04); // end of stream
    const head = pages[0]!.packets[0]!;
    expect(head.toString('latin1', 0, 8)).toBe('OpusHead');
    expect(head[8]).toBe(1); // version
    expect(head[9]).toBe(1); // channels
    expect(head.readUInt16LE(10)).toBe(0); // pre-skip
    expect(head.readUInt32LE(12)).toBe(16000); // input sample rate, from the hello
    expect(head[18]).toBe(0); // mapping family
    expect(pages[1]!.packets[0]!.toString('latin1', 0, 8)).toBe('OpusTags');
    const audio = pages.slice(2).flatMap((p) => p.packets);
    expect(audio.length).toBe(f.detail?.packets);
    const granules = pages.slice(2).map((p) => p.granule);
    expect([...granules].sort((a, b) => Number(a - b))).toEqual(granules);
    expect(Number(pages.at(-1)!.granule) / 48).toBe(f.detail?.durationMs);
    expect(f.detail?.durationMs).toBeGreaterThan(4500);
  });

  it('writes an end-of-stream page with zero packets when nothing is pending', () => {
    const pages: Uint8Array[] = [];
    new OggOpusWriter((p) => pages.push(p), 16000).end();
    const read = readOgg(Buffer.concat(pages));
    expect(read.map((p) => [p.flags, p.packets.length, p.crcOk])).toEqual([
      [2, 1, true],
      [0, 1, true],
      [4, 0, true],
    ]);
  });

  it('laces packets of 255 bytes and more, and refuses one too large for a page', () => {
    const pages: Uint8Array[] = [];
    const w = new OggOpusWriter((p) => pages.push(p), 48000);
    const sizes = [255, 510, 1, 0, 700];
    for (const n of sizes) expect(w.packet(new Uint8Array(n).fill(n & 0xff), 20)).toBe(true);
    expect(w.packet(new Uint8Array(70_000), 20)).toBe(false);
    w.end();
    const read = readOgg(Buffer.concat(pages));
    expect(read.at(-1)!.packets.map((p) => p.length)).toEqual(sizes);
    expect(read.at(-1)!.granule).toBe(BigInt(5 * 20 * 48));
  });

  // .ci/run installs opus-tools, so under CI=true this runs (and fails without opusdec); locally it may skip.
  itWithTools('opusdec')('plays: opusdec decodes the clip to the finding duration', () => {
    const { f, ogg } = opusHelloClip();
    const dir = mkdtempSync(join(tmpdir(), 'toyscope-ogg-'));
    try {
      writeFileSync(join(dir, 'clip.opus'), ogg);
      execFileSync('opusdec', ['--quiet', '--rate', '16000', join(dir, 'clip.opus'), join(dir, 'clip.wav')]);
      const wav = readFileSync(join(dir, 'clip.wav'));
      const dataAt = wav.indexOf('data', 12, 'latin1');
      const ms = ((wav.length - dataAt - 8) / (2 * wav.readUInt16LE(22) * 16000)) * 1000;
      expect(Math.abs(ms - Number(f.detail?.durationMs))).toBeLessThan(30);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

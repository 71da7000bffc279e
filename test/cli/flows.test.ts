/**
 * `toyscope flows`, `flows show` and `evidence export` over a real store filled by `toyscope replay` (child
 * processes, as a tester runs them): the lines, the filters, masking, the Wireshark filter and frames, and
 * evidence written as a file a player opens.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, toyscope } from '../helpers/toyscope-process.ts';

/** Records in a classic pcap file (24-byte header, 16-byte record headers). */
function pcapRecords(file: string): number {
  const b = readFileSync(file);
  let n = 0;
  for (let off = 24; off + 16 <= b.length; n++) off += 16 + b.readUInt32LE(off + 8);
  return n;
}

describe('toyscope flows and evidence export', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toyscope-flows-'));
  const data = ['--data-dir', dir];
  const multipart = join(FIXTURES, 'curl-multipart', 'capture.pcap');

  beforeAll(async () => {
    writeFileSync(join(dir, 'toyscope.yaml'), 'devices: [{name: robot, ip: 127.0.0.2}]\n');
    const r = await toyscope(...data, 'replay', multipart, join(FIXTURES, 'voice-raw-pcm', 'capture.pcap'));
    expect(r.code).toBe(0);
    expect((await toyscope(...data, 'replay', join(FIXTURES, 'voice-mqtt', 'capture.pcap'))).code).toBe(0);
  }, 120_000);

  it('lists one line per request or message with its response, bytes, protocol and findings', async () => {
    const r = await toyscope(...data, 'flows', '--device', 'robot');
    expect(r.code).toBe(0);
    const [head, ...rows] = r.out.trimEnd().split('\n');
    expect(head).toMatch(/^TIME \(UTC[^)]*\)\s+ID\s+DEVICE\s+REQUEST\s+HOST\s+STATUS\s+UP\s+DOWN\s+PROTO\s+FINDINGS$/);
    // The 100 Continue is not the answer: the final 200 is.
    expect(rows).toEqual([
      expect.stringMatching(
        /^\S+ \S+\s+\S+:1#0\s+robot\s+POST \/api\/v2\/asr\/upload\s+ai\.xiaoyu-toys\.com\s+200\s+8\.2 KiB\s+240 B\s+http\s+child-profile\/age, child-profile\/name/,
      ),
    ]);
  });

  it('filters by transport, host, findings and time, and prints JSON', async () => {
    const mqtt = await toyscope(...data, 'flows', '--transport', 'mqtt', '--with-findings');
    // The CONNECT sends the broker password in clear (a finding of its own); the PUBLISH carries the voice.
    expect(mqtt.out).toMatch(
      /mqtt CONNECT\s+127\.0\.0\.14\s+0 B\s+0 B\s+mqtt\s+identifiers\/password, tls\/plaintext-personal-data/,
    );
    expect(mqtt.out).toMatch(/mqtt PUBLISH toy\/XY-1\/audio\s+127\.0\.0\.14\s+3\.1 KiB\s+0 B\s+mqtt\s+voice\/raw-pcm/);
    expect(mqtt.out.trimEnd().split('\n')).toHaveLength(3);
    const host = await toyscope(...data, 'flows', '--host', 'aliyuncs.com', '--json');
    const doc = JSON.parse(host.out) as { exchanges: Array<{ host: string; request: string; status?: number }> };
    expect(doc.exchanges.length).toBeGreaterThan(0);
    expect(doc.exchanges.every((x) => x.host === 'nls-gateway.cn-shanghai.aliyuncs.com')).toBe(true);
    // The captures were recorded in November 2026: nothing before, everything since.
    expect((await toyscope(...data, 'flows', '--until', '2026-01-01')).out).toBe('No flows match.\n');
    const since = await toyscope(...data, 'flows', '--since', '2026-01-01T00:00Z', '--limit', '2');
    expect(since.out).toContain('(first 2 shown; use --limit or narrow the filters)');
    const bad = await toyscope(...data, 'flows', '--since', 'yesterday');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--since: expected a time like 2026-11-23, '2026-11-23 10:55' or 2h, got 'yesterday'");
  });

  it('--json lists every exchange unless --limit is given, laid out as one document', async () => {
    const table = await toyscope(...data, 'flows', '--limit', '100000');
    const lines = table.out.trimEnd().split('\n').length - 1;
    const all = await toyscope(...data, 'flows', '--json');
    expect(all.code).toBe(0);
    const doc = JSON.parse(all.out) as { exchanges: Array<{ flowId: string; msgId?: number }> };
    expect(doc.exchanges).toHaveLength(lines);
    expect(all.out).toBe(`${JSON.stringify(doc, null, 2)}\n`); // streamed, yet the same text as one stringify
    const two = JSON.parse((await toyscope(...data, 'flows', '--json', '--limit', '2')).out);
    expect(two.exchanges).toEqual(doc.exchanges.slice(0, 2));
    expect((await toyscope(...data, 'flows', '--json', '--host', 'nowhere.example')).out).toBe(
      '{\n  "exchanges": []\n}\n',
    );
  });

  it('shows one flow whole: heads masked, body parts, findings with paths, Wireshark filter and frames', async () => {
    const id = (
      JSON.parse((await toyscope(...data, 'flows', '--device', 'robot', '--json')).out) as {
        exchanges: Array<{ flowId: string }>;
      }
    ).exchanges[0]!.flowId;
    const r = await toyscope(...data, 'flows', 'show', id);
    expect(r.code).toBe(0);
    const frames = pcapRecords(multipart);
    const m = /frame\.number>=(\d+) && frame\.number<=(\d+)/.exec(r.out);
    expect(Number(m?.[1])).toBe(1);
    expect(Number(m?.[2])).toBeGreaterThanOrEqual(frames - 1);
    expect(r.out).toContain('wireshark  ip.addr==127.0.0.2 && ip.addr==127.0.0.10 && tcp.port==');
    expect(r.out).toContain('#0 upload  POST /api/v2/asr/upload');
    expect(r.out).toMatch(/User-Agent: cu•+\.1/);
    expect(r.out).toMatch(/part {5}audio\/wav 7\.9 KiB "utt•+wav" \(multipart:audio\)/);
    expect(r.out).toContain('tokens   9 string, 1 number');
    expect(r.out).toMatch(/finding {4}child-profile\/name \(0\.90\) at \$\.child\.nickname: \S*•/);
    const revealed = await toyscope(...data, 'flows', 'show', id, '--reveal');
    expect(revealed.out).toContain('User-Agent: curl/7.88.1');
    const json = JSON.parse((await toyscope(...data, 'flows', 'show', id, '--json')).out);
    expect(json.flow.frames.first).toBe(1);
    expect(json.messages[0].headers).toContainEqual(['Host', 'ai.xiaoyu-toys.com:18081']);
    expect(json.findings.every((f: { evidence: { value?: string } }) => f.evidence.value === undefined)).toBe(true);
    const unknown = await toyscope(...data, 'flows', 'show', 'nope:1');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(
      new RegExp(
        `^toyscope: no flow 'nope:1' in the database \\('(npx )?toyscope --data-dir ${dir} flows' lists them\\)\n$`,
      ),
    );
  });

  it('exports a voice clip as a WAV whose sizes say its real length, mode 0600, never over a file', async () => {
    const doc = JSON.parse((await toyscope(...data, 'findings', '--category', 'voice', '--json')).out) as {
      findings: Array<{ id: string; evidence: { evidenceId?: string }; detail?: { durationMs?: number } }>;
    };
    const f = doc.findings.find((x) => x.evidence.evidenceId && x.detail?.durationMs)!;
    const out = join(dir, 'clip.wav');
    const r = await toyscope(...data, 'evidence', 'export', f.id, '-o', out);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^Wrote .*clip\.wav: audio\/wav, [\d.]+ KiB, sha256 [0-9a-f]{64} — finding \S+ voice\/raw-pcm\n$/,
    );
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const wav = readFileSync(out);
    expect(wav.toString('latin1', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
    expect(wav.readUInt32LE(40)).toBe(wav.length - 44);
    const ms = ((wav.length - 44) / wav.readUInt32LE(28)) * 1000;
    expect(Math.abs(ms - (f.detail?.durationMs ?? 0))).toBeLessThan(50);
    const again = await toyscope(...data, 'evidence', 'export', f.evidence.evidenceId!, '-o', out);
    expect(again.code).toBe(2);
    expect(again.err).toContain('exists; use --force to overwrite it');
    const piped = await toyscope(...data, 'evidence', 'export', f.evidence.evidenceId!);
    expect(piped.code).toBe(0);
    expect(piped.err).toMatch(/^Wrote standard output: audio\/wav/);
    expect((await toyscope(...data, 'evidence', 'export', 'nope/e0')).err).toContain("no evidence 'nope/e0'");
  });

  it('lists the captures with the ids --capture takes', async () => {
    const r = await toyscope(...data, 'captures');
    expect(r.out).toMatch(/^CAPTURE\s+FIRST PACKET \(UTC\)\s+FILE\s+FORMAT\s+SIZE\s+REPLAY\s+SKIPPED\n/);
    expect(r.out).toMatch(/curl-multipart.*\bcomplete\b/);
    const id = /^([0-9a-f]{12})\s.*curl-multipart/m.exec(r.out)?.[1];
    expect(id).toBeDefined();
    const flows = await toyscope(...data, 'flows', '--capture', id!);
    expect(flows.out).toContain('POST /api/v2/asr/upload');
    expect(flows.out).not.toContain('mqtt');
    const none = await toyscope(...data, 'flows', '--capture', 'ffff');
    expect(none.code).toBe(2);
    expect(none.err).toMatch(
      new RegExp(
        `^toyscope: no capture ffff in the database \\('(npx )?toyscope --data-dir ${dir} captures' lists them\\)\n$`,
      ),
    );
  });

  it('names an unknown device and the known ones for findings, destinations and purge (exit 2)', async () => {
    for (const cmd of [['findings'], ['destinations'], ['purge', '--yes']]) {
      const r = await toyscope(...data, ...cmd, '--device', 'ghost');
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^toyscope: no device 'ghost' in the database; known devices: .*robot \(127\.0\.0\.2\)/);
    }
  });
});

describe('toyscope flows on RTP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toyscope-flows-rtp-'));
  const data = ['--data-dir', dir];

  beforeAll(async () => {
    expect((await toyscope(...data, 'replay', join(FIXTURES, 'voice-rtp', 'capture.pcap'))).code).toBe(0);
  }, 120_000);

  it('names each packet by its payload, and shows its sequence number', async () => {
    const list = await toyscope(...data, 'flows', '--device', '127.0.0.121', '--limit', '3');
    expect(list.code).toBe(0);
    // ffmpeg's first RTCP sender report (raw bytes on the next port), then the stream's packets.
    const rows = list.out.trimEnd().split('\n').slice(1, 4);
    expect(rows[0]).toMatch(/\s127\.0\.0\.121\s+bytes up\s/);
    for (const row of rows.slice(1)) {
      expect(row).toMatch(/\s127\.0\.0\.121\s+rtp audio\/PCMA\s+127\.0\.0\.39\s.*\sudp\b/);
    }
    const id = rows[1]!.split(/\s+/)[2]!.split('#')[0]!;
    const show = await toyscope(...data, 'flows', 'show', id);
    expect(show.code).toBe(0);
    expect(show.out).toMatch(/RTP audio\/PCMA seq \d+/);
    expect(show.out).toMatch(/^ {3}Payload-Type: 8$/m); // protocol fields are not masked
    expect(show.out).toMatch(/^ {3}SSRC: [0-9a-f]{8}$/m);
    expect(show.out).toContain('voice/g711');
  });
});

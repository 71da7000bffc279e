/** `toyscope replay` as a lab tester runs it: a child process over recorded fixtures, with its exit codes. */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.ts';
import { evidenceChunk, finding, flowRecord } from '../../testkit/records.ts';
import { FIXTURES, toyscope } from '../helpers/toyscope-process.ts';

describe('toyscope replay', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'toyscope-replay-'));
  const multipart = join(FIXTURES, 'curl-multipart/capture.pcap');

  it('replays a capture into the --json document with both flow values and the host', async () => {
    const r = await toyscope('--data-dir', dataDir, 'replay', multipart, '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(Object.keys(doc)).toEqual([
      'captures',
      'devices',
      'flows',
      'findings',
      'violations',
      'skipped',
      'shed',
      'tls',
    ]);
    expect(doc.tls).toEqual({ flows: 0, decrypted: 0, withoutKeys: 0, unsupported: 0, failed: 0 });
    expect(doc.captures[0]).toMatchObject({ format: 'pcap', path: multipart });
    expect(doc.flows).toHaveLength(1);
    expect(doc.flows[0]).toMatchObject({ transport: 'http', tls: 'none', host: 'ai.xiaoyu-toys.com' });
    expect(doc.flows[0].bytesUp).toBeGreaterThan(8000);
  });

  it('keeps --json clean when an image decoder complains (a HEIC cut short: libheif writes to the console)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toyscope-replay-heif-'));
    const r = await toyscope('--data-dir', dir, 'replay', join(FIXTURES, 'face-heif-uploads/capture.pcap'), '--json');
    expect(r.code).toBe(0);
    expect(r.err).not.toMatch(/Decoding image failed/);
    const doc = JSON.parse(r.out);
    const faces = doc.findings.filter((f: { category: string }) => f.category === 'face');
    expect(faces.map((f: { subtype: string }) => f.subtype).sort()).toEqual(['face', 'face', 'face-unchecked']);
  });

  it('breaks flows and findings down per file, in argument order, when several captures are replayed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toyscope-replay-several-'));
    const dns = join(FIXTURES, 'dns-lookups/capture.pcap');
    const r = await toyscope('--data-dir', dir, 'replay', dns, multipart);
    expect(r.code).toBe(0);
    const [first, second] = r.out.split('\n');
    expect(first).toMatch(/dns-lookups\/capture\.pcap .* 6 flows, 0 findings$/);
    expect(second).toMatch(/curl-multipart\/capture\.pcap .* 1 flow, 3 findings$/);
    expect(r.out).toMatch(/^Flows: 7 /m);
    const single = await toyscope('--data-dir', dir, 'replay', multipart);
    expect(single.out.split('\n')[0]).not.toMatch(/finding/);
  });

  it('does not store the same capture twice', async () => {
    const r = await toyscope('--data-dir', dataDir, 'replay', multipart);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/already in the database/);
    expect(r.out).toMatch(/Flows: 1/);
  });

  it('analyzes a truncated capture as far as it goes, and --strict makes the skipped part fail', async () => {
    const cut = join(dataDir, 'cut.pcap');
    const bytes = readFileSync(join(FIXTURES, 'curl-keepalive/capture.pcap'));
    writeFileSync(cut, bytes.subarray(0, bytes.length - 30));
    const lax = await toyscope('--data-dir', dataDir, 'replay', cut);
    expect(lax.code).toBe(0);
    expect(lax.out).toMatch(/Skipped: 1 {2}\(truncated-record 1\)/);
    const strict = await toyscope('--data-dir', dataDir, 'replay', '--strict', '--force', cut);
    expect(strict.code).toBe(1);
  });

  it('applies toyscope.yaml `limits` to the capture layers: a lowered bound shows in the JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toyscope-limits-'));
    const capture = join(FIXTURES, 'curl-keepalive/capture.pcap');
    // Records past 80 bytes are corrupt: the handshake is read, the first request is not.
    writeFileSync(join(dir, 'toyscope.yaml'), 'limits:\n  MAX_PCAP_RECORD_BYTES: 80\n');
    const r = await toyscope('--data-dir', dir, 'replay', capture, '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.skipped).toEqual([{ file: capture, reason: 'corrupt-record', count: 1 }]);
    expect(doc.flows).toMatchObject([{ transport: 'tcp', bytesUp: 0 }]);
    writeFileSync(join(dir, 'toyscope.yaml'), 'limits: {}\n');
    const plain = JSON.parse((await toyscope('--data-dir', dir, 'replay', capture, '--json', '--force')).out);
    expect([plain.skipped, plain.flows.length]).toEqual([[], 1]);
  });

  it('says which flows were read one way of several (HTTP framing anomalies), and none for clean traffic', async () => {
    const r = await toyscope('--data-dir', dataDir, 'replay', join(FIXTURES, 'http-framing-anomalies/capture.pcap'));
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    const at = lines.findIndex((l) => l.startsWith('Read one way of several: 10 flows'));
    expect(at).toBeGreaterThanOrEqual(0);
    expect(lines[at]).toMatch(/\(.*cl-te 1.*te-invalid 1/);
    expect(lines.slice(at + 3, at + 13).every((l) => l.includes('api.toy-cloud.example'))).toBe(true);
    const clean = await toyscope('--data-dir', dataDir, 'replay', join(FIXTURES, 'curl-keepalive/capture.pcap'));
    expect(clean.out).not.toMatch(/Read one way of several/);
  });

  it('says what the decoders flagged or stopped (decompression bombs), and nothing for clean traffic', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toyscope-replay-notes-'));
    const r = await toyscope('--data-dir', dir, 'replay', join(FIXTURES, 'decompression-bombs/capture.pcap'));
    expect(r.code).toBe(0);
    const line = r.out.split('\n').find((l) => l.startsWith('Decoder notes: '));
    expect(line).toMatch(/^Decoder notes: 10 notes {2}\(/);
    expect(line).toContain('gzip inflate-ratio-exceeded 2');
    expect(line).toContain('multipart too-many-parts 1');
    const clean = await toyscope('--data-dir', dir, 'replay', multipart);
    expect(clean.out).not.toContain('Decoder notes');
  });

  it('rejects a missing or foreign file with one line and exit 2', async () => {
    const missing = await toyscope('--data-dir', dataDir, 'replay', join(dataDir, 'nope.pcap'));
    expect(missing.code).toBe(2);
    expect(missing.err.trim().split('\n')[0]).toMatch(/^toyscope: cannot read .*nope\.pcap: no such file$/);
    // Every bad path in one line, before anything is analyzed: the good captures around them are not stored.
    const fresh = mkdtempSync(join(tmpdir(), 'toyscope-replay-missing-'));
    const [a, b] = [join(fresh, 'a.pcap'), join(fresh, 'b.pcap')];
    const several = await toyscope('--data-dir', fresh, 'replay', multipart, a, fresh, b);
    expect([several.code, several.out, several.err]).toEqual([
      2,
      '',
      `toyscope: cannot read ${a}: no such file; ${fresh} is a directory, not a capture file; cannot read ${b}: no such file\n`,
    ]);
    expect((await toyscope('--data-dir', fresh, 'captures')).out).toMatch(/^No captures yet/);
    rmSync(fresh, { recursive: true, force: true });
    const foreign = join(dataDir, 'notes.txt');
    copyFileSync(join(import.meta.dirname, '../../README.md'), foreign);
    const r = await toyscope('--data-dir', dataDir, 'replay', foreign);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/is not a pcap, pcapng, HAR or mitmproxy flow file/);
    expect(r.err).not.toMatch(/at .*\.ts:/);
  });

  it('says what kind of data went to whom: operator, host, third party', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toyscope-replay-3p-'));
    const config = join(dir, 'toyscope.yaml');
    writeFileSync(config, 'devices: [{name: teddy, ip: 127.0.0.31}]\nfirstParty: {global: ["*.teddy-toys.example"]}\n');
    const xfyun = join(FIXTURES, 'voice-ws-xfyun/capture.pcap');
    const r = await toyscope('--data-dir', dir, '--config', config, 'replay', xfyun);
    expect(r.code).toBe(0);
    const summary = r.out.slice(r.out.indexOf('Findings:'));
    expect(summary).toMatch(/^ {2}teddy$/m);
    expect(summary).toMatch(/^ {4}voice\/raw-pcm\s+1\s+iFlytek · ws-api\.xfyun\.cn \(third party\)$/m);
  });

  it('passes a policy gate and writes JUnit with one test case per rule', async () => {
    const policy = join(dataDir, 'policy.yaml');
    writeFileSync(
      policy,
      'version: 1\nfirstParty: ["*.xiaoyu-toys.com"]\nrules:\n  - {id: voice-1p, category: voice, allow: first-party}\n',
    );
    const junit = join(dataDir, 'out.xml');
    const r = await toyscope('--data-dir', dataDir, 'replay', multipart, '--policy', policy, '--junit', junit);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/passed/);
    expect(readFileSync(junit, 'utf8')).toMatch(/<testcase[^>]*voice-1p/);
  });

  it('prints each violation’s reason whole, as policy check does (CI logs keep the verdict)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toyscope-replay-reasons-'));
    const policy = join(dir, 'policy.yaml');
    writeFileSync(
      policy,
      'version: 1\nfirstParty: ["*.toycloud.example"]\nrules:\n' +
        '  - {id: cp, category: child-profile, allow: first-party, hosts: [api.toycloud.example, cdn.toycloud.example]}\n',
    );
    const r = await toyscope('--data-dir', dir, 'replay', multipart, '--policy', policy);
    expect(r.code).toBe(1);
    const check = await toyscope('--data-dir', dir, 'policy', 'check', '--policy', policy, '--json');
    const reasons: string[] = JSON.parse(check.out).violations.map((v: { reason: string }) => v.reason);
    expect(reasons.length).toBeGreaterThan(0);
    for (const reason of reasons) {
      expect(reason.length).toBeGreaterThan(100);
      expect(reason).toContain("is not among the rule's hosts (api.toycloud.example, cdn.toycloud.example)");
      expect(r.out.split('\n').filter((l) => l.startsWith(`  ${reason}  [`))).not.toHaveLength(0);
    }
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('toyscope replay of TLS captures', () => {
  const tls12 = join(FIXTURES, 'tls12-keylog');

  it('decrypts with --keylog: counts in the summary, findings read through TLS, values masked', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'toyscope-keylog-'));
    const r = await toyscope(
      '--data-dir',
      dataDir,
      'replay',
      join(tls12, 'capture.pcap'),
      '--keylog',
      join(tls12, 'keylog.txt'),
    );
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/keylog .*keylog\.txt: 4 secrets for 4 TLS sessions\n/);
    expect(r.out).toMatch(/^Flows: 4 {2}\(https 4\)$/m);
    expect(r.out).toMatch(/^4 TLS flows, 4 decrypted, 0 without keys$/m);
    expect(r.out).toMatch(/child-profile\/name\s+1\s+api\.toy-cloud\.example/);
    expect(r.out).not.toMatch(/Lily Chen/);
  });

  it('without a key log the same flows stay opaque and are counted as without keys (also in --json)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'toyscope-nokeys-'));
    const r = await toyscope('--data-dir', dataDir, 'replay', join(tls12, 'capture.pcap'));
    expect(r.out).toMatch(/^4 TLS flows, 0 decrypted, 4 without keys$/m);
    const doc = JSON.parse(
      (await toyscope('--data-dir', dataDir, 'replay', join(tls12, 'capture.pcap'), '--json')).out,
    );
    expect(doc.tls).toEqual({ flows: 4, decrypted: 0, withoutKeys: 4, unsupported: 0, failed: 0 });
    expect(doc.flows.map((f: { tls: string }) => f.tls)).toEqual(['opaque', 'opaque', 'opaque', 'opaque']);
  });

  it('finds the keys of a pcapng in its Decryption Secrets Block without --keylog', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'toyscope-dsb-'));
    const r = await toyscope('--data-dir', dataDir, 'replay', join(FIXTURES, 'tls-dsb/capture.pcapng'), '--json');
    const doc = JSON.parse(r.out);
    expect(doc.tls).toMatchObject({ flows: 2, decrypted: 2 });
    expect(doc.flows[0]).toMatchObject({ transport: 'http', tls: 'decrypted', tlsInfo: { decryption: 'decrypted' } });
  });

  it('rejects a missing key log or one without secrets with one line and exit 2', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'toyscope-badkeys-'));
    const capture = join(tls12, 'capture.pcap');
    const missing = await toyscope('--data-dir', dataDir, 'replay', capture, '--keylog', join(dataDir, 'nope.txt'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^toyscope: cannot read key log .*nope\.txt: no such file\n$/);
    const junk = join(dataDir, 'junk.txt');
    writeFileSync(junk, 'this is not a key log\n');
    const bad = await toyscope('--data-dir', dataDir, 'replay', capture, '--keylog', junk);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/junk\.txt holds no TLS secrets \(1 lines;/);
  });
});

describe('toyscope replay of a HAR', () => {
  it('replays a HAR told by its content, its flows belonging to --device', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'toyscope-har-'));
    const har = join(FIXTURES, 'har-chromium/capture.har');
    const r = await toyscope('--data-dir', dataDir, 'replay', har, '--device', 'teddy', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.captures[0]).toMatchObject({ format: 'har', path: har });
    expect(new Set(doc.flows.map((f: { deviceId: string }) => f.deviceId))).toEqual(new Set(['teddy']));
    expect(doc.findings.map((f: { subtype: string }) => f.subtype)).toContain('birthday');
  });

  it('replays a mitmproxy flow file told by its content, each flow from the client mitmproxy recorded', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'toyscope-mitm-'));
    const flows = join(FIXTURES, 'mitmproxy-flows/capture.flows');
    const r = await toyscope('--data-dir', dataDir, 'replay', flows, '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.captures[0]).toMatchObject({ format: 'mitmproxy', path: flows });
    expect(doc.flows.map((f: { client: { ip: string } }) => f.client.ip)).toEqual(Array(4).fill('127.0.0.110'));
    expect(doc.findings.map((f: { subtype: string }) => f.subtype)).toEqual(expect.arrayContaining(['imei', 'face']));
    const cut = join(dataDir, 'cut.flows');
    const bytes = readFileSync(flows);
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    const c = await toyscope('--data-dir', dataDir, 'replay', cut);
    expect(c.code).toBe(0);
    expect(c.out).toMatch(/mitm-truncated 1/);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finds what a HAR gives only as postData.params (HAR 1.2 writers without postData.text)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'toyscope-har-params-'));
    const post = (url: string, mimeType: string, params: object[]) => ({
      startedDateTime: '2026-12-02T10:00:00.000Z',
      time: 20,
      request: { method: 'POST', url, httpVersion: 'HTTP/1.1', headers: [], postData: { mimeType, params } },
      response: { status: 200, headers: [], content: { size: 0, mimeType: 'text/plain' } },
      timings: { send: 1, wait: 9, receive: 10 },
    });
    const har = join(dataDir, 'params.har');
    writeFileSync(
      har,
      JSON.stringify({
        log: {
          version: '1.2',
          creator: { name: 'a HAR 1.2 writer' },
          entries: [
            post('https://api.toy-cloud.example/v1/bind', 'application/x-www-form-urlencoded', [
              { name: 'imei', value: '490154203237518' },
            ]),
            post('https://api.toy-cloud.example/v2/child/avatar', 'multipart/form-data', [
              { name: 'file', value: 'not carried', fileName: 'lily.jpg', contentType: 'image/jpeg' },
            ]),
          ],
        },
      }),
    );
    const r = await toyscope('--data-dir', dataDir, 'replay', har, '--json');
    expect(r.code).toBe(0);
    const found = JSON.parse(r.out).findings.map(
      (f: { category: string; subtype: string }) => `${f.category}/${f.subtype}`,
    );
    expect(found).toEqual(expect.arrayContaining(['identifiers/imei', 'child-profile/photo']));
  });

  it('rejects JSON that is not a HAR with one line and exit 2', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'toyscope-nothar-'));
    const json = join(dataDir, 'devices.json');
    writeFileSync(json, '{"devices": [1, 2, 3]}\n');
    const r = await toyscope('--data-dir', dataDir, 'replay', json);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^toyscope: .*devices\.json is JSON but not a HAR \(no log\.entries\)\n$/);
  });
});

describe('toyscope replay with a retention setting', () => {
  it('purges captured personal data older than the retention before importing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'toyscope-retention-'));
    const store = openStore(join(dataDir, 'toyscope.db'));
    const w = store.writer();
    w.flow(flowRecord()); // recorded in 2023 (T0)
    w.finding(finding());
    w.evidence(evidenceChunk());
    store.close();
    writeFileSync(join(dataDir, 'toyscope.yaml'), 'retention: {days: 30}\n');
    const r = await toyscope('--data-dir', dataDir, 'replay', join(FIXTURES, 'vlan/capture.pcap'));
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/retention \(30 days\): purged 1 evidence blobs and 1 findings' values/);
    const doc = JSON.parse((await toyscope('--data-dir', dataDir, 'findings', '--json', '--reveal')).out);
    const old = doc.findings.find((f: { id: string }) => f.id === finding().id);
    expect(old.evidence.value).toBeUndefined();
    expect(doc.findings.some((f: { evidence: { value?: string } }) => f.evidence.value !== undefined)).toBe(true);
  });
});

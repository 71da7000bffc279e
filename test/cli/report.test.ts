/**
 * `toyscope experiment` and `toyscope report` over replayed fixtures, as a tester runs them: verdicts, coverage and
 * custody in JSON, both languages in HTML, CSV, and the errors.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, toyscope } from '../helpers/toyscope-process.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'toyscope-report-'));
const family = join(FIXTURES, 'contacts-family-sync/capture.pcap');
const iot = join(FIXTURES, 'mqtt-iot-topics/capture.pcap');
const policy = join(dataDir, 'bear-policy.yaml');
const DEVICE = '127.0.0.55';

beforeAll(async () => {
  writeFileSync(
    join(dataDir, 'toyscope.yaml'),
    `devices:\n  - {name: xiaoyu-bear, ip: ${DEVICE}}\nfirstParty:\n  devices:\n    xiaoyu-bear: ["*.toycloud.example"]\n`,
  );
  writeFileSync(policy, 'version: 1\ndeclared:\n  categories: [voice, child-profile]\nrules: []\n');
  const r = await toyscope('--data-dir', dataDir, 'replay', family, iot, '--experiment', 'consent off');
  expect(r.code).toBe(0);
}, 120_000);
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('toyscope report', () => {
  it('gives verdicts for principles 2–6, coverage and custody (JSON)', async () => {
    const r = await toyscope(
      ...['--data-dir', dataDir, 'report', '--device', 'xiaoyu-bear', '--policy', policy],
      ...['--tester', 'Li Wei', '--format', 'json'],
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    const verdicts = Object.fromEntries(
      doc.principles.map((p: { number: number; verdict: string }) => [p.number, p.verdict]),
    );
    expect(verdicts).toEqual({
      1: 'not-assessable',
      2: 'violation', // family contacts, undeclared
      3: 'violation', // contacts not declared
      4: 'violation', // plain HTTP
      5: 'violation', // it all flowed inside the "consent off" window
      6: 'violation', // api.xiaoyu-toys.com is not first party and not disclosed
      7: 'not-assessable',
      8: 'not-assessable',
    });
    const rules = doc.principles.flatMap((p: { checks: { rule: string }[] }) => p.checks.map((c) => c.rule));
    expect(rules).toEqual(
      expect.arrayContaining([
        'p2-undeclared-sensitive',
        'p3-undeclared-type',
        'p4-plaintext',
        'p5-flows-without-consent',
        'p6-undeclared-recipient',
      ]),
    );
    const p3 = doc.principles[2].checks[0];
    expect(p3.items[0].findingIds.length).toBeGreaterThan(0);
    expect(doc.coverage.rows).toEqual([expect.objectContaining({ tls: 'none', transport: 'http' })]);
    expect(doc.coverage.visibleUpShare).toBe(1);
    const sha = createHash('sha256').update(readFileSync(family)).digest('hex');
    expect(doc.custody).toMatchObject({ tester: 'Li Wei', timeZone: 'UTC', captures: [{ id: sha }] });
    expect(doc.custody.policySha256).toBe(createHash('sha256').update(readFileSync(policy)).digest('hex'));
    expect(doc.custody.configSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(doc.custody.experiments.map((e: { name: string }) => e.name)).toEqual(['consent off']);
    expect(r.out).not.toContain('13812345678'); // evidence is ids, never values
  });

  it('without a policy or first parties, asks for review; untested is "not observed"; seen in full is a pass', async () => {
    const r = await toyscope(
      '--data-dir',
      dataDir,
      'report',
      '--device',
      '127.0.0.56',
      '--format',
      'json',
      '--lang',
      'en',
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    const rules = (n: number) =>
      doc.principles[n - 1].checks.map((c: { rule: string; verdict: string }) => [c.rule, c.verdict]);
    expect(rules(3)).toEqual([['p3-no-declaration', 'needs-review']]);
    expect(rules(4)).toContainEqual(['p4-cert-untested', 'not-observed']);
    expect(rules(6)).toEqual([['p6-parties-unknown', 'needs-review']]);
    // nothing sensitive, and every upload byte was readable: that much is a pass
    expect(rules(2)).toEqual([
      ['p2-sensitive', 'pass'],
      ['p2-no-uploaded-media', 'pass'],
    ]);
  });

  it('writes printable HTML in English by default and in Chinese with --lang zh-CN, and CSV', async () => {
    const en = await toyscope('--data-dir', dataDir, 'report', '--device', DEVICE, '--policy', policy);
    expect(en.out).toContain('<html lang="en">');
    expect(en.out).toContain('Chain of custody');
    expect(en.out).not.toMatch(/[\u4e00-\u9fff]{4}/); // no run of Chinese but the initiative's own name
    const zh = await toyscope(
      '--data-dir',
      dataDir,
      'report',
      '--device',
      DEVICE,
      '--policy',
      policy,
      '--lang',
      'zh-CN',
    );
    expect(zh.out).toContain('<html lang="zh-CN">');
    expect(zh.out).toContain('聚焦必要原则，严控个人信息收集范围');
    expect(zh.out).toContain('违规');
    expect(zh.out).toMatch(/@media print/);
    expect(zh.out).not.toMatch(/<script|<link|https?:\/\/(?!www\.w3\.org)/);
    const csv = await toyscope('--data-dir', dataDir, 'report', '--device', DEVICE, '--format', 'csv');
    expect(csv.out.split('\r\n')[0]).toBe(
      '\ufeffprinciple,principle_title,principle_verdict,rule,check_verdict,statement,category,subtype,host,operator,country,third_party,encrypted,count,finding_ids',
    );
  });

  it('--out writes a new file (mode 0600) and says where; an existing one only with --force', async () => {
    const out = join(dataDir, 'bear-en.html');
    const args = ['--data-dir', dataDir, 'report', '--device', DEVICE, '--out', out];
    const first = await toyscope(...args);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(new RegExp(`^Wrote ${out} \\(html, en, \\d+\\.\\d KiB\\)\n$`));
    expect(readFileSync(out, 'utf8')).toContain('Chain of custody');
    expect(statSync(out).mode & 0o777).toBe(0o600);
    writeFileSync(out, 'kept');
    const again = await toyscope(...args, '--lang', 'zh-CN');
    expect([again.code, again.out, again.err]).toEqual([
      2,
      '',
      `toyscope: ${out} exists; use --force to overwrite it\n`,
    ]);
    expect(readFileSync(out, 'utf8')).toBe('kept');
    const forced = await toyscope(...args, '--lang', 'zh-CN', '--force');
    expect(forced.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('<html lang="zh-CN">');
  });

  it('answers bad arguments with one line and exit 2', async () => {
    for (const args of [
      ['report'],
      ['report', '--device', DEVICE, '--format', 'pdf'],
      ['report', '--device', DEVICE, '--lang', 'fr'],
      ['report', '--device', 'nobody'],
      ['report', '--device', DEVICE, '--experiment', 'never ran'],
    ]) {
      const r = await toyscope('--data-dir', dataDir, ...args);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.err).toMatch(/^toyscope: /);
      expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
    }
    // An unknown experiment: the ones there are, named (no other command to run, no data directory to repeat).
    const r = await toyscope('--data-dir', dataDir, 'report', '--device', DEVICE, '--experiment', 'never ran');
    expect(r.err).toBe("toyscope: no experiment named 'never ran'; known: 'consent off'\n");
  });
});

describe('toyscope experiment', () => {
  it('starts, refuses a second start of the same name, stops and lists', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toyscope-exp-'));
    const start = await toyscope('--data-dir', dir, 'experiment', 'start', 'consent on', '--note', 'app: on');
    expect([start.code, start.out]).toEqual([0, expect.stringMatching(/Experiment 'consent on' started/)]);
    const again = await toyscope('--data-dir', dir, 'experiment', 'start', 'consent on');
    expect([again.code, again.err]).toEqual([2, expect.stringMatching(/already running/)]);
    expect((await toyscope('--data-dir', dir, 'experiment', 'stop', 'consent on')).code).toBe(0);
    expect((await toyscope('--data-dir', dir, 'experiment', 'stop', 'consent on')).code).toBe(2);
    const list = JSON.parse((await toyscope('--data-dir', dir, 'experiment', 'list', '--json')).out);
    expect(list.experiments).toMatchObject([{ name: 'consent on', notes: 'app: on' }]);
    expect(list.experiments[0].endTs).toBeGreaterThanOrEqual(list.experiments[0].startTs);
    expect((await toyscope('--data-dir', dir, 'experiment', 'pause', 'x')).code).toBe(2);
    rmSync(dir, { recursive: true, force: true });
  });

  it('names the device as toyscope.yaml does when an experiment is started for it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toyscope-exp-named-'));
    writeFileSync(join(dir, 'toyscope.yaml'), 'devices:\n  - name: teddy\n    ip: 127.0.0.2\n');
    expect((await toyscope('--data-dir', dir, 'replay', join(FIXTURES, 'curl-multipart/capture.pcap'))).code).toBe(0);
    const start = await toyscope('--data-dir', dir, 'experiment', 'start', 'consent off', '--device', 'teddy');
    expect(start.code).toBe(0);
    expect(start.out).toMatch(/ for teddy \(127\.0\.0\.2\)\.\n$/);
    rmSync(dir, { recursive: true, force: true });
  });
});

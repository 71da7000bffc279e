/**
 * Bad input through the real CLI (a child process, as a lab or CI runs it): each case is one line and the exit code
 * docs/cli.md documents, never a stack trace or "internal error"; a gate never passes on nothing; standard input and
 * FIFOs are read like files. The captures are recorded fixtures, cut or patched where the case needs it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.ts';
import { captureRecord, finding, flowRecord } from '../../testkit/records.ts';
import { FIXTURES, type ToyscopeRun, toyscope, toyscopeWith } from '../helpers/toyscope-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'toyscope-bad-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const multipart = join(FIXTURES, 'curl-multipart/capture.pcap');
const policy = join(dir, 'policy.yaml');
writeFileSync(policy, 'version: 1\nrules:\n  - {id: no-voice, category: voice, allow: none}\n');

/** One line on standard error, no stack, no "internal error". */
function expectOneLine(r: ToyscopeRun, code: number, pattern: RegExp): void {
  expect(r.code).toBe(code);
  expect(r.err).toMatch(pattern);
  expect(r.err).not.toMatch(/internal error|\n\s+at /);
}

/** A fresh database in its own data directory: `[--data-dir, DIR]`. */
let n = 0;
function fresh(): string[] {
  const d = join(dir, `data-${++n}`);
  return ['--data-dir', d];
}

describe('replay: a gate never passes on nothing', () => {
  const pcap = readFileSync(multipart);
  const empty = join(dir, 'empty.pcap');
  const headerOnly = join(dir, 'header-only.pcap');
  const unknownLink = join(dir, 'unknown-link.pcap');
  writeFileSync(empty, '');
  writeFileSync(headerOnly, pcap.subarray(0, 24)); // the recorded global header, no record
  const patched = Buffer.from(pcap);
  patched.writeUInt32LE(147, 20); // LINKTYPE_USER0: every record is skipped
  writeFileSync(unknownLink, patched);

  for (const [name, file, why] of [
    ['an empty file', empty, /empty\.pcap: nothing to analyze: the file is empty/],
    ['a header without records', headerOnly, /header-only\.pcap: nothing to analyze/],
    ['every record of an unknown link type', unknownLink, /unknown-link\.pcap: nothing to analyze.*link/],
  ] as const) {
    it(`${name}: exit 2 with --policy, never "passed", and no capture stored`, async () => {
      const data = fresh();
      const r = await toyscope(...data, 'replay', file, '--policy', policy);
      expectOneLine(r, 2, why);
      expect(r.out).not.toMatch(/passed/i);
      const list = await toyscope(...data, 'captures', '--json');
      expect(list.code).toBe(0);
      expect(list.out).not.toMatch(/"captures": \[\s*\{/);
    });
  }

  it('with a good capture beside it: the good one is reported, the exit code is still 2', async () => {
    const r = await toyscope(...fresh(), 'replay', multipart, empty, '--policy', policy);
    expectOneLine(r, 2, /empty\.pcap: nothing to analyze/);
    expect(r.out).toMatch(/Flows: 1/);
  });

  it('--strict: skipped parts fail the gate (exit 1), as docs/cli.md says', async () => {
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, pcap.subarray(0, pcap.length - 30));
    expect((await toyscope(...fresh(), 'replay', cut)).code).toBe(0);
    expect((await toyscope(...fresh(), 'replay', '--strict', cut)).code).toBe(1);
  });
});

describe('replay: what is not a regular file', () => {
  it('a directory: one line, exit 2', async () => {
    expectOneLine(await toyscope(...fresh(), 'replay', dir), 2, /^toyscope: .*/);
  });

  it("'-' reads standard input, and its capture row gets the sha256 of what was read", async () => {
    const data = fresh();
    const r = await toyscopeWith({ input: readFileSync(multipart) }, ...data, 'replay', '-', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).flows).toHaveLength(1);
    const sha = createHash('sha256').update(readFileSync(multipart)).digest('hex');
    const list = JSON.parse((await toyscope(...data, 'captures', '--json')).out);
    expect(list.captures.map((c: { sha256: string }) => c.sha256)).toEqual([sha]);
  });

  it("'-' names the sha256 of what was read in the summary and in the report's chain of custody", async () => {
    const data = fresh();
    const sha = createHash('sha256').update(readFileSync(multipart)).digest('hex');
    const r = await toyscopeWith({ input: readFileSync(multipart) }, ...data, 'replay', '-');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`sha256 ${sha.slice(0, 12)}`);
    const device = JSON.parse((await toyscope(...data, 'flows', '--json')).out).exchanges[0].deviceId;
    const report = await toyscope(...data, 'report', '--device', device, '--lang', 'en');
    expect(report.code).toBe(0);
    expect(report.out).toContain(`<div class="mono">${sha} · - · `);
  });

  it('/dev/stdin is standard input too, even when it is a socket (as node and CI runners give it)', async () => {
    const r = await toyscopeWith({ input: readFileSync(multipart) }, ...fresh(), 'replay', '/dev/stdin', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).flows).toHaveLength(1);
  });

  it("'-' twice: one line, exit 2", async () => {
    expectOneLine(await toyscope(...fresh(), 'replay', '-', '-'), 2, /standard input/);
  });

  it('empty standard input: nothing to analyze, exit 2', async () => {
    expectOneLine(await toyscopeWith({ input: new Uint8Array() }, ...fresh(), 'replay', '-'), 2, /nothing to analyze/);
  });

  it('a FIFO is read as it is written (tcpdump -w fifo)', async () => {
    const fifo = join(dir, 'capture.fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = createWriteStream(fifo); // opens when the reader does
    writer.end(readFileSync(multipart));
    const r = await toyscope(...fresh(), 'replay', fifo, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).flows).toHaveLength(1);
  });
});

describe('databases and confirmations', () => {
  it('--db at a directory, a garbage file or in a missing directory: one line, exit 2', async () => {
    const garbage = join(dir, 'garbage.db');
    writeFileSync(garbage, 'this is not SQLite '.repeat(100));
    for (const db of [dir, garbage, join(dir, 'no/such/dir/t.db')]) {
      expectOneLine(await toyscope('--db', db, 'replay', multipart), 2, /cannot open database/);
    }
  });

  it('policy check without a database: one line, exit 2', async () => {
    const r = await toyscope('--db', join(dir, 'absent.db'), 'policy', 'check', '--policy', policy);
    expectOneLine(r, 2, /no database/);
  });

  it('purge not on a terminal without --yes refuses: one line, exit 2, nothing purged', async () => {
    const data = fresh();
    expect((await toyscope(...data, 'replay', multipart)).code).toBe(0);
    expectOneLine(await toyscope(...data, 'purge', '--everything'), 2, /refusing to purge/);
    const list = JSON.parse((await toyscope(...data, 'captures', '--json')).out);
    expect(list.captures).toHaveLength(1);
  });
});

describe('a reader that goes away', () => {
  it('toyscope findings | head -1 ends quietly with the command exit code', async () => {
    const dataDir = join(dir, 'many');
    mkdirSync(dataDir);
    const store = openStore(join(dataDir, 'toyscope.db'));
    const w = store.writer();
    w.capture(captureRecord());
    w.flow(flowRecord());
    for (let i = 0; i < 5000; i++) w.finding(finding({ id: `finding-${i}`, evidence: { excerpt: `ex••${i}` } }));
    w.close();
    store.close();
    // Far more than a pipe holds (64 KiB), so the writer meets the closed pipe.
    const bin = join(import.meta.dirname, '../../bin/toyscope.js');
    const line = `"${process.execPath}" "${bin}" --data-dir "${dataDir}" findings --json | head -c 100 >/dev/null`;
    const r = spawnSync('bash', ['-c', `${line}; echo "exit \${PIPESTATUS[0]}"`], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('exit 0');
  }, 90_000);
});

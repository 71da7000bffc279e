/** `toyscope ca init|show|export` through runCli-like process runs: files, modes, PEM and DER, errors exit 2. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toyscope } from '../helpers/toyscope-process.ts';

describe('toyscope ca', () => {
  it('inits, shows and exports the CA; refuses a second init and a missing CA', async () => {
    const d = join(mkdtempSync(join(tmpdir(), 'toyscope-cli-ca-')), 'data');
    expect((await toyscope('--data-dir', d, 'ca', 'show')).code).toBe(2);
    const init = await toyscope('--data-dir', d, 'ca', 'init');
    expect(init.code).toBe(0);
    expect(init.out).toMatch(/SHA-256 {6}[0-9A-F:]{95}/);
    expect((await toyscope('--data-dir', d, 'ca', 'init')).err).toMatch(/already exists/);
    const pem = await toyscope('--data-dir', d, 'ca', 'export');
    expect(pem.out).toBe(readFileSync(join(d, 'ca', 'toyscope-ca.pem'), 'utf8'));
    const der = join(d, 'ca.cer');
    expect((await toyscope('--data-dir', d, 'ca', 'export', '--der', '--out', der)).code).toBe(0);
    expect(
      execFileSync('openssl', ['x509', '-inform', 'DER', '-in', der, '-noout', '-subject'], { encoding: 'utf8' }),
    ).toContain('toyscope');
    expect((await toyscope('--data-dir', d, 'ca', 'export', '--der')).code).toBe(2);
    expect((await toyscope('--data-dir', d, 'ca', 'bogus')).code).toBe(2);
  }, 120_000);
});

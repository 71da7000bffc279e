/**
 * docker-compose.yml (no Docker engine here): host networking, NET_ADMIN, the data directory as a volume, and a
 * command the real CLI accepts — every option is parsed by `toyscope gateway up` (with --help appended, which
 * parses strictly and then prints the usage instead of starting), defaults filled in as Compose would.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCliInProcess } from '../helpers/cli-run.ts';

const ROOT = join(import.meta.dirname, '../..');
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'));
const service = compose.services.toyscope;
/** `${VAR:-default}` as Compose substitutes it with VAR unset. */
const substitute = (s: string) => s.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');

describe('docker-compose.yml', () => {
  it('runs with host networking, NET_ADMIN and the data directory on a volume', () => {
    expect(service.network_mode).toBe('host');
    expect(service.cap_add).toEqual(['NET_ADMIN']);
    const command: string[] = service.command.map(substitute);
    const dataDir = command[command.indexOf('--data-dir') + 1];
    expect(service.volumes).toContain(`./toyscope-data:${dataDir}`);
    expect(service.stop_signal).toBe('SIGINT');
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toContain('ENTRYPOINT ["node", "bin/toyscope.js"]');
  });

  it('has a command whose every option the real CLI takes', async () => {
    const command: string[] = service.command.map(substitute);
    expect(command.slice(2, 4)).toEqual(['gateway', 'up']);
    const r = await runCliInProcess([...command, '--help']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain('Usage: toyscope gateway up');
    const wrong = await runCliInProcess([...command, '--lan-interface', 'x', '--help']);
    expect(wrong.code).toBe(2); // an option the CLI does not know would fail the same way
  });
});

/**
 * `toyscope gateway rules|down` as a lab tester runs them (a child process): the printed rules are exactly the
 * ones proxy/gateway-rules.ts makes for the options, and wrong options give one line and exit 2. `gateway down`
 * with a state file, and `gateway up`, touch a firewall: they are tested in a namespace lab (test/proxy/).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { iptablesRules, nftRules } from '../../proxy/gateway-rules.ts';
import { DEFAULT_LIMITS } from '../../src/model/limits.ts';
import { runCliInProcess } from '../helpers/cli-run.ts';
import { toyscope } from '../helpers/toyscope-process.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'toyscope-gateway-cli-'));
const spec = {
  lan: 'wlan0',
  proxyPort: 8080,
  dnsPort: 53,
  ipv6: 'block' as const,
  maxUdpFlows: DEFAULT_LIMITS.MAX_UDP_FLOWS,
  udpIdleSeconds: DEFAULT_LIMITS.UDP_IDLE_TIMEOUT_US / 1e6,
};

describe('toyscope gateway', () => {
  it('rules: prints the nft script, or iptables commands, for the options', async () => {
    const base = ['--data-dir', dataDir, 'gateway', 'rules', '--lan', 'wlan0', '--listen', '192.168.4.1:8080'];
    const nft = await toyscope(...base, '--dns', '192.168.4.1:53');
    expect(nft).toEqual({ code: 0, out: nftRules(spec), err: '' });
    const ipt = await runCliInProcess([...base, '--ipv6', 'intercept', '--wan', 'eth0', '--format', 'iptables']);
    expect(ipt.out).toBe(iptablesRules({ ...spec, dnsPort: undefined, ipv6: 'intercept', wan: 'eth0' }));
  });

  it('rules: a wrong option is one line and exit 2', async () => {
    const cases: Array<[string[], string]> = [
      [['--listen', '192.168.4.1:8080'], 'missing --lan IF'],
      [['--lan', 'wlan0'], 'missing --listen HOST:PORT'],
      [['--lan', 'wlan0', '--listen', '127.0.0.1:8080'], 'a loopback listener never sees it'],
      [['--lan', 'wlan0', '--listen', 'proxy.lan:8080'], '--listen proxy.lan:8080: expected IP:PORT'],
      [['--lan', 'wlan0"; flush ruleset', '--listen', '0.0.0.0:8080'], 'is not an interface name'],
      [
        ['--lan', 'wlan0', '--listen', '0.0.0.0:8080', '--ipv6', 'allow'],
        "--ipv6 allow: expected 'block' or 'intercept'",
      ],
      [['--lan', 'wlan0', '--listen', '0.0.0.0:8080', '--format', 'pf'], "--format pf: expected 'nft' or 'iptables'"],
    ];
    for (const [args, message] of cases) {
      const r = await runCliInProcess(['--data-dir', dataDir, 'gateway', 'rules', ...args]);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toContain(message);
      expect(r.err).toMatch(/^toyscope: [^\n]*\nTry 'npx toyscope gateway rules --help'.\n$/);
    }
  });

  it('down: without a state file there is nothing to remove', async () => {
    expect(await runCliInProcess(['--data-dir', dataDir, 'gateway', 'down'])).toMatchObject({
      code: 0,
      out: 'no gateway state: nothing to remove\n',
      err: '',
    });
  });
});

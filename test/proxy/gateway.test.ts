/**
 * proxy/gateway.ts in the gateway namespace of a lab: `up` adds its nft table and turns on IP forwarding that
 * was off, a second gateway is refused while the first runs, and what a gateway added is removed exactly — at
 * a normal exit, after an uncaught exception, and after a kill -9 by the next start or by `toyscope gateway down`.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { STATE_FILE } from '../../proxy/gateway.ts';
import type { GatewayRulesSpec } from '../../proxy/gateway-rules.ts';
import { createLab, describeNetns, type Lab } from '../helpers/netns.ts';

const ROOT = join(import.meta.dirname, '../..');
const SPEC: GatewayRulesSpec = { lan: 'lan0', proxyPort: 8080, ipv6: 'block', maxUdpFlows: 64, udpIdleSeconds: 60 };

/** A process that brings the gateway up, prints `up`, then does `then` (JavaScript). */
function gatewayProcess(dataDir: string, then: string): string[] {
  const program = `
import { Gateway } from ${JSON.stringify(join(ROOT, 'proxy/gateway.ts'))};
try {
  await Gateway.up(${JSON.stringify(dataDir)}, ${JSON.stringify(SPEC)});
} catch (e) {
  console.log('refused: ' + e.message);
  process.exit(0);
}
console.log('up');
${then}`;
  return [process.execPath, '--import', 'tsx', '--input-type=module', '-e', program];
}

describeNetns('gateway footprint (namespace lab)', () => {
  let lab: Lab;
  let dataDir: string;
  const tables = () => lab.run(lab.gateway, ['nft', 'list', 'tables']);
  const forwarding = async () => (await lab.run(lab.gateway, ['cat', '/proc/sys/net/ipv4/ip_forward'])).trim();

  beforeAll(async () => {
    lab = await createLab({ tag: 'gwup', devices: 0 });
    dataDir = mkdtempSync(join(tmpdir(), 'toyscope-gateway-'));
    await lab.run(lab.gateway, ['sysctl', '-qw', 'net.ipv4.ip_forward=0']);
  });
  afterAll(() => lab?.destroy());

  it('adds its table and forwarding, refuses a second gateway, and a kill -9 is cleaned by gateway down', async () => {
    const first = await lab.start(lab.gateway, gatewayProcess(dataDir, 'setInterval(() => {}, 1000);'), 'up');
    expect(await tables()).toBe('table inet toyscope\n');
    expect(await forwarding()).toBe('1');
    const second = await lab.run(lab.gateway, gatewayProcess(dataDir, 'process.exit(0);'));
    expect(second).toBe(`refused: a gateway is already up (pid ${first.pid}); stop it first\n`);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    expect(await tables()).toBe('table inet toyscope\n'); // a killed process removes nothing itself
    expect(existsSync(join(dataDir, STATE_FILE))).toBe(true);
    const down = await lab.run(
      lab.gateway,
      [process.execPath, 'bin/toyscope.js', '--data-dir', dataDir, 'gateway', 'down'],
      {
        cwd: ROOT,
      },
    );
    expect(down).toMatch(
      new RegExp(`^removed the gateway rules \\(table inet toyscope\\) of pid ${first.pid}, started `),
    );
    expect(await tables()).toBe('');
    expect(await forwarding()).toBe('0');
    expect(existsSync(join(dataDir, STATE_FILE))).toBe(false);
  });

  it('removes what it added at exit and after an uncaught exception; the next start cleans a killed one', async () => {
    expect(await lab.run(lab.gateway, gatewayProcess(dataDir, 'process.exit(0);'))).toBe('up\n');
    expect(await tables()).toBe('');
    const crash = await lab.exec(
      lab.gateway,
      gatewayProcess(dataDir, "setTimeout(() => { throw new Error('boom'); });"),
    );
    expect(crash.stderr).toContain('boom');
    expect(await tables()).toBe('');
    expect(await forwarding()).toBe('0');
    const killed = await lab.start(lab.gateway, gatewayProcess(dataDir, 'setInterval(() => {}, 1000);'), 'up');
    killed.kill('SIGKILL');
    await new Promise((resolve) => killed.once('exit', resolve));
    // The next gateway starts over the leftovers: one table, not two, and nothing after it exits.
    expect(
      await lab.run(
        lab.gateway,
        gatewayProcess(
          dataDir,
          'console.log(JSON.stringify(await (await import("node:child_process")).execSync("nft list tables").toString())); process.exit(0);',
        ),
      ),
    ).toBe('up\n"table inet toyscope\\n"\n');
    expect(await tables()).toBe('');
    expect(await forwarding()).toBe('0');
  });
});

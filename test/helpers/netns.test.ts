/**
 * The namespace lab itself (test/helpers/netns.ts): devices reach the origin's cloud addresses through the
 * gateway over IPv4 and IPv6, the root namespace is left exactly as it was, and `destroy()` removes every
 * namespace and process, as does the next lab for namespaces a dead test process left behind. What it runs is
 * named (labPrograms), so the CI guard knows every program a lab test needs.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, describeNetns, LAB, type Lab, labPrograms } from './netns.ts';

const rootState = () =>
  ['link', 'addr', 'route', '-6 route', 'rule'].map((what) =>
    execFileSync('sh', ['-c', `ip ${what} show`], { encoding: 'utf8' }),
  );
const namespaces = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });

/** Serves one HTTP answer per connection naming the address it was reached on. */
const ORIGIN = `require('node:net').createServer((s) => s.end(s.localAddress + '\\n')).listen(80, '::', () => console.log('up'))`;

describeNetns('namespace lab', () => {
  let lab: Lab;
  let before: string[];

  beforeAll(async () => {
    before = rootState();
    lab = await createLab({ tag: 'lab', devices: 2 });
    const origin = lab.spawn(lab.origin, [process.execPath, '-e', ORIGIN]);
    await new Promise((resolve) => origin.stdout?.once('data', resolve));
  });
  afterAll(() => lab?.destroy());

  it('routes each device to any cloud address, IPv4 and IPv6, through the gateway', async () => {
    const dial = (ns: string, host: string) =>
      lab.run(ns, [process.execPath, '-e', `require('node:net').connect(80, '${host}').pipe(process.stdout)`]);
    expect(await dial(lab.devices[0]!.ns, LAB.cloud(9))).toBe(`::ffff:${LAB.cloud(9)}\n`);
    expect(await dial(lab.devices[1]!.ns, LAB.cloud6(0x99))).toBe(`${LAB.cloud6(0x99)}\n`);
    const neigh = await lab.run(lab.gateway, ['ip', 'neigh', 'show', 'dev', LAB.lanIf]);
    expect(neigh).toContain(`${lab.devices[0]!.ip} lladdr ${lab.devices[0]!.mac}`);
  });

  it('adds nothing to the root namespace, and destroy() deletes every namespace and process', async () => {
    expect(rootState()).toEqual(before);
    const sleeper = lab.spawn(lab.devices[1]!.ns, ['sleep', '600']);
    await lab.destroy();
    expect(namespaces()).not.toContain(lab.gateway);
    expect(namespaces()).not.toContain(lab.devices[1]!.ns);
    await new Promise((resolve) => (sleeper.exitCode === null ? sleeper.once('exit', resolve) : resolve(null)));
    expect(sleeper.signalCode).toBe('SIGKILL');
    expect(rootState()).toEqual(before);
  });

  it('deletes namespaces left behind by a test process that died', async () => {
    const stale = 'toyscope-stale-999999999-gw'; // a pid that cannot be alive
    execFileSync('ip', ['netns', 'add', stale]);
    const next = await createLab({ tag: 'lab2', devices: 0 });
    try {
      expect(namespaces()).not.toContain(stale);
    } finally {
      await next.destroy();
    }
  });
});

describe('labPrograms: what a lab argv starts, for the CI guard', () => {
  it('names argv[0], node for process.execPath, and every command of an sh script', () => {
    expect(labPrograms(['nft', '-f', '-'])).toEqual(['nft']);
    expect(labPrograms([process.execPath, '-e', 'x'])).toEqual(['node']);
    expect(labPrograms(['sh', '-c', 'exec mosquitto -v -c m.conf 2>&1'])).toEqual(['sh', 'mosquitto']);
    expect(labPrograms(['sh', '-c', 'openssl s_client </dev/null 2>/dev/null | openssl x509 && X=1 dig a'])).toEqual([
      'sh',
      'openssl',
      'openssl',
      'dig',
    ]);
    expect(
      labPrograms(['sh', '-es'], '#!/bin/sh\nset -e\niptables -A X; ip6tables -A X\n# curl in a comment\n'),
    ).toEqual(['sh', 'iptables', 'ip6tables']);
  });
});

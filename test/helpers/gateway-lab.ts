/**
 * The set-up the transparent-gateway tests share (test/cli/gateway-*.test.ts): a toyscope.yaml naming the lab's
 * devices and the cloud's host names, the test cloud (lab-cloud.ts) in the origin namespace, and `toyscope gateway
 * up` on the lab's LAN in the gateway namespace, trusting the test root for the clouds.
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PKI } from './lab-cloud.ts';
import type { Lab } from './netns.ts';

const ROOT = join(import.meta.dirname, '../..');

/** Writes `dir`/toyscope.yaml: each device by name and MAC, each host name resolved statically; returns its path. */
export function writeLabConfig(
  dir: string,
  devices: ReadonlyArray<{ name: string; mac: string }>,
  hosts: Readonly<Record<string, string>>,
): string {
  const config = join(dir, 'toyscope.yaml');
  writeFileSync(
    config,
    [
      'devices:',
      ...devices.map((d) => `  - {name: ${d.name}, mac: "${d.mac}"}`),
      'dns:',
      '  static:',
      ...Object.entries(hosts).map(([name, ip]) => `    ${name}: ${ip.includes(':') ? `"${ip}"` : ip}`),
    ].join('\n'),
  );
  return config;
}

/** Starts the test cloud of `dir` (its PKI made by makeTestPki) in the origin namespace. */
export async function startLabCloud(lab: Lab, dir: string): Promise<void> {
  await lab.start(
    lab.origin,
    [process.execPath, '--import', 'tsx', join(ROOT, 'test/helpers/lab-cloud.ts'), dir],
    'up',
    { cwd: ROOT },
  );
}

/** Starts `toyscope gateway up --lan lan0` with `extra` flags, once it says it is up; data in `dir`/data. */
export function startGateway(lab: Lab, dir: string, config: string, extra: readonly string[]): Promise<ChildProcess> {
  return lab.start(
    lab.gateway,
    [
      process.execPath,
      'bin/toyscope.js',
      '--data-dir',
      join(dir, 'data'),
      '--config',
      config,
      'gateway',
      'up',
      '--lan',
      'lan0',
      ...extra,
      '--upstream-ca',
      join(dir, PKI.caCert),
    ],
    'Press Ctrl-C',
    { cwd: ROOT, timeoutMs: 120_000 },
  );
}

/**
 * proxy/original-dst.ts through the real addon: in a namespace lab, the gateway's nftables REDIRECT sends a
 * device's connections to a listener, which reads where each was going (IPv4 and IPv6); a connection made to the
 * listener itself reads as not redirected.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originalDstEcho, tcpProbe } from '../helpers/lab-probes.ts';
import { createLab, describeNetns, LAB, type Lab } from '../helpers/netns.ts';

const ROOT = join(import.meta.dirname, '../..');
const PORT = 8080;

describeNetns('original destination of redirected connections (namespace lab)', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await createLab({ tag: 'odst' });
    await lab.nft(`table inet t {
      chain pre {
        type nat hook prerouting priority dstnat;
        iifname "lan0" meta l4proto tcp redirect to :${PORT}
      }
    }`);
    await lab.start(lab.gateway, originalDstEcho(PORT), 'up', { cwd: ROOT });
  });
  afterAll(() => lab?.destroy());

  const dial = async (ns: string, host: string, port: number) => {
    const r = JSON.parse(await lab.run(ns, tcpProbe(host, port)));
    return JSON.parse(r.data);
  };

  it('reads the IPv4 address and port the device dialled', async () => {
    expect(await dial(lab.devices[0]!.ns, LAB.cloud(7), 443)).toEqual({ ip: LAB.cloud(7), port: 443 });
    expect(await dial(lab.devices[0]!.ns, LAB.cloud(200), 1883)).toEqual({ ip: LAB.cloud(200), port: 1883 });
  });

  it('reads the IPv6 address and port the device dialled (IP6T_SO_ORIGINAL_DST)', async () => {
    expect(await dial(lab.devices[0]!.ns, LAB.cloud6(7), 443)).toEqual({ ip: LAB.cloud6(7), port: 443 });
  });

  it('says "not redirected" for a connection to the listener itself', async () => {
    expect(await dial(lab.gateway, '127.0.0.1', PORT)).toBeNull();
  });
});

describe('when the addon cannot load', () => {
  it('says so in one line with the fix', () => {
    // A copy of the module (and what it imports) beside a node_modules whose addon was never built.
    const dir = mkdtempSync(join(tmpdir(), 'toyscope-odst-'));
    try {
      mkdirSync(join(dir, 'node_modules/toyscope-original-dst'), { recursive: true });
      writeFileSync(
        join(dir, 'node_modules/toyscope-original-dst/package.json'),
        '{"name":"toyscope-original-dst","main":"build/Release/original_dst.node"}',
      );
      writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
      for (const f of ['original-dst.ts', 'address.ts']) copyFileSync(join(ROOT, 'proxy', f), join(dir, f));
      const script = `import { loadOriginalDst } from ${JSON.stringify(join(dir, 'original-dst.ts'))};
        try { loadOriginalDst(); } catch (e) { console.log(e.name + ': ' + e.message); }`;
      const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      expect(out.trim().split('\n')).toHaveLength(1);
      expect(out).toMatch(
        /^OriginalDstUnavailable: transparent mode needs the SO_ORIGINAL_DST addon, which did not load \(Cannot find module .*\); build it with `npm rebuild toyscope-original-dst`/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

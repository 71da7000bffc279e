/**
 * `toyscope proxy`: the live intercepting proxy (proxy/) on the embedded store. It parses the options, makes or
 * reads the CA, wires proxy → stream layer → analysis pipeline → store writer (and the terminal or NDJSON
 * output, the --save capture, the key log), prints how to point a device at it, and on Ctrl-C drains
 * everything in order and exits 0. The proxy itself is proxy/server.ts.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { loadOrCreateCa } from '../../../proxy/ca.ts';
import { CA_HOST } from '../../../proxy/ca-page.ts';
import { PcapngSave } from '../../../proxy/save.ts';
import { startProxy } from '../../../proxy/server.ts';
import { type OpenTap, streamTaps, teeTaps } from '../../../proxy/tap.ts';
import type { ClientCert } from '../../../proxy/upstream.ts';
import { analysisPipeline } from '../../analysis.ts';
import { type Config, configLimits } from '../../config.ts';
import { dataDirPaths, ensureDataDir } from '../../data-dir.ts';
import { InputError } from '../../errors.ts';
import { type Command, flag, type Globals, parseCommandArgs, str, strs } from '../command.ts';
import { EXIT, UsageError } from '../errors.ts';
import { cell } from '../format.ts';
import { LiveOutput } from '../live-output.ts';

const USAGE = `Usage: toyscope proxy [options]

Runs the live intercepting proxy: point a phone's or a device's Wi-Fi proxy setting at it,
install the toyscope CA on it (the proxy serves it at http://${CA_HOST}/), and every flow and
finding is printed as it happens and stored in the database. HTTP, HTTPS (intercepted with
certificates from the toyscope CA), WebSocket and MQTT go through the same analysis as replay.
Ctrl-C stops it cleanly.

Options:
  --listen HOST:PORT      where to listen (default 127.0.0.1:8080; another address is reachable
                          from the network: a warning is printed)
  --resolve HOST:ADDR     connect to ADDR for HOST (repeatable, like curl's --resolve)
  --upstream-ca FILE      also trust this CA (PEM) for the clouds' certificates (repeatable)
  --upstream-insecure     do not verify the clouds' certificates (lab clouds; still recorded)
  --upstream-proxy URL    reach the clouds through this HTTP proxy (http://HOST:PORT)
  --ignore-hosts GLOB     relay TLS to these hosts unread (repeatable or comma-separated; like
                          tls.passthrough in toyscope.yaml)
  --keylog [FILE]         write TLS secrets of both legs for Wireshark (default DATA_DIR/keylog.txt)
  --save FILE.pcapng      also write what was relayed as a capture 'toyscope replay' reads
  --json                  print one JSON record per flow and finding (NDJSON, docs/cli.md)
  --quiet                 print only the start and the summary
  --reveal                unmasked values in the output (do not use in shared logs)
  -h, --help              show this help
Global options: --data-dir DIR, --config FILE, --db FILE (see 'toyscope --help').

Examples:
  toyscope proxy
  toyscope proxy --listen 192.168.4.1:8080 --save session.pcapng
  toyscope proxy --resolve api.toycloud.example:10.0.0.5 --upstream-ca lab-root.pem

Exit codes: 0 stopped with Ctrl-C, 2 bad arguments, configuration, or an address in use.`;

export const proxy: Command = {
  name: 'proxy',
  usage: USAGE,

  async run(argv, g) {
    const p = parseCommandArgs('proxy', keylogDefault(argv), {
      listen: { type: 'string' },
      resolve: { type: 'string', multiple: true },
      'upstream-ca': { type: 'string', multiple: true },
      'upstream-insecure': { type: 'boolean' },
      'upstream-proxy': { type: 'string' },
      'ignore-hosts': { type: 'string', multiple: true },
      keylog: { type: 'string' },
      save: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      reveal: { type: 'boolean' },
    });
    if (p.help) {
      g.io.out(`${USAGE}\n`);
      return EXIT.ok;
    }
    const listen = listenAddress(str(p, 'listen') ?? '127.0.0.1:8080');
    const resolve = new Map(strs(p, 'resolve').map(pin));
    const upstreamProxy = upstreamProxyOf(str(p, 'upstream-proxy'));
    const extraCa = strs(p, 'upstream-ca').map((f) => readText(f, '--upstream-ca'));
    const config = g.config();
    const passthrough = [...config.tls.passthrough, ...strs(p, 'ignore-hosts').flatMap((s) => s.split(','))]
      .map((h) => h.trim().toLowerCase())
      .filter((h) => h !== '');
    const clientCerts = config.tls.clientCerts.map(
      (c): ClientCert => ({
        hosts: c.hosts,
        cert: readText(c.cert, 'tls.clientCerts'),
        key: readText(c.key, 'tls.clientCerts'),
      }),
    );
    const paths = dataDirPaths(g.dataDir);
    ensureDataDir(paths.dir);
    const { ca, created } = loadOrCreateCa(paths.ca);
    const json = flag(p, 'json');
    // With --json, stdout is NDJSON only: everything else goes to stderr.
    const say = (line: string) => (json ? g.io.err(line) : g.io.out(line));
    if (created) say(`Created the interception CA in ${paths.ca} (install ${ca.certFile} on devices).\n`);

    const store = await g.openStore(g.dbFile);
    const writer = store.writer();
    const live = new LiveOutput(writer, {
      print: (line) => g.io.out(line),
      json,
      quiet: flag(p, 'quiet'),
      reveal: flag(p, 'reveal'),
      config,
    });
    const pipeline = analysisPipeline(config, live);
    const limits = configLimits(config);
    const save = str(p, 'save') ? new PcapngSave(str(p, 'save')!) : undefined;
    const keylogFile = str(p, 'keylog') === '' ? paths.keylog : str(p, 'keylog');
    const keylogFd = keylogFile ? openSync(keylogFile, 'a', 0o600) : undefined;
    let openTap: OpenTap = streamTaps({
      emit: (ev) => pipeline.push(ev),
      violation: (v) => writer.violation(v),
      limits,
    });
    if (save) openTap = teeTaps(openTap, save.open);
    let running: Awaited<ReturnType<typeof startProxy>>;
    try {
      running = await startProxy({
        listen,
        ca,
        limits,
        upstream: {
          resolve,
          extraCa,
          insecure: flag(p, 'upstream-insecure'),
          clientCerts,
          ...(upstreamProxy ? { proxy: upstreamProxy } : {}),
        },
        passthrough,
        openTap,
        ...(keylogFd !== undefined ? { keylog: (line: Buffer) => writeSync(keylogFd, line) } : {}),
        onProblem: (pr) => {
          if (!flag(p, 'quiet') && !json)
            g.io.err(
              `  ${cell(`${pr.client}${pr.target ? ` → ${pr.target}` : ''}: ${pr.code}: ${pr.message}`, 200)}\n`,
            );
        },
      });
    } catch (err) {
      store.close();
      save?.close();
      const e = err as NodeJS.ErrnoException;
      throw new InputError(`cannot listen on ${listen.host}:${listen.port}: ${e.code ?? e.message}`);
    }
    say(banner(running.address.address, running.address.port, ca.certFile, g, config));
    await interrupted();
    say('\nStopping: closing connections, finishing analysis, flushing the database …\n');
    await running.close();
    pipeline.finish();
    await pipeline.drain();
    writer.close();
    store.close();
    save?.close();
    if (keylogFd !== undefined) closeSync(keylogFd);
    const shed = live.faceShed > 0 ? `, ${live.faceShed} images not face-checked under load (face-unchecked)` : '';
    say(`Done: ${live.flows} flows, ${live.findings} findings${shed}. See them with 'toyscope findings'.\n`);
    return EXIT.ok;
  },
};

/** A bare `--keylog` (last, or followed by another option) means DATA_DIR/keylog.txt: written as `--keylog=`. */
function keylogDefault(argv: string[]): string[] {
  return argv.map((a, i) =>
    a === '--keylog' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('-')) ? '--keylog=' : a,
  );
}

/** `ADDRESS:PORT` (IPv6 in brackets); port 0 picks a free one. */
function listenAddress(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(text);
  const host = m?.[1] ?? m?.[2];
  if (!m || !host || isIP(host) === 0 || Number(m[3]) > 65535) {
    throw new UsageError('--listen takes ADDRESS:PORT, e.g. 127.0.0.1:8080', 'proxy');
  }
  return { host, port: Number(m[3]) };
}

function pin(spec: string): [string, string] {
  // HOST:ADDR, or curl's HOST:PORT:ADDR (the port is not needed: the device names it); IPv6 in brackets.
  const m = /^([^:\s]+)(?::\d+)?:(\[[0-9a-fA-F:.]+\]|[0-9.]+)$/.exec(spec);
  const addr = m?.[2]?.replace(/^\[|\]$/g, '');
  if (!m || !addr || isIP(addr) === 0) {
    throw new UsageError(`--resolve takes HOST:ADDR, e.g. api.example.com:127.0.0.1 (got '${spec}')`, 'proxy');
  }
  return [m[1]!.toLowerCase(), addr];
}

function upstreamProxyOf(url: string | undefined): { host: string; port: number } | undefined {
  if (url === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--upstream-proxy takes a URL like http://10.0.0.1:3128 (got '${url}')`, 'proxy');
  }
  if (u.protocol !== 'http:') throw new UsageError('--upstream-proxy supports http:// proxies (CONNECT)', 'proxy');
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 80) };
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`${what}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** Where it listens, how to point a device at it, the CA page; a warning when reachable from the network. */
function banner(address: string, port: number, caFile: string, g: Globals, config: Config): string {
  const loopback = address.startsWith('127.') || address === '::1';
  const lines = [`toyscope proxy listening on ${address}:${port}`];
  if (!loopback) {
    lines.push(
      'WARNING: this address is reachable from the network: anyone who can reach it can use the proxy.',
      '         Listen on the test network only (e.g. the lab Wi-Fi interface), never on a public one.',
    );
  }
  const here = loopback ? address : address === '0.0.0.0' || address === '::' ? lanAddress() : address;
  lines.push(
    `Point the device at it: Wi-Fi settings → Proxy → Manual → host ${here}, port ${port}`,
    `  (loopback: only clients on this machine, e.g. curl -x http://${address}:${port} …)`,
    `Install the CA on the device: open http://${CA_HOST}/ through the proxy, or copy ${caFile}`,
    `Database: ${g.dbFile}${config.file ? `   Config: ${config.file}` : ''}`,
    'Press Ctrl-C to stop.',
    '',
  );
  return `${lines.join('\n')}\n`;
}

/** The first non-internal IPv4 address of this machine, to tell a tester what to type on a device. */
function lanAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return 'THIS-MACHINE';
}

/** Resolves on the first SIGINT or SIGTERM. */
function interrupted(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

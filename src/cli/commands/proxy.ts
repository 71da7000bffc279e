/**
 * `toyscope proxy`: the live intercepting proxy (proxy/) on the embedded store. It parses the options, makes or
 * reads the CA, wires proxy → stream layer → analysis pipeline → store writer (and the terminal or NDJSON
 * output, the --save capture, the key log), prints how to point a device at it, and on Ctrl-C drains
 * everything in order and exits 0. The proxy itself is proxy/server.ts.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { isIP, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { formatHostPort, type HostPort, parseHostPort, portOutOfRange } from '../../../proxy/address.ts';
import { loadOrCreateCa } from '../../../proxy/ca.ts';
import { CA_HOST } from '../../../proxy/ca-page.ts';
import type { ProbeCa } from '../../../proxy/cert-cache.ts';
import { DnsForwarder } from '../../../proxy/dns-forwarder.ts';
import { PcapngSave } from '../../../proxy/save.ts';
import { startProxy } from '../../../proxy/server.ts';
import { nowMicros, type OpenTap, streamTaps, teeTaps } from '../../../proxy/tap.ts';
import type { Target } from '../../../proxy/target.ts';
import type { ClientCert } from '../../../proxy/upstream.ts';
import { analysisPipeline } from '../../analysis.ts';
import { type Config, caInstalled, configLimits, deviceName } from '../../config.ts';
import { dataDirPaths, ensureDataDir } from '../../data-dir.ts';
import { InputError, systemReason } from '../../errors.ts';
import type { FlowEvent } from '../../model/events.ts';
import type { FlowId } from '../../model/flow.ts';
import type { Violation } from '../../model/violation.ts';
import { certTable } from '../../report/cert-table.ts';
import { DnsFlows } from '../../streams/dns.ts';
import { renderCertTable } from '../cert-checks-view.ts';
import {
  type Command,
  flag,
  type Globals,
  type OptionSpec,
  type Parsed,
  parseCommandArgs,
  str,
  strs,
} from '../command.ts';
import { EXIT, UsageError } from '../errors.ts';
import { cell, plural } from '../format.ts';
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
  --probe-tls             test each device's certificate checking: offer toyscope's leaf, a
                          self-signed one, one for a wrong name and an expired one on a host's
                          first four connections, and print the table at exit (docs/cert-checks.md).
                          Without it, a host whose certificate a device refused twice is passed
                          through for that device (re-tried after PROXY_PASSTHROUGH_TTL_MS)
  --keylog [FILE]         write TLS secrets of both legs for Wireshark (default DATA_DIR/keylog.txt)
  --save FILE.pcapng      also write what was relayed as a capture 'toyscope replay' reads
  --save-tls              with --save: write intercepted HTTPS as the device saw it (its real TLS
                          bytes and the session keys in the file), not the plaintext; Wireshark and
                          replay decrypt it. Slows relaying of intercepted connections
  --dns HOST:PORT         also run a DNS forwarder there (UDP and TCP) for the test network: names in
                          dns.static of toyscope.yaml are answered, others forwarded to --dns-upstream;
                          its answers name flows to bare IPs (transparent mode: 'toyscope gateway')
  --dns-upstream ADDR     the resolver the forwarder asks (ADDR or ADDR:PORT, port 53 by default)
  --json                  print one JSON record per flow and finding (NDJSON, docs/cli.md)
  --quiet                 print only the start and the summary
  --reveal                unmasked values in the output (do not use in shared logs)
  -h, --help              show this help
Global options: --data-dir DIR, --config FILE, --db FILE (see 'toyscope --help').

Examples:
  toyscope proxy
  toyscope proxy --listen 192.168.4.1:8080 --save session.pcapng
  toyscope proxy --save session.pcapng --save-tls
  toyscope proxy --resolve api.toycloud.example:10.0.0.5 --upstream-ca lab-root.pem

Exit codes: 0 stopped with Ctrl-C, 2 bad arguments, configuration, or an address in use.`;

export const proxy: Command = {
  name: 'proxy',
  usage: USAGE,

  async run(argv, g) {
    const p = parseCommandArgs('proxy', keylogDefault(argv), PROXY_OPTIONS);
    if (p.help) {
      g.io.out(`${USAGE}\n`);
      return EXIT.ok;
    }
    return runLive(p, g, { listen: listenAddress(str(p, 'listen') ?? '127.0.0.1:8080') });
  },
};

/** The options of `toyscope proxy`, which `toyscope gateway up` takes too. */
export const PROXY_OPTIONS = {
  listen: { type: 'string' },
  resolve: { type: 'string', multiple: true },
  'upstream-ca': { type: 'string', multiple: true },
  'upstream-insecure': { type: 'boolean' },
  'upstream-proxy': { type: 'string' },
  'ignore-hosts': { type: 'string', multiple: true },
  'probe-tls': { type: 'boolean' },
  keylog: { type: 'string' },
  save: { type: 'string' },
  'save-tls': { type: 'boolean' },
  dns: { type: 'string' },
  'dns-upstream': { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  reveal: { type: 'boolean' },
} as const satisfies OptionSpec;

/** What `gateway up` adds to a live run. */
export interface LiveHooks {
  listen: { host: string; port: number };
  /** The DNS forwarder's address when not from `--dns` (the gateway's LAN address). */
  dnsListen?: { host: string; port: number };
  /** The address the forwarder gives the CA page's name (the gateway's LAN address); default its own, if not a wildcard. */
  caAddress?: string;
  originalDestination?: (socket: Socket) => Target | undefined;
  macOf?: (ip: string) => string | undefined;
  /** Lines for the banner after the proxy's. */
  banner?: string[];
  /**
   * Called once the proxy and the DNS forwarder listen (the gateway applies its rules here) with the run's
   * event sink; resolves with what to do first at stop (remove the rules, close the recorded UDP flows).
   */
  started?: (run: LiveRun) => Promise<() => Promise<void>>;
}

/** The run's shared event sink, for other live sources. */
export interface LiveRun {
  emit: (ev: FlowEvent) => void;
  newFlowId: () => FlowId;
  dns: DnsFlows;
}

/** A live run until SIGINT/SIGTERM: proxy (and DNS forwarder) → stream layer → pipeline → store and output. */
export async function runLive(p: Parsed, g: Globals, hooks: LiveHooks): Promise<number> {
  const { listen } = hooks;
  if (flag(p, 'save-tls') && !str(p, 'save')) throw new UsageError('--save-tls needs --save FILE.pcapng', 'proxy');
  const dnsListen = hooks.dnsListen ?? dnsAddress(str(p, 'dns'), 'proxy');
  const dnsUpstream = dnsAddress(str(p, 'dns-upstream'), 'proxy', 53);
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
  const probeCa = config.tls.probeCa && loadProbeCa(config.tls.probeCa);
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
  let n = 0;
  const prefix = `live-${Date.now().toString(36)}`;
  const newFlowId = () => `${prefix}:${++n}`;
  const violation = (v: Violation) => writer.violation(v);
  // One DNS for the run: the forwarder's answers name the proxy's flows to bare IPs, and it sees every flow.
  const dns = new DnsFlows({ source: 'live', emit: (ev) => pipeline.push(ev), violation, newFlowId, limits });
  const emit = (ev: FlowEvent) => {
    dns.observe(ev);
    pipeline.push(ev);
  };
  const macOf = hooks.macOf;
  let openTap: OpenTap = streamTaps({ emit, violation, limits, dns, ...(macOf ? { macOf } : {}) });
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
      certChecks: {
        probe: flag(p, 'probe-tls'),
        forceIntercept: config.tls.forceIntercept,
        caInstalled: (deviceId) => caInstalled(config, deviceId),
      },
      ...(probeCa ? { probeCa } : {}),
      openTap,
      nextFlowId: newFlowId,
      hostOf: (ip) => dns.server({ ip, port: 0 }).host,
      ...(hooks.originalDestination ? { originalDestination: hooks.originalDestination } : {}),
      ...(keylogFd !== undefined ? { keylog: (line: Buffer) => writeSync(keylogFd, line) } : {}),
      ...(flag(p, 'save-tls') ? { deviceWire: true } : {}),
      onProblem: (pr) => {
        if (!flag(p, 'quiet') && !json)
          g.io.err(`  ${cell(`${pr.client}${pr.target ? ` → ${pr.target}` : ''}: ${pr.code}: ${pr.message}`, 200)}\n`);
      },
    });
  } catch (err) {
    store.close();
    save?.close();
    throw new InputError(`cannot listen on ${formatHostPort(listen)}: ${systemReason(err)}`);
  }
  let forwarder: DnsForwarder | undefined;
  let stopHook: (() => Promise<void>) | undefined;
  try {
    if (dnsListen) {
      const tap = { dns, emit, newFlowId, ...(macOf ? { macOf } : {}) };
      const upstream = dnsUpstream ? { upstream: dnsUpstream } : {};
      forwarder = await DnsForwarder.start({
        listen: dnsListen,
        ...upstream,
        static: withCaHost(config.dns.static, hooks.caAddress ?? dnsListen.host),
        tap,
        limits,
      }).catch((err: unknown) => {
        throw new InputError(`cannot listen for DNS on ${formatHostPort(dnsListen)}: ${systemReason(err)}`);
      });
    }
    stopHook = await hooks.started?.({ emit, newFlowId, dns });
  } catch (err) {
    await forwarder?.close();
    await running.close();
    store.close();
    save?.close();
    throw err;
  }
  say(banner(running.address.address, running.address.port, ca.certFile, g, config));
  if (forwarder) {
    const to = dnsUpstream ? `forwarding to ${formatHostPort(dnsUpstream)}` : 'no --dns-upstream: other names REFUSED';
    say(`DNS forwarder on ${formatHostPort(forwarder.address)} (dns.static answered here, ${to})\n`);
  }
  for (const line of hooks.banner ?? []) say(`${line}\n`);
  const startTs = Date.now() * 1000;
  await interrupted();
  say('\nStopping: closing connections, finishing analysis, flushing the database …\n');
  await stopHook?.();
  await forwarder?.close();
  await running.close();
  dns.end(nowMicros());
  pipeline.finish();
  await pipeline.drain();
  writer.close();
  const checks = certTable(store.listCertChecks({ sinceTs: startTs }));
  if (json && checks.length > 0) g.io.out(`${JSON.stringify({ type: 'cert-checks', rows: checks })}\n`);
  else if (checks.length > 0 && !flag(p, 'quiet')) {
    say(`\nCertificate checks:\n${renderCertTable(checks, (d) => deviceName(config, d))}\n`);
  }
  store.close();
  save?.close();
  if (keylogFd !== undefined) closeSync(keylogFd);
  const shed = live.faceShed > 0 ? `, ${live.faceShed} images not face-checked under load (face-unchecked)` : '';
  const done = `${plural(live.flows, 'flow')}, ${plural(live.findings, 'finding')}${shed}`;
  say(`Done: ${done}. See them with '${g.hint('findings')}'.\n`);
  return EXIT.ok;
}

/** `--dns`/`--dns-upstream` values: `ADDR:PORT` (or `ADDR` with `defaultPort`), an IP address. */
function dnsAddress(text: string | undefined, command: string, defaultPort?: number): HostPort | undefined {
  if (text === undefined) return undefined;
  const hp = parseHostPort(text, defaultPort);
  if (!hp || isIP(hp.host) === 0) throw new UsageError(`expected an IP address and port, got '${text}'`, command);
  return hp;
}

/** A bare `--keylog` (last, or followed by another option) means DATA_DIR/keylog.txt: written as `--keylog=`. */
export function keylogDefault(argv: string[]): string[] {
  return argv.map((a, i) =>
    a === '--keylog' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('-')) ? '--keylog=' : a,
  );
}

/** `ADDRESS:PORT` (IPv6 in brackets); port 0 picks a free one. */
function listenAddress(text: string): { host: string; port: number } {
  const range = portOutOfRange(text);
  if (range) throw new UsageError(`--listen: ${range}`, 'proxy');
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(text);
  const host = m?.[1] ?? m?.[2];
  if (!m || !host || isIP(host) === 0) {
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

/** Config `tls.probeCa`: a CA certificate and its key (PEM), checked to match; a one-line error otherwise. */
function loadProbeCa(files: { cert: string; key: string }): ProbeCa {
  const certPem = readText(files.cert, 'tls.probeCa.cert');
  const keyPem = readText(files.key, 'tls.probeCa.key');
  try {
    const key = createPrivateKey(keyPem);
    const x509 = new X509Certificate(certPem);
    if (!x509.ca) throw new Error(`${files.cert} is not a CA certificate`);
    if (!x509.checkPrivateKey(key)) throw new Error(`the key in ${files.key} does not match ${files.cert}`);
    return { certPem, key };
  } catch (err) {
    throw new InputError(`tls.probeCa: ${(err as Error).message.split('\n')[0]}`);
  }
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`${what}: cannot read ${file}: ${systemReason(err)}`);
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

/**
 * config `dns.static` plus the CA page's name answered with `host` (a gateway's LAN address, where TCP port 80 is
 * sent to the proxy), so a device on the test network can open http://ca.toyscope/. Not for a wildcard address
 * (no single address to give); an entry of the config wins.
 */
function withCaHost(table: Readonly<Record<string, readonly string[]>>, host: string) {
  if (host === '0.0.0.0' || host === '::') return table;
  return { [CA_HOST]: [host], ...table };
}

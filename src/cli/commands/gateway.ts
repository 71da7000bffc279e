/**
 * `toyscope gateway rules|up|down`: the transparent gateway for devices that take no proxy setting. `rules`
 * prints the nftables (or iptables) rules for a LAN interface; `up` applies them in a table of its own and runs
 * the proxy and the DNS forwarder on the LAN interface's address until Ctrl-C, then removes exactly what it
 * added; `down` removes what a gateway that crashed or was killed left behind. The rules are proxy/gateway-rules.ts,
 * their lifecycle proxy/gateway.ts; this file only reads options and prints.
 */
import { isIP } from 'node:net';
import { join } from 'node:path';
import { type HostPort, parseHostPort } from '../../../proxy/address.ts';
import { cleanupStale, Gateway, lanInterface, STATE_FILE, systemNft } from '../../../proxy/gateway.ts';
import {
  type GatewayRulesSpec,
  type Ipv6Mode,
  iptablesRules,
  nftRules,
  specProblem,
} from '../../../proxy/gateway-rules.ts';
import { Neighbours } from '../../../proxy/neighbours.ts';
import { loadOriginalDst, originalDestination } from '../../../proxy/original-dst.ts';
import { nowMicros } from '../../../proxy/tap.ts';
import { pollUdp, UdpRecorder } from '../../../proxy/udp-recorder.ts';
import { configLimits } from '../../config.ts';
import { ensureDataDir } from '../../data-dir.ts';
import { InputError } from '../../errors.ts';
import type { Command, Globals, Parsed } from '../command.ts';
import { parseCommandArgs, str, subcommand } from '../command.ts';
import { EXIT, UsageError } from '../errors.ts';
import { keylogDefault, PROXY_OPTIONS, runLive } from './proxy.ts';

const USAGE = `Usage: toyscope gateway up --lan IF [--dns-upstream ADDR] [options]
       toyscope gateway rules --lan IF --listen HOST:PORT [--dns HOST:PORT] [options]
       toyscope gateway down

Transparent mode, for toys that take no proxy setting: the machine running toyscope is the
devices' gateway (a test Wi-Fi access point, or the router's next hop), and its firewall sends
their traffic to toyscope. See README § Transparent gateway.

  up      be the gateway until Ctrl-C (as root): apply the rules below for IF in the nftables
          table inet toyscope, run the proxy on IF's address (port --port) with every
          'toyscope proxy' option, and the DNS forwarder there (port --dns-port); each flow's
          device is named by its MAC from the neighbour table. At exit (and after a crash, at
          the next start) exactly what it added is removed.
  rules   print the firewall rules for the LAN interface IF: TCP to the proxy at HOST:PORT (the
          proxy reads each connection's original destination), UDP and TCP 53 to the DNS
          forwarder at --dns, UDP 443 rejected so QUIC falls back to TCP, other UDP forwarded
          and recorded, IPv6 intercepted or rejected (never let through unseen). REDIRECT
          delivers to the LAN interface's own address: the proxy must listen there (or on
          0.0.0.0 / ::, whose ports the rules then close to every other interface), not on
          loopback.
  down    remove the rules and settings that a gateway which crashed or was killed left behind
          (as recorded in DATA_DIR/${STATE_FILE}); 'gateway up' does this by itself at start.

Options:
  --lan IF           the interface the devices are on (e.g. wlan0)
  --listen HOST:PORT the proxy's address (the port TCP is redirected to)
  --dns HOST:PORT    the DNS forwarder's address ('toyscope proxy --dns'); without it DNS is not
                     intercepted
  --wan IF           also masquerade what leaves through IF (a test Wi-Fi behind this machine)
  --ipv6 MODE        'block' (default: IPv6 from the LAN is rejected, so devices use IPv4) or
                     'intercept' (redirected like IPv4; the proxy must listen on :: too)
  --format FORMAT    'nft' (default: an nft -f script replacing the table inet toyscope) or
                     'iptables' (shell commands; other UDP is then not recorded)
  --port PORT        up: the proxy's port on IF's address (default 8080)
  --dns-port PORT    up: the DNS forwarder's port (default 53)
  --dns-upstream ADDR
                     up: where the forwarder sends names dns.static does not answer (ADDR or
                     ADDR:PORT); without it those get REFUSED
  -h, --help         show this help
'gateway up' also takes the options of 'toyscope proxy' (--resolve, --upstream-ca, --ignore-hosts,
--keylog, --save, --json, --quiet, --reveal …). Global options: --data-dir DIR, --config FILE, --db FILE.

Examples:
  sudo toyscope gateway up --lan wlan0 --wan eth0 --dns-upstream 1.1.1.1
  toyscope gateway rules --lan wlan0 --listen 192.168.4.1:8080 --dns 192.168.4.1:53 | sudo nft -f -
  toyscope gateway rules --lan eth1 --listen 0.0.0.0:8080 --ipv6 intercept --format iptables

Exit codes: 0 done (up: stopped with Ctrl-C), 2 bad arguments, a missing interface or addon, a
gateway that is still running, or rules nft refused.`;

const OPTIONS = {
  lan: { type: 'string' },
  listen: { type: 'string' },
  dns: { type: 'string' },
  wan: { type: 'string' },
  ipv6: { type: 'string' },
  format: { type: 'string' },
} as const;

export const gateway: Command = {
  name: 'gateway',
  usage: USAGE,

  async run(argv, g) {
    const cmd = subcommand('gateway', argv, ['up', 'rules', 'down'], USAGE, g.io);
    if (!cmd) return EXIT.ok;
    if (cmd.sub === 'up') return up(cmd.rest, g);
    return cmd.sub === 'rules' ? rules(cmd.rest, g) : down(cmd.rest, g);
  },
};

const { listen: _listen, dns: _dns, ...LIVE_OPTIONS } = PROXY_OPTIONS;

async function up(argv: string[], g: Globals): Promise<number> {
  const p = parseCommandArgs('gateway up', keylogDefault(argv), {
    ...LIVE_OPTIONS,
    lan: { type: 'string' },
    wan: { type: 'string' },
    ipv6: { type: 'string' },
    port: { type: 'string' },
    'dns-port': { type: 'string' },
  });
  if (p.help) {
    g.io.out(`${USAGE}\n`);
    return EXIT.ok;
  }
  const port = portOption(p, 'port', 8080);
  const dnsPort = portOption(p, 'dns-port', 53);
  const spec = rulesSpec(p, g, 'gateway up', port, dnsPort);
  const lan = lanInterface(spec.lan);
  const ipv4 = lan.ipv4[0];
  if (ipv4 === undefined) {
    throw new InputError(`${spec.lan} has no IPv4 address (e.g. sudo ip addr add 192.168.4.1/24 dev ${spec.lan})`);
  }
  try {
    loadOriginalDst();
  } catch (err) {
    throw new InputError((err as Error).message);
  }
  // IPv6 interception needs a listener on :: (IPv4 comes mapped); the rules then close the ports elsewhere.
  spec.wildcardListen = spec.ipv6 === 'intercept';
  const host = spec.wildcardListen ? '::' : ipv4;
  const neighbours = new Neighbours(spec.lan);
  const macOf = (ip: string) => neighbours.macOf(ip);
  const banner = [
    `Gateway on ${spec.lan} (${ipv4}): TCP → :${port}, DNS → :${dnsPort}, QUIC rejected, other UDP recorded, ` +
      `IPv6 ${spec.ipv6 === 'intercept' ? 'intercepted' : 'rejected'} (nft table inet toyscope, removed at exit).`,
    `Hand out ${ipv4} as the devices' router and DNS server (README § Transparent gateway).`,
  ];
  return runLive(p, g, {
    listen: { host, port },
    dnsListen: { host, port: dnsPort },
    caAddress: ipv4,
    originalDestination: (socket) => {
      const d = originalDestination(socket);
      return d && { host: d.ip, port: d.port };
    },
    macOf,
    banner,
    started: async (run) => {
      ensureDataDir(g.dataDir);
      const gw = await Gateway.up(g.dataDir, spec);
      banner.push(...gw.warnings.map((w) => `WARNING: ${w}`));
      const recorder = new UdpRecorder({ emit: run.emit, newFlowId: run.newFlowId, dns: run.dns, macOf });
      const poll = pollUdp(recorder, systemNft, nowMicros);
      return async () => {
        await poll.stop();
        gw.downSync();
      };
    },
  });
}

/** A port option, or `fallback` when absent. */
function portOption(p: Parsed, key: string, fallback: number): number {
  const text = str(p, key);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535)
    throw new UsageError(`--${key} ${text}: expected a port (1-65535)`, 'gateway up');
  return n;
}

function rules(argv: string[], g: Globals): number {
  const p = parseCommandArgs('gateway rules', argv, OPTIONS);
  if (p.help) {
    g.io.out(`${USAGE}\n`);
    return EXIT.ok;
  }
  const listen = hostPort(p, 'listen', 'gateway rules');
  if (!listen) throw new UsageError('missing --listen HOST:PORT (the proxy address)', 'gateway rules');
  if (isLoopback(listen.host)) {
    throw new UsageError(
      `--listen ${listen.host}: REDIRECT delivers to the LAN interface's address, a loopback listener never sees it`,
      'gateway rules',
    );
  }
  const dns = hostPort(p, 'dns', 'gateway rules');
  const spec = rulesSpec(p, g, 'gateway rules', listen.port, dns?.port);
  if (isWildcard(listen.host) || (dns && isWildcard(dns.host))) spec.wildcardListen = true;
  const format = str(p, 'format') ?? 'nft';
  if (format !== 'nft' && format !== 'iptables') {
    throw new UsageError(`--format ${format}: expected 'nft' or 'iptables'`, 'gateway rules');
  }
  g.io.out(format === 'nft' ? nftRules(spec) : iptablesRules(spec));
  return EXIT.ok;
}

function down(argv: string[], g: Globals): number {
  if (parseCommandArgs('gateway down', argv, {}).help) {
    g.io.out(`${USAGE}\n`);
    return EXIT.ok;
  }
  ensureDataDir(g.dataDir);
  const state = cleanupStale(join(g.dataDir, STATE_FILE));
  g.io.out(
    state
      ? `removed the gateway rules (table ${state.table}) of pid ${state.pid}, started ${state.startedAt}\n`
      : 'no gateway state: nothing to remove\n',
  );
  return EXIT.ok;
}

/** The rules for the options; UsageError on a bad interface name, mode or port. */
export function rulesSpec(
  p: Parsed,
  g: Globals,
  command: string,
  proxyPort: number,
  dnsPort: number | undefined,
): GatewayRulesSpec {
  const lan = str(p, 'lan');
  if (lan === undefined) throw new UsageError('missing --lan IF (the interface the devices are on)', command);
  const ipv6 = str(p, 'ipv6') ?? 'block';
  if (ipv6 !== 'block' && ipv6 !== 'intercept') {
    throw new UsageError(`--ipv6 ${ipv6}: expected 'block' or 'intercept'`, command);
  }
  const limits = configLimits(g.config());
  const wan = str(p, 'wan');
  const spec: GatewayRulesSpec = {
    lan,
    ...(wan !== undefined ? { wan } : {}),
    proxyPort,
    ...(dnsPort !== undefined ? { dnsPort } : {}),
    ipv6: ipv6 as Ipv6Mode,
    maxUdpFlows: limits.MAX_UDP_FLOWS,
    udpIdleSeconds: Math.max(1, Math.round(limits.UDP_IDLE_TIMEOUT_US / 1e6)),
  };
  const problem = specProblem(spec);
  if (problem) throw new UsageError(problem, command);
  return spec;
}

/** A `HOST:PORT` option with an IP host and a non-zero port, or undefined when absent. */
export function hostPort(p: Parsed, key: string, command: string): HostPort | undefined {
  const text = str(p, key);
  if (text === undefined) return undefined;
  const hp = parseHostPort(text);
  if (!hp || isIP(hp.host) === 0 || hp.port === 0) {
    throw new UsageError(`--${key} ${text}: expected IP:PORT (e.g. 192.168.4.1:8080 or [::]:8080)`, command);
  }
  return hp;
}

const isLoopback = (host: string): boolean => host === '::1' || host.startsWith('127.');
const isWildcard = (host: string): boolean => host === '0.0.0.0' || host === '::';

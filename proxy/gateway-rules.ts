/**
 * The firewall rules of the transparent gateway, as text: an nftables script (what `toyscope gateway up`
 * applies, in a table of its own) and the same as iptables commands for labs without nft. What they do, on
 * traffic arriving from the LAN interface:
 *
 * - TCP to anywhere but the gateway itself → REDIRECT to the proxy's port (the proxy reads the original
 *   destination with SO_ORIGINAL_DST, proxy/original-dst.ts). REDIRECT delivers to the LAN interface's own
 *   address, so the proxy listens there (or on a wildcard address). Also TCP port 80 to the gateway itself: the
 *   forwarder answers the CA page's name (`ca.toyscope`) with the gateway's LAN address, and the proxy answers
 *   the page (a web server of the gateway's own on port 80 is not reachable from the LAN while the rules stand).
 * - UDP and TCP port 53 → REDIRECT to the DNS forwarder, when one is given.
 * - UDP port 443 (QUIC) → rejected, so clients fall back to TCP, which is intercepted.
 * - Other UDP forwarded as it is, recorded per 5-tuple with byte counts in dynamic sets the UDP recorder reads
 *   (proxy/udp-recorder.ts); QUIC attempts are recorded before they are rejected.
 * - IPv6: intercepted like IPv4 (`ipv6: 'intercept'`, IP6T_SO_ORIGINAL_DST) or rejected (`'block'`, with the
 *   attempts recorded too), never let through unseen.
 * - With a WAN interface, what leaves through it is masqueraded (a test Wi-Fi behind the toyscope host).
 * - With listeners on a wildcard address, their ports are closed to every interface but the LAN and loopback.
 *
 * Text only: applying and removing them is proxy/gateway.ts's job.
 */
/** The nftables table the gateway owns: created whole and deleted whole. */
export const NFT_TABLE = 'toyscope';
/** The iptables chains the gateway owns (nat and filter tables). */
const IPT_CHAIN = 'TOYSCOPE';

export type Ipv6Mode = 'intercept' | 'block';

export interface GatewayRulesSpec {
  /** The LAN interface the devices are on. */
  lan: string;
  /** The interface toward the Internet, to masquerade; none when the upstream router routes the LAN back. */
  wan?: string;
  /** The proxy's port (TCP is redirected there). */
  proxyPort: number;
  /** The DNS forwarder's port (UDP and TCP 53 are redirected there); none to leave DNS alone. */
  dnsPort?: number;
  ipv6: Ipv6Mode;
  /**
   * The proxy and forwarder listen on a wildcard address (`--ipv6 intercept` needs `::`): their ports are then
   * dropped on every interface but the LAN and loopback, so the proxy is not open to the uplink.
   */
  wildcardListen?: boolean;
  /** Entries per recording set (MAX_UDP_FLOWS) and their idle timeout in seconds (UDP_IDLE_TIMEOUT_US). */
  maxUdpFlows: number;
  udpIdleSeconds: number;
}

/** The sets the recorder reads: `<family>_<direction>` keyed by the device's address and port first. */
export const UDP_SETS = {
  ip: { up: 'udp4_up', down: 'udp4_down' },
  ip6: { up: 'udp6_up', down: 'udp6_down' },
} as const;
/** Rejected IPv6 attempts (block mode): device address, destination, protocol, port. */
export const BLOCKED6_SET = 'blocked6';

const IFNAME = /^[A-Za-z0-9_.@:-]{1,15}$/;

/** Why a spec cannot make rules, or undefined. Interface names are checked so they cannot inject rule text. */
export function specProblem(spec: GatewayRulesSpec): string | undefined {
  for (const [flag, name] of [
    ['--lan', spec.lan],
    ['--wan', spec.wan],
  ] as const) {
    if (name !== undefined && !IFNAME.test(name)) return `${flag} '${name}' is not an interface name`;
  }
  if (spec.wan !== undefined && spec.wan === spec.lan) return '--wan and --lan name the same interface';
  for (const port of [spec.proxyPort, spec.dnsPort]) {
    if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535))
      return `port ${port} is out of range`;
  }
  return undefined;
}

/** Whether a listener on `host` receives what REDIRECT delivers (the LAN interface's addresses, or a wildcard). */
export function redirectReaches(host: string, lanAddresses: readonly string[]): boolean {
  return host === '0.0.0.0' || host === '::' || lanAddresses.includes(host);
}

/** The nftables script: replaces the table `inet toyscope` whole in one transaction. */
export function nftRules(spec: GatewayRulesSpec): string {
  const lan = `iifname "${spec.lan}"`;
  const families = spec.ipv6 === 'intercept' ? (['ip', 'ip6'] as const) : (['ip'] as const);
  const set = (name: string, type: string) =>
    `  set ${name} { type ${type}; flags dynamic, timeout; timeout ${spec.udpIdleSeconds}s; size ${spec.maxUdpFlows}; counter; }`;
  const sets: string[] = [];
  const forward: string[] = [];
  for (const f of families) {
    const addr = f === 'ip' ? 'ipv4_addr' : 'ipv6_addr';
    const names = UDP_SETS[f];
    sets.push(set(names.up, `${addr} . inet_service . ${addr} . inet_service`));
    sets.push(set(names.down, `${addr} . inet_service . ${addr} . inet_service`));
    forward.push(
      `    ${lan} meta nfproto ${f === 'ip' ? 'ipv4' : 'ipv6'} meta l4proto udp update @${names.up} { ${f} saddr . udp sport . ${f} daddr . udp dport }`,
    );
    forward.push(
      `    oifname "${spec.lan}" meta nfproto ${f === 'ip' ? 'ipv4' : 'ipv6'} meta l4proto udp update @${names.down} { ${f} daddr . udp dport . ${f} saddr . udp sport }`,
    );
  }
  if (spec.ipv6 === 'block') {
    sets.push(set(BLOCKED6_SET, 'ipv6_addr . ipv6_addr . inet_proto . inet_service'));
    forward.unshift(
      `    ${lan} meta nfproto ipv6 meta l4proto { tcp, udp } update @${BLOCKED6_SET} { ip6 saddr . ip6 daddr . meta l4proto . th dport }`,
      `    ${lan} meta nfproto ipv6 meta l4proto tcp reject with tcp reset`,
      `    ${lan} meta nfproto ipv6 reject with icmpx admin-prohibited`,
    );
  }
  forward.push(`    ${lan} udp dport 443 reject with icmpx port-unreachable`);
  const prerouting: string[] = [];
  if (spec.dnsPort !== undefined) {
    const v4only = spec.ipv6 === 'block' ? 'meta nfproto ipv4 ' : '';
    prerouting.push(`    ${lan} ${v4only}meta l4proto { tcp, udp } th dport 53 redirect to :${spec.dnsPort}`);
  }
  const tcpFamily = spec.ipv6 === 'block' ? 'meta nfproto ipv4 ' : '';
  prerouting.push(`    ${lan} ${tcpFamily}fib daddr type != local meta l4proto tcp redirect to :${spec.proxyPort}`);
  prerouting.push(`    ${lan} ${tcpFamily}fib daddr type local tcp dport 80 redirect to :${spec.proxyPort}`);
  const lines = [
    `# toyscope gateway: LAN ${spec.lan}, TCP → :${spec.proxyPort}${spec.dnsPort ? `, DNS → :${spec.dnsPort}` : ', DNS not intercepted'}, IPv6 ${spec.ipv6 === 'intercept' ? 'intercepted' : 'blocked'}`,
    `table inet ${NFT_TABLE} {}`,
    `delete table inet ${NFT_TABLE}`,
    `table inet ${NFT_TABLE} {`,
    ...sets,
    '  chain prerouting {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    ...prerouting,
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
    ...forward,
    '  }',
  ];
  if (spec.wildcardListen) {
    const others = `iifname != { "${spec.lan}", "lo" }`;
    lines.push('  chain input {', '    type filter hook input priority filter; policy accept;');
    lines.push(`    ${others} tcp dport ${spec.proxyPort} drop`);
    if (spec.dnsPort !== undefined) lines.push(`    ${others} meta l4proto { tcp, udp } th dport ${spec.dnsPort} drop`);
    lines.push('  }');
  }
  if (spec.wan !== undefined) {
    lines.push(
      '  chain postrouting {',
      '    type nat hook postrouting priority srcnat; policy accept;',
      `    oifname "${spec.wan}" masquerade`,
      '  }',
    );
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** The nftables command that removes everything the script added. */
export function nftDelete(): string {
  return `delete table inet ${NFT_TABLE}\n`;
}

/**
 * The same rules as iptables/ip6tables commands (a shell script: set -e, `up` then the matching `down` as
 * comments). Without nftables sets, other UDP is not recorded: the script says so.
 */
export function iptablesRules(spec: GatewayRulesSpec): string {
  const up: string[] = [];
  const down: string[] = [];
  const families = spec.ipv6 === 'intercept' ? ['iptables', 'ip6tables'] : ['iptables'];
  for (const ipt of families) {
    up.push(`${ipt} -t nat -N ${IPT_CHAIN}`, `${ipt} -t nat -A PREROUTING -i ${spec.lan} -j ${IPT_CHAIN}`);
    if (spec.dnsPort !== undefined) {
      for (const p of ['udp', 'tcp'])
        up.push(`${ipt} -t nat -A ${IPT_CHAIN} -p ${p} --dport 53 -j REDIRECT --to-ports ${spec.dnsPort}`);
    }
    up.push(
      `${ipt} -t nat -A ${IPT_CHAIN} -p tcp -m addrtype ! --dst-type LOCAL -j REDIRECT --to-ports ${spec.proxyPort}`,
      `${ipt} -t nat -A ${IPT_CHAIN} -p tcp --dport 80 -m addrtype --dst-type LOCAL -j REDIRECT --to-ports ${spec.proxyPort}`,
    );
    up.push(`${ipt} -N ${IPT_CHAIN}`, `${ipt} -I FORWARD -i ${spec.lan} -j ${IPT_CHAIN}`);
    up.push(`${ipt} -A ${IPT_CHAIN} -p udp --dport 443 -j REJECT`);
    down.push(
      `${ipt} -t nat -D PREROUTING -i ${spec.lan} -j ${IPT_CHAIN}`,
      `${ipt} -t nat -F ${IPT_CHAIN}`,
      `${ipt} -t nat -X ${IPT_CHAIN}`,
      `${ipt} -D FORWARD -i ${spec.lan} -j ${IPT_CHAIN}`,
      `${ipt} -F ${IPT_CHAIN}`,
      `${ipt} -X ${IPT_CHAIN}`,
    );
  }
  if (spec.ipv6 === 'block') {
    up.push(
      `ip6tables -N ${IPT_CHAIN}`,
      `ip6tables -I FORWARD -i ${spec.lan} -j ${IPT_CHAIN}`,
      `ip6tables -A ${IPT_CHAIN} -p tcp -j REJECT --reject-with tcp-reset`,
      `ip6tables -A ${IPT_CHAIN} -j REJECT --reject-with adm-prohibited`,
    );
    down.push(
      `ip6tables -D FORWARD -i ${spec.lan} -j ${IPT_CHAIN}`,
      `ip6tables -F ${IPT_CHAIN}`,
      `ip6tables -X ${IPT_CHAIN}`,
    );
  }
  if (spec.wildcardListen) {
    for (const ipt of families) {
      up.push(`${ipt} -N ${IPT_CHAIN}_IN`, `${ipt} -I INPUT -j ${IPT_CHAIN}_IN`);
      const guard = (p: string, port: number) =>
        up.push(
          `${ipt} -A ${IPT_CHAIN}_IN ! -i ${spec.lan} -p ${p} --dport ${port} -m addrtype ! --src-type LOCAL -j DROP`,
        );
      guard('tcp', spec.proxyPort);
      if (spec.dnsPort !== undefined) for (const p of ['udp', 'tcp']) guard(p, spec.dnsPort);
      down.push(`${ipt} -D INPUT -j ${IPT_CHAIN}_IN`, `${ipt} -F ${IPT_CHAIN}_IN`, `${ipt} -X ${IPT_CHAIN}_IN`);
    }
  }
  if (spec.wan !== undefined) {
    up.push(`iptables -t nat -A POSTROUTING -o ${spec.wan} -j MASQUERADE`);
    down.push(`iptables -t nat -D POSTROUTING -o ${spec.wan} -j MASQUERADE`);
  }
  return [
    '#!/bin/sh',
    `# toyscope gateway (iptables): LAN ${spec.lan}, TCP → :${spec.proxyPort}${spec.dnsPort ? `, DNS → :${spec.dnsPort}` : ''}, IPv6 ${spec.ipv6 === 'intercept' ? 'intercepted' : 'blocked'}.`,
    '# Other UDP is forwarded but NOT recorded with iptables: use the nftables rules (toyscope gateway up does)',
    '# to record it. To remove these rules, run the commands at the end (without the #).',
    'set -e',
    ...up,
    '# down:',
    ...down.map((l) => `# ${l}`),
    '',
  ].join('\n');
}

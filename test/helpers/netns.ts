/**
 * A throw-away test network in Linux network namespaces, for transparent-gateway and certificate-probing tests:
 *
 * ```
 *  device 1..N (eth0, 192.0.2.10+i, 2001:db8:1::10+i)            origin (wan0 198.51.100.2, 2001:db8:2::2)
 *        │ veth                                                   │ every address of 203.0.113.0/24 and
 *        │                                                        │ 2001:db8:3::/64 is local (servers bind ::)
 *        └── lan0 bridge (192.0.2.1, 2001:db8:1::1) ─ gateway ─ wan0 (198.51.100.1, 2001:db8:2::1)
 * ```
 *
 * Every address is a documentation range (RFC 5737, RFC 3849) that exists only inside these namespaces. Both
 * ends of each veth pair are created directly in their namespaces, so nothing — no link, address, route or
 * rule — ever touches the root namespace. Namespace names carry a per-file tag and the process id (vitest runs
 * files in parallel); `destroy()` kills every process left in them and deletes them, also at process exit, and
 * `createLab` deletes namespaces that a dead test process left behind. It is the network, not the tests: what
 * runs in it (proxy, origins, clients) is the caller's.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { describe } from 'vitest';
import { hasTool } from './tools.ts';

const PREFIX = 'toyscope-';

/**
 * Every program the lab may run in its namespaces: argv[0] (`node` for process.execPath) and, for `sh -c SCRIPT`
 * or a script on `sh -s`'s input, each command of the script. `spawn` refuses any other, so this list is complete;
 * test/ci/external-deps.test.ts checks that `.ci/run` installs each (its static scan cannot see an argv built at
 * run time). Adding a program to a lab test means adding it here and there.
 */
export const LAB_PROGRAMS: readonly string[] = [
  'cat',
  'curl',
  'dig',
  'ip',
  'ip6tables',
  'ip6tables-save',
  'iptables',
  'iptables-save',
  'mosquitto',
  'mosquitto_pub',
  'nft',
  'node',
  'openssl',
  'sh',
  'sleep',
  'sysctl',
];
/** Words at a command position of a lab script that start no program. */
const SHELL_BUILTINS = new Set(['set', 'exec', 'cd', 'exit', 'true', ':', 'echo']);

/** The programs an argv starts: its first word, and the commands of an `sh` script (`-c SCRIPT`, or `input`). */
export function labPrograms(argv: readonly string[], input?: string): string[] {
  const [first = '', flag, script] = argv;
  const program = first === process.execPath ? 'node' : (first.split('/').pop() ?? first);
  if (program !== 'sh') return [program];
  const text = flag === '-c' ? script : flag && /^-[a-z]*s[a-z]*$/.test(flag) ? input : undefined;
  const commands = (text ?? '')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\s\d*[<>]+&?\s*[^\s|;&]*/g, ' ') // redirections (2>&1, </dev/null)
    .split(/\|\||&&|[|;&\n]/)
    .map((segment) =>
      segment
        .trim()
        .split(/\s+/)
        .filter((w) => !/^\w+=/.test(w)),
    )
    .map((words) => (words[0] === 'exec' ? words[1] : words[0]))
    .filter((w): w is string => !!w && !SHELL_BUILTINS.has(w));
  return ['sh', ...commands];
}
/** Device namespaces get MACs 02:00:00:00:00:<10+i> (locally administered). */
export const deviceMac = (i: number): string => `02:00:00:00:00:${(10 + i).toString(16).padStart(2, '0')}`;

/** The fixed addresses of the lab (documentation ranges, only ever inside the lab's namespaces). */
export const LAB = Object.freeze({
  lanIf: 'lan0',
  gatewayLan: '192.0.2.1',
  gatewayLan6: '2001:db8:1::1',
  gatewayWan: '198.51.100.1',
  gatewayWan6: '2001:db8:2::1',
  originWan: '198.51.100.2',
  originWan6: '2001:db8:2::2',
  /** Cloud host addresses the origin answers on: `cloud(1)` = 203.0.113.1. */
  cloud: (n: number): string => `203.0.113.${n}`,
  cloud6: (n: number): string => `2001:db8:3::${n.toString(16)}`,
});

/** One simulated device on the lab's LAN. */
export interface LabDevice {
  ns: string;
  ip: string;
  ip6: string;
  mac: string;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  input?: string;
  /** Default 30 s; the process is killed after it. */
  timeoutMs?: number;
  env?: Record<string, string>;
  cwd?: string;
}

export interface Lab {
  /** Namespace names. */
  readonly gateway: string;
  readonly origin: string;
  readonly devices: readonly LabDevice[];
  /** Runs a command in a namespace and resolves with its exit code and output (a non-zero exit is a result). */
  exec(ns: string, argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Like exec, but rejects with the command and its stderr on a non-zero exit. */
  run(ns: string, argv: readonly string[], opts?: ExecOptions): Promise<string>;
  /** Starts a long-running process in a namespace; it is killed by `destroy()` if still running. */
  spawn(ns: string, argv: readonly string[], opts?: Omit<ExecOptions, 'input' | 'timeoutMs'>): ChildProcess;
  /**
   * Starts a service in a namespace and resolves once its stdout shows `ready`; rejects with its stderr if it
   * exits first or is not ready within `timeoutMs` (default 30 s).
   */
  start(ns: string, argv: readonly string[], ready: string | RegExp, opts?: ExecOptions): Promise<ChildProcess>;
  /** Loads an nftables ruleset (`nft -f -`) in the gateway namespace. */
  nft(rules: string): Promise<void>;
  /** Kills what runs in the namespaces and deletes them; safe to call twice. */
  destroy(): Promise<void>;
}

export interface LabOptions {
  /** A short tag unique to the test file ([a-z0-9], ≤ 8 characters). */
  tag: string;
  /** Device namespaces on the LAN; default 1. */
  devices?: number;
}

/** Why namespace tests cannot run here, or undefined when they can (root, `ip` and `nft`). */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  for (const tool of ['ip', 'nft']) if (!hasTool(tool)) return `${tool} is not installed`;
  return undefined;
}

/**
 * `describe` for namespace tests: skipped with the reason when namespaces are unavailable, except under CI=true,
 * where the suite runs (and fails) so a green CI run means it ran.
 */
export function describeNetns(name: string, fn: () => void): void {
  const reason = netnsUnavailable();
  describe.skipIf(reason !== undefined && process.env.CI !== 'true')(
    reason ? `${name} (skipped: ${reason})` : name,
    fn,
  );
}

/** Builds the lab. On any failure, what was made is deleted before the error is thrown. */
export async function createLab(opts: LabOptions): Promise<Lab> {
  if (!/^[a-z0-9]{1,8}$/.test(opts.tag)) throw new Error(`lab tag '${opts.tag}': use 1-8 of [a-z0-9]`);
  removeStaleNamespaces();
  const base = `${PREFIX}${opts.tag}-${process.pid}`;
  const lab = new NetnsLab(base, opts.devices ?? 1);
  try {
    await lab.build();
  } catch (err) {
    await lab.destroy();
    throw err;
  }
  return lab;
}

class NetnsLab implements Lab {
  readonly gateway: string;
  readonly origin: string;
  readonly devices: LabDevice[];
  readonly #namespaces: string[];
  readonly #children = new Set<ChildProcess>();
  readonly #onExit = () => this.#deleteSync();
  #destroyed = false;

  constructor(base: string, deviceCount: number) {
    this.gateway = `${base}-gw`;
    this.origin = `${base}-or`;
    this.devices = Array.from({ length: deviceCount }, (_, i) => ({
      ns: `${base}-d${i + 1}`,
      ip: `192.0.2.${10 + i}`,
      ip6: `2001:db8:1::${(0x10 + i).toString(16)}`,
      mac: deviceMac(i),
    }));
    this.#namespaces = [this.gateway, this.origin, ...this.devices.map((d) => d.ns)];
    process.once('exit', this.#onExit);
  }

  async build(): Promise<void> {
    for (const ns of this.#namespaces) ipSync(['netns', 'add', ns]);
    const { gateway: gw, origin: or } = this;
    ipSync(['link', 'add', 'wan0', 'netns', gw, 'type', 'veth', 'peer', 'name', 'wan0', 'netns', or]);
    const gwBatch = [
      'link set lo up',
      'link add lan0 type bridge',
      'link set lan0 up',
      `addr add ${LAB.gatewayLan}/24 dev lan0`,
      `addr add ${LAB.gatewayLan6}/64 dev lan0 nodad`,
      'link set wan0 up',
      `addr add ${LAB.gatewayWan}/24 dev wan0`,
      `addr add ${LAB.gatewayWan6}/64 dev wan0 nodad`,
      `route add 203.0.113.0/24 via ${LAB.originWan}`,
      `route add 2001:db8:3::/64 via ${LAB.originWan6}`,
    ];
    const orBatch = [
      'link set lo up',
      'link set wan0 up',
      `addr add ${LAB.originWan}/24 dev wan0`,
      `addr add ${LAB.originWan6}/64 dev wan0 nodad`,
      'addr add 203.0.113.0/24 dev lo',
      'route add local 2001:db8:3::/64 dev lo',
      `route add default via ${LAB.gatewayWan}`,
      `route add default via ${LAB.gatewayWan6}`,
    ];
    this.devices.forEach((d, i) => {
      const port = `lanp${i + 1}`;
      ipSync(['link', 'add', 'eth0', 'netns', d.ns, 'type', 'veth', 'peer', 'name', port, 'netns', gw]);
      gwBatch.push(`link set ${port} master lan0`, `link set ${port} up`);
      ipBatch(d.ns, [
        'link set lo up',
        `link set eth0 address ${d.mac}`,
        'link set eth0 up',
        `addr add ${d.ip}/24 dev eth0`,
        `addr add ${d.ip6}/64 dev eth0 nodad`,
        `route add default via ${LAB.gatewayLan}`,
        `route add default via ${LAB.gatewayLan6}`,
      ]);
    });
    ipBatch(gw, gwBatch);
    ipBatch(or, orBatch);
    await this.run(gw, ['sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
  }

  exec(ns: string, argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const child = this.spawn(ns, argv, opts);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout?.on('data', (c: Buffer) => out.push(c));
      child.stderr?.on('data', (c: Buffer) => err.push(c));
      const timer = setTimeout(() => killGroup(child), opts.timeoutMs ?? 30_000);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        const stderr = Buffer.concat(err).toString() + (signal ? `\n[killed by ${signal}]` : '');
        resolve({ code: code ?? 128, stdout: Buffer.concat(out).toString(), stderr });
      });
      child.stdin?.end(opts.input ?? '');
    });
  }

  async run(ns: string, argv: readonly string[], opts?: ExecOptions): Promise<string> {
    const r = await this.exec(ns, argv, opts);
    if (r.code !== 0) throw new Error(`[${ns}] ${argv.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  spawn(ns: string, argv: readonly string[], opts: Omit<ExecOptions, 'input' | 'timeoutMs'> = {}): ChildProcess {
    if (!this.#namespaces.includes(ns)) throw new Error(`${ns} is not a namespace of this lab`);
    const unlisted = labPrograms(argv, (opts as ExecOptions).input).filter((p) => !LAB_PROGRAMS.includes(p));
    if (unlisted.length > 0) throw new Error(`${unlisted.join(', ')}: add to LAB_PROGRAMS (test/helpers/netns.ts)`);
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
      detached: true, // its own process group, killed as one
      stdio: 'pipe',
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      env: { ...process.env, ...opts.env },
    });
    this.#children.add(child);
    child.on('exit', () => this.#children.delete(child));
    child.stdin?.on('error', () => {}); // EPIPE: it exited without reading its input
    return child;
  }

  start(ns: string, argv: readonly string[], ready: string | RegExp, opts: ExecOptions = {}): Promise<ChildProcess> {
    const child = this.spawn(ns, argv, opts);
    return new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      const fail = (why: string) => {
        clearTimeout(timer);
        killGroup(child);
        reject(new Error(`[${ns}] ${argv.join(' ').slice(0, 200)}: ${why}: ${err.trim().slice(-2000)}`));
      };
      const timer = setTimeout(() => fail('not ready in time'), opts.timeoutMs ?? 30_000);
      child.stderr?.on('data', (c: Buffer) => {
        err += c;
      });
      child.stdout?.on('data', function onData(c: Buffer) {
        out += c;
        if (typeof ready === 'string' ? out.includes(ready) : ready.test(out)) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          resolve(child);
        }
      });
      child.once('exit', (code) => fail(`exited ${code} before it was ready`));
    });
  }

  async nft(rules: string): Promise<void> {
    await this.run(this.gateway, ['nft', '-f', '-'], { input: rules });
  }

  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const child of this.#children) killGroup(child);
    this.#deleteSync();
    process.removeListener('exit', this.#onExit);
  }

  /** Kills every process left in the namespaces, by pid, then deletes them. Synchronous: also runs at exit. */
  #deleteSync(): void {
    for (const ns of this.#namespaces) deleteNamespace(ns);
  }
}

function ipSync(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function ipBatch(ns: string, commands: string[]): void {
  execFileSync('ip', ['-n', ns, '-batch', '-'], {
    input: `${commands.join('\n')}\n`,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function deleteNamespace(ns: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
  for (const pid of pids.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
}

/** Namespaces named by this helper whose test process is gone (a crash, a kill -9) are deleted. */
function removeStaleNamespaces(): void {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = /^toyscope-[a-z0-9]+-(\d+)-/.exec(name);
    if (m && !alive(Number(m[1]))) deleteNamespace(name);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

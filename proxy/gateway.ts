/**
 * The gateway's footprint on the host, and only that: it applies the rules of proxy/gateway-rules.ts (one nft
 * table of its own), turns on IP forwarding when it was off, and undoes exactly those two things on the way out.
 * What it added is written first to a state file in the data directory (`gateway-state.json`, mode 0600), so a
 * gateway that crashed or was killed is cleaned up by the next `gateway up` (or `gateway down`). It starts no
 * proxy: the CLI runs the proxy and the DNS forwarder beside it (src/cli/commands/gateway.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../src/errors.ts';
import { type GatewayRulesSpec, NFT_TABLE, nftRules } from './gateway-rules.ts';

/** The file recording what a running gateway added, in the data directory. */
export const STATE_FILE = 'gateway-state.json';

/** Forwarding switches the gateway may turn on, by /proc/sys path. */
const FORWARDING = {
  ipv4: '/proc/sys/net/ipv4/ip_forward',
  ipv6: '/proc/sys/net/ipv6/conf/all/forwarding',
} as const;

/** What a gateway added to the host (the state file's content). */
export interface GatewayState {
  /** The process that added it. */
  pid: number;
  lan: string;
  /** The nft table it created (`inet toyscope`), deleted whole. */
  table: string;
  /** Forwarding switches it turned on (they were off), turned off again. */
  enabled: Array<keyof typeof FORWARDING>;
  startedAt: string;
}

/** The addresses and MAC of the LAN interface; InputError when it does not exist. */
export function lanInterface(name: string): { ipv4: string[]; ipv6: string[]; mac?: string } {
  const addrs = networkInterfaces()[name];
  if (!addrs) throw new InputError(`no network interface named '${name}' (see \`ip link\`)`);
  const global6 = addrs.filter((a) => a.family === 'IPv6' && !a.address.startsWith('fe80:'));
  const mac = addrs.find((a) => a.mac && a.mac !== '00:00:00:00:00:00')?.mac;
  return {
    ipv4: addrs.filter((a) => a.family === 'IPv4').map((a) => a.address),
    ipv6: global6.map((a) => a.address),
    ...(mac ? { mac } : {}),
  };
}

/** Runs nft with arguments (and a script on stdin) and resolves with its stdout. */
export type NftRunner = (args: string[], input?: string) => Promise<string>;

/** Runs the system's nft; rejects with its first stderr line. */
export const systemNft: NftRunner = (args, input) =>
  new Promise((resolve, reject) => {
    const child = spawn('nft', args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (c) => {
      out += c;
    });
    child.stderr?.on('data', (c) => {
      err += c;
    });
    child.on('error', (e) =>
      reject(new InputError(`cannot run nft: ${(e as NodeJS.ErrnoException).code ?? e.message}`)),
    );
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new InputError(`nft: ${err.trim().split('\n')[0] ?? `exit ${code}`}`)),
    );
    child.stdin?.on('error', () => {}); // EPIPE: nft exited (and says why on stderr) before reading it all
    child.stdin?.end(input);
  });

/** A gateway whose rules are in place; `down()` removes them (also called by the `exit` handler). */
export class Gateway {
  readonly #stateFile: string;
  readonly state: GatewayState;
  #down = false;
  readonly #onExit = () => this.downSync();

  private constructor(stateFile: string, state: GatewayState) {
    this.#stateFile = stateFile;
    this.state = state;
    process.once('exit', this.#onExit);
  }

  /**
   * Cleans up after a gateway that died, records what it is about to add, then adds it: rules first checked
   * by nft as a whole (a rule nft refuses adds nothing). InputError when another gateway is running.
   */
  static async up(dataDir: string, spec: GatewayRulesSpec, nft: NftRunner = systemNft): Promise<Gateway> {
    const file = join(dataDir, STATE_FILE);
    cleanupStale(file);
    const enabled = (['ipv4', ...(spec.ipv6 === 'intercept' ? ['ipv6' as const] : [])] as const).filter(
      (k) => readSwitch(FORWARDING[k]) === '0',
    );
    const state: GatewayState = {
      pid: process.pid,
      lan: spec.lan,
      table: `inet ${NFT_TABLE}`,
      enabled: [...enabled],
      startedAt: new Date().toISOString(),
    };
    const gw = new Gateway(file, state);
    gw.#save();
    try {
      await nft(['-f', '-'], nftRules(spec));
    } catch (err) {
      gw.downSync();
      throw err;
    }
    for (const k of enabled) {
      try {
        writeFileSync(FORWARDING[k], '1');
      } catch (err) {
        // A container's read-only /proc/sys: interception works (it ends on this host), forwarding does not.
        state.enabled = state.enabled.filter((e) => e !== k);
        gw.#save();
        gw.warnings.push(
          `${k} forwarding is off and cannot be turned on here (${(err as NodeJS.ErrnoException).code}): ` +
            `intercepted TCP and DNS work, other traffic is not forwarded; run 'sysctl -w ${FORWARDING[k].slice(10).replaceAll('/', '.')}=1' on the host`,
        );
      }
    }
    return gw;
  }

  /** Problems that did not stop the gateway, for the CLI to print. */
  readonly warnings: string[] = [];

  #save(): void {
    writeFileSync(this.#stateFile, `${JSON.stringify(this.state, null, 2)}\n`, { mode: 0o600 });
  }

  /** Removes what `up` added, once; synchronous so it also runs from an `exit` handler. */
  downSync(): void {
    if (this.#down) return;
    this.#down = true;
    process.removeListener('exit', this.#onExit);
    removeAdded(this.state);
    rmSync(this.#stateFile, { force: true });
  }
}

/**
 * `gateway down`, and the start of every `gateway up`: removes what a dead gateway recorded in the state file.
 * Returns that state (undefined when there was none); InputError when its process is still running.
 */
export function cleanupStale(file: string): GatewayState | undefined {
  if (!existsSync(file)) return undefined;
  let state: GatewayState;
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as GatewayState;
  } catch {
    throw new InputError(`${file} is not a gateway state file; remove it by hand after checking \`nft list tables\``);
  }
  if (state.pid !== process.pid && alive(state.pid)) {
    throw new InputError(`a gateway is already up (pid ${state.pid}); stop it first`);
  }
  removeAdded(state);
  rmSync(file, { force: true });
  return state;
}

/** Deletes the table (if it is still there) and turns off the forwarding switches that were turned on. */
function removeAdded(state: GatewayState): void {
  // Creating the table first makes the delete succeed whether or not it still exists: one transaction.
  spawnSync('nft', ['-f', '-'], { input: `table ${state.table} {}\ndelete table ${state.table}\n`, stdio: 'pipe' });
  for (const k of state.enabled ?? []) {
    if (k in FORWARDING) writeFileSync(FORWARDING[k], '0');
  }
}

function readSwitch(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Whether `pid` is a running toyscope gateway (not merely a process that got the same pid since). */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('gateway');
  } catch {
    return false;
  }
}

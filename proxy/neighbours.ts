/**
 * Device attribution on the gateway: the MAC address behind a LAN client's IP, from the kernel's neighbour table
 * (`/proc/net/arp` for IPv4, `ip -6 neigh show` for IPv6). A device that just opened a connection through the
 * gateway is in the table (the gateway answered it), so a miss re-reads the table.
 * Reads only: it never probes the network.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** How often a miss may run `ip -6 neigh`. */
const REFRESH_MS = 1000;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** `/proc/net/arp` → IP → MAC (complete entries with a real address only), optionally on one interface. */
export function parseProcArp(text: string, dev?: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n').slice(1)) {
    const [ip, , flags, mac, , iface] = line.trim().split(/\s+/);
    if (!ip || !mac || flags === '0x0' || !MAC.test(mac) || mac === '00:00:00:00:00:00') continue;
    if (dev === undefined || iface === dev) out.set(ip, mac);
  }
  return out;
}

/** `ip neigh show` lines (`ADDR dev IF lladdr MAC STATE`) → IP → MAC, optionally on one interface. */
export function parseIpNeigh(text: string, dev?: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    const mac = words[words.indexOf('lladdr') + 1]?.toLowerCase();
    const iface = words[words.indexOf('dev') + 1];
    if (!words.includes('lladdr') || !mac || !MAC.test(mac) || words.includes('FAILED')) continue;
    if (dev === undefined || iface === dev) out.set(words[0] as string, mac);
  }
  return out;
}

export interface NeighbourSource {
  arp(): string;
  neigh6(): string;
}

const SYSTEM: NeighbourSource = {
  arp: () => readFileSync('/proc/net/arp', 'utf8'),
  neigh6: () => spawnSync('ip', ['-6', 'neigh', 'show'], { encoding: 'utf8', timeout: 2000 }).stdout ?? '',
};

/** MACs of the clients on `dev` (every interface when undefined). */
export class Neighbours {
  readonly #dev: string | undefined;
  readonly #source: NeighbourSource;
  readonly #table = new Map<string, string>();
  #read6At = Number.NEGATIVE_INFINITY;

  constructor(dev?: string, source: NeighbourSource = SYSTEM) {
    this.#dev = dev;
    this.#source = source;
  }

  /**
   * The lower-case MAC of `ip`, or undefined when the table does not know it. A miss re-reads /proc/net/arp (a
   * small file) for an IPv4 address, and runs `ip -6 neigh` for an IPv6 one at most once a second.
   */
  macOf(ip: string): string | undefined {
    const known = this.#table.get(ip);
    if (known !== undefined) return known;
    try {
      if (!ip.includes(':')) {
        for (const [k, v] of parseProcArp(this.#source.arp(), this.#dev)) this.#table.set(k, v);
      } else if (Date.now() - this.#read6At >= REFRESH_MS) {
        this.#read6At = Date.now();
        for (const [k, v] of parseIpNeigh(this.#source.neigh6(), this.#dev)) this.#table.set(k, v);
      }
    } catch {
      return undefined; // no /proc or no ip: attribution falls back to the IP
    }
    return this.#table.get(ip);
  }
}

/**
 * Address text the live side reads and prints: `HOST:PORT` / `[V6]:PORT` options, and IPv4-mapped IPv6
 * addresses (`::ffff:192.0.2.10`, as a dual-stack socket reports an IPv4 peer) turned back into IPv4.
 * Text only: nothing here resolves or binds.
 */
import { isIP } from 'node:net';

/** A listen or upstream address. */
export interface HostPort {
  host: string;
  port: number;
}

/** `192.0.2.1:53`, `[2001:db8::1]:53`, `::` and `host` alone take `defaultPort`; undefined when malformed. */
export function parseHostPort(text: string, defaultPort?: number): HostPort | undefined {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:]+)(?::(\d+))?$/.exec(text);
  const [host, portText] = m ? [m[1] as string, m[2]] : isIP(text) === 6 ? [text, undefined] : ['', undefined];
  if (host === '' || (host.includes(':') && isIP(host) !== 6)) return undefined;
  const port = portText === undefined ? defaultPort : Number(portText);
  if (port === undefined || !Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  return { host, port };
}

/** `port 99999 is out of range (0–65535)` when `text` ends in such a port, else undefined: a clearer error. */
export function portOutOfRange(text: string): string | undefined {
  const port = /:(\d+)$/.exec(text)?.[1];
  return port !== undefined && Number(port) > 65535 ? `port ${port} is out of range (0–65535)` : undefined;
}

/** `host:port`, with brackets around an IPv6 host. */
export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address, else the address as it is. */
export function unmapIPv4(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

/**
 * Where a proxied connection goes: the host the device named (CONNECT authority, absolute URI, Host header, SNI)
 * and the port, parsed from untrusted text. No resolving here (upstream.ts).
 */
import { isIP } from 'node:net';

/** A destination as the device named it. */
export interface Target {
  /** Lower-case host name or IP address (IPv6 without brackets). */
  host: string;
  port: number;
}

const NAME_RE = /^[a-z0-9_]([a-z0-9_.-]{0,251}[a-z0-9_.])?$/;

/** `host:port`, `[v6]:port` or a bare host (with `defaultPort`); undefined when malformed. */
export function parseAuthority(text: string, defaultPort?: number): Target | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+))(?::(\d{1,5}))?$/.exec(text.trim());
  if (!m) return undefined;
  const host = (m[1] ?? m[2] ?? '').toLowerCase().replace(/\.$/, '');
  const port = m[3] !== undefined ? Number(m[3]) : defaultPort;
  if (port === undefined || port < 1 || port > 65535) return undefined;
  if (m[1] !== undefined ? isIP(host) !== 6 : isIP(host) === 0 && !NAME_RE.test(host)) return undefined;
  return { host, port };
}

/** `host:port` for messages and logs (brackets around IPv6). */
export function formatTarget(t: Target): string {
  return isIP(t.host) === 6 ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
}

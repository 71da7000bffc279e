/**
 * The address a transparently redirected connection was sent to: `SO_ORIGINAL_DST` (IPv4) or
 * `IP6T_SO_ORIGINAL_DST` (IPv6) read through our N-API addon (`proxy/native/`, the npm workspace
 * `toyscope-original-dst`, built from source by node-gyp at `npm ci`). This is the one place that reaches into
 * `socket._handle.fd` (undocumented in Node). It does not decide what to do with a connection that was not
 * redirected (the listener does), and it sets up no firewall rule (proxy/gateway-rules.ts does).
 */
import { createRequire } from 'node:module';
import { isIPv4, type Socket } from 'node:net';
import { unmapIPv4 } from './address.ts';

/** Where a redirected connection was going. */
export interface OriginalDestination {
  ip: string;
  port: number;
}

interface Addon {
  originalDst(fd: number, ipv6: boolean): { address: string; port: number };
}

/** The addon cannot be loaded (not built, wrong platform): the message is one line saying how to fix it. */
export class OriginalDstUnavailable extends Error {
  override readonly name = 'OriginalDstUnavailable';
}

let addon: Addon | OriginalDstUnavailable | undefined;

/** Loads the addon once; throws OriginalDstUnavailable with a one-line reason and the fix. */
export function loadOriginalDst(): void {
  addon ??= tryLoad();
  if (addon instanceof OriginalDstUnavailable) throw addon;
}

function tryLoad(): Addon | OriginalDstUnavailable {
  if (process.platform !== 'linux') {
    return new OriginalDstUnavailable(`transparent mode needs Linux (SO_ORIGINAL_DST); this is ${process.platform}`);
  }
  try {
    return createRequire(import.meta.url)('toyscope-original-dst') as Addon;
  } catch (err) {
    const reason = ((err as Error).message ?? String(err)).split('\n')[0];
    return new OriginalDstUnavailable(
      `transparent mode needs the SO_ORIGINAL_DST addon, which did not load (${reason}); ` +
        'build it with `npm rebuild toyscope-original-dst` (needs g++, make and python3)',
    );
  }
}

/**
 * The destination the client dialled before a REDIRECT/DNAT rule sent it here, or undefined when the
 * connection was not redirected (no conntrack entry, or the original destination is this socket's own address).
 * Throws OriginalDstUnavailable when the addon cannot load; any other failure reads as "not redirected".
 */
export function originalDestination(socket: Socket): OriginalDestination | undefined {
  loadOriginalDst();
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  const local = socket.localAddress;
  if (typeof fd !== 'number' || fd < 0 || local === undefined) return undefined;
  const plainLocal = unmapIPv4(local);
  const ipv6 = !isIPv4(plainLocal);
  let dst: { address: string; port: number };
  try {
    dst = (addon as Addon).originalDst(fd, ipv6);
  } catch {
    return undefined; // ENOENT (not tracked), ENOPROTOOPT (no conntrack): not a redirected connection
  }
  if (dst.address === plainLocal && dst.port === socket.localPort) return undefined;
  return { ip: dst.address, port: dst.port };
}

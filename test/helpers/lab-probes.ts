/**
 * Small network clients and servers for the namespace lab (test/helpers/netns.ts), as `node -e` programs a test
 * runs in a lab namespace: they print one JSON line, so a test asserts on what a device or the gateway saw.
 * Plain Node (no TypeScript, but for `originalDstEcho`), so they start fast in any namespace.
 */
import { join } from 'node:path';

/** `node -e` argv for a program. */
export const nodeArgs = (program: string): string[] => [process.execPath, '-e', program];

/**
 * Connects over TCP, sends `send` with a FIN (half-close), prints `{"data": what came back}` once the server ends,
 * or `{"error": code}` (ECONNREFUSED for a reset, ETIMEDOUT after `timeoutMs`).
 */
export function tcpProbe(host: string, port: number, send = '', timeoutMs = 5000): string[] {
  return nodeArgs(`
const s = require('node:net').connect(${port}, ${JSON.stringify(host)});
let data = '';
const done = (r) => { console.log(JSON.stringify(r)); process.exit(0); };
setTimeout(() => done({ error: 'ETIMEDOUT' }), ${timeoutMs}).unref();
s.on('connect', () => s.end(${JSON.stringify(send)}));
s.on('data', (d) => (data += d));
s.on('end', () => done({ data }));
s.on('error', (e) => done({ error: e.code }));`);
}

/**
 * Sends one UDP datagram from a connected socket and prints `{"data": the first answer}`, `{"error": code}`
 * (ECONNREFUSED when an ICMP unreachable came back) or `{"error": "ETIMEDOUT"}`.
 */
export function udpProbe(host: string, port: number, send: string, timeoutMs = 3000): string[] {
  return nodeArgs(`
const s = require('node:dgram').createSocket(require('node:net').isIPv6(${JSON.stringify(host)}) ? 'udp6' : 'udp4');
const done = (r) => { console.log(JSON.stringify(r)); process.exit(0); };
setTimeout(() => done({ error: 'ETIMEDOUT' }), ${timeoutMs}).unref();
s.on('message', (d) => done({ data: String(d) }));
s.on('error', (e) => done({ error: e.code }));
s.connect(${port}, ${JSON.stringify(host)}, () => {
  s.send(${JSON.stringify(send)});
  setTimeout(() => s.send(${JSON.stringify(send)}), 500).unref(); // an ICMP error is reported on the next call
});`);
}

/**
 * Echo servers on `host` (default `::`, every address, dual stack): each TCP connection is answered with one line
 * `tcp <local address> <local port> <what it received>`, each UDP datagram with `udp <local port> <payload>`.
 * Prints `up` once listening. A UDP server on `::` answers from the address routing picks, which a client's
 * connected socket ignores unless NAT puts it back: bind UDP to the address the client sends to.
 */
export function echoServers(tcpPorts: readonly number[], udpPorts: readonly number[], host = '::'): string[] {
  return nodeArgs(`
const net = require('node:net'), dgram = require('node:dgram');
let pending = ${tcpPorts.length + udpPorts.length};
const ready = () => { if (--pending === 0) console.log('up'); };
for (const port of ${JSON.stringify(tcpPorts)}) {
  net.createServer((s) => { let d = ''; s.on('data', (c) => (d += c)); s.on('end', () => s.end('tcp ' + s.localAddress + ' ' + s.localPort + ' ' + d)); s.on('error', () => {}); })
    .listen(port, ${JSON.stringify(host)}, ready);
}
for (const port of ${JSON.stringify(udpPorts)}) {
  const u = dgram.createSocket(net.isIPv4(${JSON.stringify(host)}) ? 'udp4' : 'udp6');
  u.on('message', (m, r) => u.send('udp ' + port + ' ' + m, r.port, r.address));
  u.bind(port, ${JSON.stringify(host)}, ready);
}`);
}

const ROOT = join(import.meta.dirname, '../..');

/**
 * A listener (TypeScript, through tsx) on `::` port `port` that answers each connection with one JSON line: what
 * proxy/original-dst.ts says the connection was sent to (null: not redirected). Prints `up` once listening.
 */
export function originalDstEcho(port: number): string[] {
  const program = `
import { createServer } from 'node:net';
import { originalDestination } from ${JSON.stringify(join(ROOT, 'proxy/original-dst.ts'))};
createServer((s) => s.end(JSON.stringify(originalDestination(s) ?? null) + '\\n')).listen(${port}, '::', () => console.log('up'));`;
  return [process.execPath, '--import', 'tsx', '--input-type=module', '-e', program];
}

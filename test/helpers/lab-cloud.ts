/**
 * The "cloud" of the namespace lab (test/helpers/netns.ts), run in the origin namespace: on every address, HTTP
 * on 80 and HTTPS on 443 (the same handler: a JSON line naming the Host, path, body size and the address it was
 * reached on; `/ws` upgrades to a WebSocket echo), and an unknown protocol on 7000 (echoes `raw:` + what it
 * got). Certificates come from a test CA made with openssl (`makeTestPki`): one leaf for the named hosts, chosen
 * by SNI, and a default leaf served to clients that send no SNI. Run as a script: `tsx lab-cloud.ts DIR`, prints
 * `up`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as httpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as httpsServer } from 'node:https';
import { createServer as tcpServer } from 'node:net';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { pathToFileURL } from 'node:url';
import { WebSocketServer } from 'ws';

/** Files of the test PKI in a folder. */
export const PKI = {
  caCert: 'ca.pem',
  caKey: 'ca.key',
  leafCert: 'leaf.pem',
  leafKey: 'leaf.key',
  defaultCert: 'default.pem',
  defaultKey: 'default.key',
} as const;

/** Makes a test CA and two leaves: `names` (DNS SANs) and the no-SNI default with `defaultNames`. */
export function makeTestPki(dir: string, names: readonly string[], defaultNames: readonly string[]): void {
  const f = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=toyscope lab cloud CA',
    '-days',
    '2',
    '-keyout',
    f(PKI.caKey),
    '-out',
    f(PKI.caCert),
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  );
  const leaf = (cert: string, key: string, sans: readonly string[]) => {
    const ext = f(`${cert}.ext`);
    writeFileSync(ext, `subjectAltName=${sans.map((n) => `DNS:${n}`).join(',')}\n`);
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${sans[0]}`, '-keyout', f(key), '-out', f(`${cert}.csr`));
    ssl(
      'x509',
      '-req',
      '-in',
      f(`${cert}.csr`),
      '-CA',
      f(PKI.caCert),
      '-CAkey',
      f(PKI.caKey),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      ext,
      '-out',
      f(cert),
    );
  };
  leaf(PKI.leafCert, PKI.leafKey, names);
  leaf(PKI.defaultCert, PKI.defaultKey, defaultNames);
}

function handler(req: IncomingMessage, res: ServerResponse): void {
  let bytes = 0;
  req.on('data', (c: Buffer) => {
    bytes += c.length;
  });
  req.on('end', () => {
    const body = JSON.stringify({ host: req.headers.host, path: req.url, bytes, local: req.socket.localAddress });
    res.writeHead(200, { 'content-type': 'application/json' }).end(`${body}\n`);
  });
}

function wsEcho(server: ReturnType<typeof httpServer>): void {
  const wss = new WebSocketServer({ server, path: '/ws' });
  wss.on('connection', (ws) => ws.on('message', (m) => ws.send(`echo:${m}`)));
}

async function main(dir: string): Promise<void> {
  const read = (name: string) => readFileSync(join(dir, name));
  const http = httpServer(handler);
  const named = createSecureContext({ cert: read(PKI.leafCert), key: read(PKI.leafKey) });
  const https = httpsServer(
    { cert: read(PKI.defaultCert), key: read(PKI.defaultKey), SNICallback: (_name, cb) => cb(null, named) },
    handler,
  );
  for (const s of [http, https]) wsEcho(s);
  const raw = tcpServer((s) => {
    s.on('data', (d) => s.write(`raw:${d}`));
    s.on('end', () => s.end());
  });
  await Promise.all([
    new Promise((r) => http.listen(80, '::', () => r(null))),
    new Promise((r) => https.listen(443, '::', () => r(null))),
    new Promise((r) => raw.listen(7000, '::', () => r(null))),
  ]);
  console.log('up');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main(process.argv[2] ?? '.');

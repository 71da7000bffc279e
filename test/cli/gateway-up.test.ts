/**
 * `toyscope gateway up` for real, in a namespace lab: three devices behind the gateway namespace talk to a cloud
 * in the origin namespace by real host names that only the gateway's DNS forwarder answers (config dns.static).
 * One device uses DNS, HTTPS, HTTP and TLS without SNI (named from its DNS answer, else by the IP); one WebSocket,
 * MQTT and unknown TCP protocols (binary, and a text line that is not HTTP, both half-closed); one IPv6
 * (intercepted), other UDP and QUIC.
 * The store then holds every flow with its original destination, device MAC and name, the names looked up but
 * never contacted, the findings of the intercepted upload; and Ctrl-C leaves no rule behind.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { caFiles } from '../../proxy/ca.ts';
import { STATE_FILE } from '../../proxy/gateway.ts';
import type { FlowRecord } from '../../src/model/records.ts';
import { openStore } from '../../src/store/db.ts';
import { startGateway, startLabCloud, writeLabConfig } from '../helpers/gateway-lab.ts';
import { makeTestPki } from '../helpers/lab-cloud.ts';
import { echoServers, nodeArgs, tcpProbe, udpProbe } from '../helpers/lab-probes.ts';
import { createLab, describeNetns, LAB, type Lab } from '../helpers/netns.ts';

const ROOT = join(import.meta.dirname, '../..');
const HOSTS = {
  api: LAB.cloud(10),
  ws: LAB.cloud(11),
  mqtt: LAB.cloud(12),
  cdn: LAB.cloud(13),
  unused: LAB.cloud(14),
  raw: LAB.cloud(15),
};
const NO_DNS = LAB.cloud(20); // dialled by address, never looked up
const V6 = LAB.cloud6(0x10);

describeNetns('toyscope gateway up (namespace lab, three devices)', () => {
  let lab: Lab;
  let dir: string;
  let flows: FlowRecord[];
  let gatewayOut = '';
  const results: Record<string, string> = {};

  beforeAll(async () => {
    lab = await createLab({ tag: 'gwlive', devices: 3 });
    dir = mkdtempSync(join(tmpdir(), 'toyscope-gwlive-'));
    const names = Object.keys(HOSTS).map((h) => `${h}.teddy.example`);
    makeTestPki(dir, [...names, 'v6.teddy.example'], ['nosni.teddy.example']);
    const [d1, d2, d3] = lab.devices as [Lab['devices'][0], Lab['devices'][0], Lab['devices'][0]];
    const config = writeLabConfig(
      dir,
      [
        { name: 'teddy', mac: d1.mac },
        { name: 'robot', mac: d2.mac },
        { name: 'kitty', mac: d3.mac },
      ],
      {
        ...Object.fromEntries(Object.entries(HOSTS).map(([h, ip]) => [`${h}.teddy.example`, ip])),
        'v6.teddy.example': V6,
      },
    );
    writeFileSync(join(dir, 'mosquitto.conf'), 'listener 1883\nallow_anonymous true\n');
    await startLabCloud(lab, dir);
    await lab.start(lab.origin, ['sh', '-c', `exec mosquitto -v -c ${join(dir, 'mosquitto.conf')} 2>&1`], /running/);
    await lab.start(lab.origin, echoServers([], [5000], LAB.cloud(9)), 'up');
    // A protocol whose server speaks first (SMTP-like): a banner, then an answer to the client's line.
    await lab.start(
      lab.origin,
      nodeArgs(`
      require('node:net').createServer((c) => {
        c.on('error', () => {});
        c.write('220 raw.teddy.example ready\\r\\n');
        c.on('data', (d) => c.end('250 ' + d));
      }).listen(2525, '${HOSTS.raw}', () => console.log('up'));`),
      'up',
    );

    const data = join(dir, 'data');
    const gateway = await startGateway(lab, dir, config, ['--ipv6', 'intercept']);
    gateway.stdout?.on('data', (c) => {
      gatewayOut += c;
    });
    const ca = caFiles(join(data, 'ca')).certFile;
    const curl = (...args: string[]) => ['curl', '-sS', '--max-time', '20', '--cacert', ca, ...args];
    const sh = (script: string) => ['sh', '-c', script];
    const run = (ns: string, argv: string[]) => lab.run(ns, argv, { timeoutMs: 30_000 });

    // teddy: DNS (to any resolver: redirected), HTTPS upload, HTTP, TLS without SNI.
    results.dig = await run(d1.ns, ['dig', '+short', '+tries=1', '@203.0.113.53', 'api.teddy.example']);
    await run(d1.ns, ['dig', '+short', '+tries=1', '@203.0.113.53', 'cdn.teddy.example']);
    await run(d1.ns, ['dig', '+short', '+tries=1', '@203.0.113.53', 'unused.teddy.example']);
    results.https = await run(
      d1.ns,
      curl(
        '--resolve',
        `api.teddy.example:443:${HOSTS.api}`,
        'https://api.teddy.example/v1/profile',
        '-H',
        'content-type: application/json',
        '-d',
        '{"nickname":"Mia","age":7,"birthday":"2018-05-04"}',
      ),
    );
    results.http = await run(
      d1.ns,
      curl('--resolve', `api.teddy.example:80:${HOSTS.api}`, 'http://api.teddy.example/ping'),
    );
    const leaf = (ip: string) =>
      sh(
        `echo ping | openssl s_client -connect ${ip}:443 -noservername -CAfile ${ca} 2>/dev/null | openssl x509 -noout -subject -ext subjectAltName`,
      );
    // The CA page by its name, as a tester's phone on the test Wi-Fi opens it: the forwarder names the gateway.
    results.caDig = await run(d1.ns, ['dig', '+short', '+tries=1', '@203.0.113.53', 'ca.toyscope']);
    results.caPem = await run(
      d1.ns,
      curl('--resolve', `ca.toyscope:80:${results.caDig.trim()}`, 'http://ca.toyscope/toyscope-ca.pem'),
    );
    results.nosniDns = await run(d1.ns, leaf(HOSTS.cdn));
    results.nosniCert = await run(d1.ns, leaf(NO_DNS));

    // robot: WebSocket, MQTT, an unknown protocol, each to an address its DNS answers named.
    for (const h of ['ws', 'mqtt', 'raw'])
      await run(d2.ns, ['dig', '+short', '+tries=1', '@203.0.113.53', `${h}.teddy.example`]);
    results.ws = await run(
      d2.ns,
      nodeArgs(`
      const ws = new (require(${JSON.stringify(join(ROOT, 'node_modules/ws'))}))('ws://${HOSTS.ws}/ws');
      ws.on('open', () => ws.send(JSON.stringify({ lat: 31.2304, lng: 121.4737 })));
      ws.on('message', (m) => { console.log(String(m)); ws.close(); });`),
    );
    await run(d2.ns, [
      'mosquitto_pub',
      '-h',
      HOSTS.mqtt,
      '-p',
      '1883',
      '-t',
      'toys/robot/telemetry',
      '-m',
      '{"battery":80}',
    ]);
    // Unknown protocols, each sent with a FIN (half-close): the answer that follows must still arrive.
    results.raw = await run(d2.ns, tcpProbe(HOSTS.raw, 7000, '\u0002toy\u0000hi'));
    results.text = await run(d2.ns, tcpProbe(HOSTS.raw, 7000, 'HELO robot.lab\r\n'));
    // Server first: the device says nothing until the banner came.
    results.banner = await run(
      d2.ns,
      nodeArgs(`
      const s = require('node:net').connect(2525, '${HOSTS.raw}');
      let data = '';
      s.on('data', (d) => { if (!data) s.write('HELO robot.lab\\r\\n'); data += d; });
      s.on('end', () => { console.log(JSON.stringify(data)); process.exit(0); });
      s.on('error', (e) => { console.log(JSON.stringify(e.code)); process.exit(0); });
      setTimeout(() => { console.log(JSON.stringify('timeout: ' + data)); process.exit(0); }, 15000).unref();`),
    );

    // kitty: IPv6 (intercepted), other UDP, QUIC.
    results.v6 = await run(d3.ns, curl('-6', '-H', 'host: v6.teddy.example', `http://[${V6}]/v6`));
    results.udp = await run(d3.ns, udpProbe(LAB.cloud(9), 5000, 'ntp?'));
    results.quic = await run(d3.ns, udpProbe(HOSTS.api, 443, 'quic'));

    gateway.kill('SIGINT');
    const code = await new Promise((resolve) => gateway.once('exit', resolve));
    results.exit = String(code);
    results.rules = await lab.run(lab.gateway, ['nft', 'list', 'ruleset']);
    results.state = String(existsSync(join(data, STATE_FILE)));
    const store = await openStore(join(data, 'toyscope.db'));
    flows = store.listFlows();
    store.close();
  }, 300_000);
  afterAll(() => lab?.destroy());

  const flow = (pred: (f: FlowRecord) => boolean) => {
    const f = flows.find(pred);
    if (!f) throw new Error(`no such flow among ${JSON.stringify(flows.map((x) => [x.transport, x.tls, x.server]))}`);
    return f;
  };

  it('stops on Ctrl-C with exit 0 and leaves no rule and no state behind', () => {
    expect(results.exit).toBe('0');
    expect(results.rules).toBe('');
    expect(results.state).toBe('false');
    expect(gatewayOut).toContain('Done:');
  });

  it('answers DNS for the lab (redirected from any resolver) and records it per device', () => {
    expect(results.dig).toBe(`${HOSTS.api}\n`);
    const dns = flow((f) => f.transport === 'dns' && f.deviceId === lab.devices[0]!.mac && f.server.port !== 0);
    expect(dns.bytesUp).toBeGreaterThan(0);
    const never = flow((f) => f.transport === 'dns' && f.server.port === 0 && f.server.ip === HOSTS.unused);
    expect(never.server).toEqual({ ip: HOSTS.unused, port: 0, host: 'unused.teddy.example' });
  });

  it('serves the CA page at http://ca.toyscope/ to a device that looks the name up through the gateway', () => {
    expect(results.caDig).toBe(`${LAB.gatewayLan}\n`);
    expect(results.caPem).toBe(readFileSync(caFiles(join(dir, 'data', 'ca')).certFile, 'utf8'));
  });

  it('intercepts HTTPS and HTTP to the original destination, attributed by MAC', () => {
    expect(JSON.parse(results.https!)).toMatchObject({ host: 'api.teddy.example', path: '/v1/profile', bytes: 50 });
    expect(JSON.parse(results.http!)).toMatchObject({ host: 'api.teddy.example', path: '/ping' });
    const https = flow((f) => f.tls === 'intercepted' && f.server.port === 443 && f.server.ip === HOSTS.api);
    expect(https).toMatchObject({
      transport: 'http',
      deviceId: lab.devices[0]!.mac,
      server: { host: 'api.teddy.example' },
    });
    expect(https.device.mac).toBe(lab.devices[0]!.mac);
    flow((f) => f.transport === 'http' && f.tls === 'none' && f.server.ip === HOSTS.api && f.server.port === 80);
  });

  it('names TLS without SNI from the device DNS answer, else from the cloud certificate', () => {
    expect(results.nosniDns).toContain('subject=CN = cdn.teddy.example');
    flow((f) => f.server.ip === HOSTS.cdn && f.server.host === 'cdn.teddy.example' && f.tls === 'intercepted');
    // Not looked up either: the leaf is made for the address, with the names of the cloud's own certificate.
    expect(results.nosniCert).toMatch(/subject=CN = 203\.0\.113\.20\n[\s\S]*IP Address:203\.0\.113\.20/);
    expect(results.nosniCert).toContain('DNS:nosni.teddy.example');
    const nosni = flow((f) => f.server.ip === NO_DNS && f.server.port === 443 && f.tls === 'intercepted');
    expect(nosni.server.host).toBe('nosni.teddy.example');
  });

  it('relays WebSocket, MQTT and unknown protocols (half-closed, or text that is not HTTP), named by DNS', () => {
    expect(results.ws).toBe('echo:{"lat":31.2304,"lng":121.4737}\n');
    expect(JSON.parse(results.raw!)).toEqual({ data: 'raw:\u0002toy\u0000hi' });
    expect(JSON.parse(results.text!)).toEqual({ data: 'raw:HELO robot.lab\r\n' });
    const robot = lab.devices[1]!.mac;
    flow((f) => f.transport === 'websocket' && f.deviceId === robot && f.server.ip === HOSTS.ws);
    flow((f) => f.transport === 'mqtt' && f.deviceId === robot && f.server.host === 'mqtt.teddy.example');
    const raw = flow((f) => f.transport === 'tcp' && f.server.ip === HOSTS.raw && f.bytesUp === 7);
    expect(raw).toMatchObject({ deviceId: robot, bytesDown: 11, server: { port: 7000, host: 'raw.teddy.example' } });
    const text = flow((f) => f.transport === 'tcp' && f.server.port === 7000 && f.bytesUp === 16);
    expect(text).toMatchObject({ deviceId: robot, bytesDown: 20, server: { port: 7000, host: 'raw.teddy.example' } });
  });

  it('relays a protocol whose server speaks first, once the device stayed silent', () => {
    expect(JSON.parse(results.banner!)).toBe('220 raw.teddy.example ready\r\n250 HELO robot.lab\r\n');
    const smtp = flow((f) => f.transport === 'tcp' && f.server.ip === HOSTS.raw && f.server.port === 2525);
    expect(smtp).toMatchObject({ bytesUp: 16, bytesDown: 49, server: { host: 'raw.teddy.example' } });
  });

  it('intercepts IPv6, records other UDP and the QUIC attempt', () => {
    expect(JSON.parse(results.v6!)).toMatchObject({ host: 'v6.teddy.example', path: '/v6' });
    const kitty = lab.devices[2]!.mac;
    flow((f) => f.deviceId === kitty && f.server.ip === V6 && f.server.port === 80 && f.transport === 'http');
    expect(JSON.parse(results.udp!)).toEqual({ data: 'udp 5000 ntp?' });
    const udp = flow((f) => f.transport === 'udp' && f.server.ip === LAB.cloud(9));
    expect(udp).toMatchObject({ deviceId: kitty, bytesUp: 4, bytesDown: 'udp 5000 ntp?'.length });
    expect(JSON.parse(results.quic!)).toEqual({ error: 'ECONNREFUSED' });
    expect(flow((f) => f.transport === 'udp' && f.server.port === 443).error?.code).toBe('quic-blocked');
  });
});

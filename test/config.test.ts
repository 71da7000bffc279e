import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  caInstalled,
  configLimits,
  defaultConfig,
  deviceName,
  isFirstParty,
  loadConfig,
  matchHost,
  parseConfig,
} from '../src/config.ts';
import { ConfigError } from '../src/errors.ts';
import { DEFAULT_LIMITS } from '../src/model/limits.ts';

const parse = (text: string) => parseConfig(text, '/lab/toyscope.yaml');
const errorOf = (text: string): string => {
  try {
    parse(text);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('no error');
};

const FULL = `
devices:
  - name: teddy
    mac: AA:BB:CC:DD:EE:01
  - name: robot
    ip: 192.168.4.20
firstParty:
  global: ['*.toycloud.example']
  devices:
    teddy: [voice.teddy.example]
    192.168.4.20: [robot.example]
policy: policies/teddy.yaml
evidence: { maxBytes: 1048576, keep: false }
retention: { days: 30 }
limits: { MAX_JSON_DEPTH: 32 }
dns:
  static:
    API.Teddy.example.: 203.0.113.7
    "*.cdn.teddy.example": [203.0.113.8, "2001:DB8:3::8"]
`;

describe('loadConfig', () => {
  it('gives the defaults without a file', () => {
    expect(loadConfig()).toEqual(defaultConfig);
  });

  it('reads every section, normalises MACs and resolves the policy path', () => {
    const c = parse(FULL);
    expect(c.devices[0]).toEqual({ name: 'teddy', mac: 'aa:bb:cc:dd:ee:01' });
    expect(c.policy).toBe('/lab/policies/teddy.yaml');
    expect(c.evidence).toEqual({ maxBytes: 1048576, keep: false });
    expect(c.retention.days).toBe(30);
    expect(configLimits(c).MAX_JSON_DEPTH).toBe(32);
    expect(configLimits(c).MAX_EVIDENCE_BYTES).toBe(0); // keep: false stores no evidence
    expect(configLimits(c).SNIFF_BYTES).toBe(DEFAULT_LIMITS.SNIFF_BYTES);
    expect(c.dns.static).toEqual({
      'api.teddy.example': ['203.0.113.7'],
      '*.cdn.teddy.example': ['203.0.113.8', '2001:db8:3::8'],
    });
  });

  it('reads a file and names it in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'toyscope-config-'));
    const file = join(dir, 'toyscope.yaml');
    writeFileSync(file, 'devices:\n  - name: a\n  - name: b\n    mac: zz\n');
    expect(() => loadConfig(file)).toThrow(
      'toyscope.yaml: devices[1].mac: expected a MAC address like aa:bb:cc:dd:ee:ff',
    );
    expect(() => loadConfig(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml: cannot read: no such file$/);
  });

  it.each([
    ['colour: red', 'toyscope.yaml: colour: unknown key'],
    ['devices: {}', 'toyscope.yaml: devices: expected a list'],
    ['devices: [{name: a, serial: 1}]', 'toyscope.yaml: devices[0].serial: unknown key'],
    ['devices: [{mac: aa:bb:cc:dd:ee:ff}]', 'toyscope.yaml: devices[0].name: expected a non-empty string'],
    ['devices: [{name: a, ip: 300.1.1.1}]', 'toyscope.yaml: devices[0].ip: expected an IP address'],
    ['devices: [{name: a}, {name: a}]', "toyscope.yaml: devices[1].name: duplicate device name 'a'"],
    ['firstParty: {global: [a b]}', 'toyscope.yaml: firstParty.global[0]: expected a host'],
    ['firstParty: {global: ["api.*.com"]}', 'toyscope.yaml: firstParty.global[0]: expected a host'],
    ['firstParty: {devices: {ghost: [a.com]}}', "toyscope.yaml: firstParty.devices.ghost: no device named 'ghost'"],
    ['evidence: {maxBytes: "big"}', 'toyscope.yaml: evidence.maxBytes: expected a positive integer'],
    ['evidence: {keep: yes please}', 'toyscope.yaml: evidence.keep: expected true or false'],
    ['retention: {days: -1}', 'toyscope.yaml: retention.days: expected a positive integer'],
    ['limits: {MAX_FOO: 1}', 'toyscope.yaml: limits.MAX_FOO: unknown key'],
    ['limits: {MAX_JSON_DEPTH: 1.5}', 'toyscope.yaml: limits.MAX_JSON_DEPTH: expected a positive integer'],
    ['policy: 3', 'toyscope.yaml: policy: expected a non-empty string'],
    ['dns: {forward: 1}', 'toyscope.yaml: dns.forward: unknown key'],
    ['dns: {static: {"a b": 1.2.3.4}}', 'toyscope.yaml: dns.static.a b: expected a host'],
    ['dns: {static: {a.example: 1.2.3}}', "toyscope.yaml: dns.static.a.example: expected an IP address, got '1.2.3'"],
    ['dns: {static: {a.example: [1.2.3.4, x]}}', 'toyscope.yaml: dns.static.a.example[1]: expected an IP address'],
    ['dns: {static: {a.example: []}}', 'toyscope.yaml: dns.static.a.example: expected at least one address'],
    ['[1, 2]', 'toyscope.yaml: expected a mapping'],
    ['devices: [\n  - a', 'toyscope.yaml: line'],
  ])('rejects %j', (text, message) => {
    expect(errorOf(text)).toContain(message);
  });

  it('reads the certificate-check keys of tls: forceIntercept, caInstalled by name or address, probeCa', () => {
    const c = parse(
      'devices: [{name: teddy, ip: 192.168.4.20}]\n' +
        'tls: {forceIntercept: ["*.Toy.example"], caInstalled: [teddy, 192.168.4.21], probeCa: {cert: ca.pem, key: k.pem}}\n',
    );
    expect(c.tls).toMatchObject({
      forceIntercept: ['*.toy.example'],
      caInstalled: ['teddy', '192.168.4.21'],
      probeCa: { cert: '/lab/ca.pem', key: '/lab/k.pem' },
    });
    expect(caInstalled(c, '192.168.4.20')).toBe(true);
    expect(caInstalled(c, '192.168.4.21')).toBe(true);
    expect(caInstalled(c, '192.168.4.22')).toBe(false);
    expect(errorOf('tls: {caInstalled: [robot]}')).toBe(
      "toyscope.yaml: tls.caInstalled[0]: no device named 'robot' in devices",
    );
    expect(errorOf('tls: {probeCa: {cert: a.pem}}')).toBe(
      'toyscope.yaml: tls.probeCa.key: expected a non-empty string',
    );
  });

  it('refuses evidence.maxBytes and limits.MAX_EVIDENCE_BYTES that disagree', () => {
    expect(errorOf('evidence: {maxBytes: 10}\nlimits: {MAX_EVIDENCE_BYTES: 20}')).toContain('disagrees');
    expect(parse('limits: {MAX_EVIDENCE_BYTES: 20}').evidence.maxBytes).toBe(20);
  });

  it('accepts every key of DEFAULT_LIMITS, capture and face bounds included', () => {
    const yaml = `limits:\n${Object.keys(DEFAULT_LIMITS)
      .map((k) => `  ${k}: 7`)
      .join('\n')}\nevidence: {maxBytes: 7}\n`;
    const limits = configLimits(parse(yaml));
    expect(Object.values(limits).every((v) => v === 7)).toBe(true);
    expect(configLimits(parse('limits: {MAX_OOO_BYTES_PER_DIR: 4096}'))).toEqual({
      ...DEFAULT_LIMITS,
      MAX_OOO_BYTES_PER_DIR: 4096,
    });
  });

  it('treats an empty file as the defaults', () => {
    expect(parse('').devices).toEqual([]);
  });
});

describe('matchHost', () => {
  it.each([
    ['example.com', 'example.com', true],
    ['example.com', 'EXAMPLE.com.', true],
    ['example.com', 'api.example.com', false],
    ['*.example.com', 'api.example.com', true],
    ['*.example.com', 'a.b.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'badexample.com', false],
    ['*', 'anything.net', true],
  ])('%s vs %s → %s', (glob, host, want) => {
    expect(matchHost(glob, host)).toBe(want);
  });
});

describe('deviceName and isFirstParty', () => {
  const c = parse(FULL);
  it('names configured devices by MAC or IP, else returns the id', () => {
    expect(deviceName(c, 'aa:bb:cc:dd:ee:01')).toBe('teddy');
    expect(deviceName(c, 'AA:BB:CC:DD:EE:01')).toBe('teddy');
    expect(deviceName(c, '192.168.4.20')).toBe('robot');
    expect(deviceName(c, '10.0.0.9')).toBe('10.0.0.9');
  });
  it('combines global and per-device first-party hosts', () => {
    expect(isFirstParty(c, 'aa:bb:cc:dd:ee:01', 'eu.toycloud.example')).toBe(true);
    expect(isFirstParty(c, 'aa:bb:cc:dd:ee:01', 'voice.teddy.example')).toBe(true);
    expect(isFirstParty(c, '192.168.4.20', 'voice.teddy.example')).toBe(false);
    expect(isFirstParty(c, '192.168.4.20', 'robot.example')).toBe(true);
    expect(isFirstParty(c, 'aa:bb:cc:dd:ee:01', 'tracker.ads.example')).toBe(false);
  });
});

describe('examples/toyscope.yaml', () => {
  it('is valid and names its policy', () => {
    const c = loadConfig(join(import.meta.dirname, '../examples/toyscope.yaml'));
    expect(c.devices.map((d) => d.name)).toEqual(['teddy', 'robot']);
    expect(c.policy).toBe(join(import.meta.dirname, '../examples/policy.yaml'));
  });
});

describe('configLimits', () => {
  it('takes the evidence cap from evidence.maxBytes, and stores no evidence when evidence.keep is false', async () => {
    const { configLimits, parseConfig } = await import('../src/config.ts');
    expect(configLimits(parseConfig('evidence: {maxBytes: 1000}\n', 't.yaml')).MAX_EVIDENCE_BYTES).toBe(1000);
    expect(configLimits(parseConfig('evidence: {keep: false}\n', 't.yaml')).MAX_EVIDENCE_BYTES).toBe(0);
  });
});

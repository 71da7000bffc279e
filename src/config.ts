/**
 * `toyscope.yaml`: the typed, validated configuration (devices, first-party hosts, policy path, evidence,
 * retention, limit overrides, the live proxy's TLS choices, the DNS forwarder's static names), plus the two
 * questions the pipeline asks of it: a device's name and whether a host is first party for a device. Validation is by hand so every error names the file and the key path.
 * It does not read the policy file (policy.ts) nor create the data directory (data-dir.ts).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { basename, dirname, resolve } from 'node:path';
import { ConfigError, systemReason } from './errors.ts';
import { yaml } from './lazy-packages.ts';
import { DEFAULT_LIMITS, type Limits, resolveLimits } from './model/limits.ts';

/** A device under test, named for display; matched to flows by MAC or IP. */
export interface DeviceConfig {
  name: string;
  /** Lower-case colon-separated MAC. */
  mac?: string;
  ip?: string;
}

/** Hosts that count as first party: `*.example.com` (sub-domains), `example.com` (exact), `*` (any). */
export interface FirstPartyConfig {
  global: string[];
  /** Keyed by device name, MAC or IP. */
  devices: Record<string, string[]>;
}

export interface Config {
  /** The file it was read from; undefined for the defaults. */
  file?: string;
  devices: DeviceConfig[];
  firstParty: FirstPartyConfig;
  /** Policy file, resolved against the config file's folder. */
  policy?: string;
  evidence: {
    /** Bytes of one evidence blob (overrides MAX_EVIDENCE_BYTES). */
    maxBytes: number;
    /** Keep evidence blobs at all. */
    keep: boolean;
  };
  retention: {
    /** Days captured personal data is kept; undefined = until purged by hand. */
    days?: number;
  };
  /** Partial overrides of src/model/limits.ts. */
  limits: Partial<Limits>;
  /** The live proxy's TLS choices. */
  tls: TlsConfig;
  /** The live DNS forwarder's own answers. */
  dns: {
    /**
     * Names the live DNS forwarder (`toyscope proxy --dns`) answers itself, lower-case, each with its addresses
     * (IPv4 and/or IPv6); `*.example.com` answers every sub-domain. Other names go to `--dns-upstream`.
     */
    static: Record<string, string[]>;
  };
}

/** `tls:` in toyscope.yaml: what the live proxy does with TLS per host. */
export interface TlsConfig {
  /** Host globs whose TLS is relayed unread (pinned apps), like `--ignore-hosts`. */
  passthrough: string[];
  /** Client certificates for the proxy's TLS leg to clouds that ask for one (mutual TLS). */
  clientCerts: ClientCertConfig[];
  /** Host globs never passed through after certificate refusals (the proxy keeps offering its leaf). */
  forceIntercept: string[];
  /**
   * Devices (names, MACs or IPs) that have toyscope's CA installed: their accepting its leaf is expected, not a
   * `device-accepted-forged-cert` finding (toyscope cannot know otherwise).
   */
  caInstalled: string[];
  /**
   * A CA the devices trust whose key the tester holds (PEM files, resolved against the config file's folder): it
   * signs the certificate probe's `wrong-name` and `expired` forgeries instead of toyscope's CA.
   */
  probeCa?: { cert: string; key: string };
}

/** A client certificate the proxy presents to hosts matching `hosts` (a device's extracted key and certificate). */
export interface ClientCertConfig {
  hosts: string[];
  /** PEM files, resolved against the config file's folder. */
  cert: string;
  key: string;
}

export const defaultConfig: Readonly<Config> = Object.freeze({
  devices: [],
  firstParty: { global: [], devices: {} },
  evidence: { maxBytes: DEFAULT_LIMITS.MAX_EVIDENCE_BYTES, keep: true },
  retention: {},
  limits: {},
  tls: { passthrough: [], clientCerts: [], forceIntercept: [], caInstalled: [] },
  dns: { static: {} },
});

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6 = /^[0-9a-f:]+$/i;
const HOST = /^(\*|(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?)$/i;

/** Reads and validates a config file; without a file, the defaults. Throws ConfigError naming file and key. */
export function loadConfig(file?: string): Config {
  if (file === undefined) return structuredClone(defaultConfig) as Config;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read: ${systemReason(err)}`);
  }
  return parseConfig(text, file);
}

/** Validates config text; `file` names the source in errors and anchors the relative policy path. */
export function parseConfig(text: string, file: string): Config {
  const label = basename(file);
  return validate(parseYaml(text, label) ?? {}, new Checker(label), resolve(file));
}

/** YAML (or JSON) text to plain data; a syntax error is a ConfigError with the line. */
export function parseYaml(text: string, label: string): unknown {
  const { LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter });
  const e = doc.errors[0];
  if (e) {
    const { line } = lineCounter.linePos(e.pos[0]);
    throw new ConfigError(`${label}: line ${line}: not valid YAML: ${e.message.split('\n')[0]}`);
  }
  return doc.toJS();
}

/** Collects the key path and throws ConfigError in the `file: a.b[1].c: message` form. */
class Checker {
  constructor(readonly label: string) {}
  fail(path: string, message: string): never {
    throw new ConfigError(`${this.label}: ${path ? `${path}: ` : ''}${message}`);
  }
  object(v: unknown, path: string, keys: readonly string[]): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, 'expected a mapping');
    const rec = v as Record<string, unknown>;
    for (const k of Object.keys(rec)) {
      if (!keys.includes(k)) this.fail(join(path, k), `unknown key (expected one of: ${keys.join(', ')})`);
    }
    return rec;
  }
  array(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) this.fail(path, 'expected a list');
    return v;
  }
  string(v: unknown, path: string): string {
    if (typeof v !== 'string' || v === '') this.fail(path, 'expected a non-empty string');
    return v;
  }
  count(v: unknown, path: string): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) this.fail(path, 'expected a positive integer');
    return v;
  }
  boolean(v: unknown, path: string): boolean {
    if (typeof v !== 'boolean') this.fail(path, 'expected true or false');
    return v;
  }
  hosts(v: unknown, path: string): string[] {
    return this.array(v, path).map((h, i) => {
      const s = this.string(h, `${path}[${i}]`);
      if (!HOST.test(s)) this.fail(`${path}[${i}]`, `expected a host like example.com or *.example.com, got '${s}'`);
      return s.toLowerCase().replace(/\.$/, '');
    });
  }
}

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);

function validate(raw: unknown, c: Checker, file: string): Config {
  const top = c.object(raw, '', ['devices', 'firstParty', 'policy', 'evidence', 'retention', 'limits', 'tls', 'dns']);
  const config = structuredClone(defaultConfig) as Config;
  config.file = file;
  if (top.devices !== undefined) config.devices = c.array(top.devices, 'devices').map((d, i) => device(d, c, i));
  const names = new Set<string>();
  config.devices.forEach((d, i) => {
    if (names.has(d.name)) c.fail(`devices[${i}].name`, `duplicate device name '${d.name}'`);
    names.add(d.name);
  });
  if (top.firstParty !== undefined) config.firstParty = firstParty(top.firstParty, c, config.devices);
  if (top.policy !== undefined) config.policy = resolve(dirname(file), c.string(top.policy, 'policy'));
  if (top.evidence !== undefined) {
    const e = c.object(top.evidence, 'evidence', ['maxBytes', 'keep']);
    if (e.maxBytes !== undefined) config.evidence.maxBytes = c.count(e.maxBytes, 'evidence.maxBytes');
    if (e.keep !== undefined) config.evidence.keep = c.boolean(e.keep, 'evidence.keep');
  }
  if (top.retention !== undefined) {
    const r = c.object(top.retention, 'retention', ['days']);
    if (r.days !== undefined) config.retention.days = c.count(r.days, 'retention.days');
  }
  if (top.limits !== undefined) {
    const known = Object.keys(DEFAULT_LIMITS) as (keyof Limits)[];
    const l = c.object(top.limits, 'limits', known);
    for (const k of known) if (l[k] !== undefined) config.limits[k] = c.count(l[k], `limits.${k}`);
  }
  if (top.tls !== undefined) config.tls = tlsSection(top.tls, c, dirname(file), config.devices);
  if (top.dns !== undefined) config.dns = dns(top.dns, c);
  const cap = config.limits.MAX_EVIDENCE_BYTES;
  if (
    cap !== undefined &&
    cap !== config.evidence.maxBytes &&
    config.evidence.maxBytes !== defaultConfig.evidence.maxBytes
  ) {
    c.fail('limits.MAX_EVIDENCE_BYTES', 'disagrees with evidence.maxBytes (set only one)');
  }
  if (cap !== undefined) config.evidence.maxBytes = cap;
  return config;
}

function tlsSection(raw: unknown, c: Checker, dir: string, devices: DeviceConfig[]): TlsConfig {
  const t = c.object(raw, 'tls', ['passthrough', 'clientCerts', 'forceIntercept', 'caInstalled', 'probeCa']);
  const out: TlsConfig = { passthrough: [], clientCerts: [], forceIntercept: [], caInstalled: [] };
  if (t.passthrough !== undefined) out.passthrough = c.hosts(t.passthrough, 'tls.passthrough');
  if (t.forceIntercept !== undefined) out.forceIntercept = c.hosts(t.forceIntercept, 'tls.forceIntercept');
  if (t.caInstalled !== undefined) {
    out.caInstalled = c.array(t.caInstalled, 'tls.caInstalled').map((d, i) => {
      const key = c.string(d, `tls.caInstalled[${i}]`);
      if (!knownDevice(key, devices)) c.fail(`tls.caInstalled[${i}]`, `no device named '${key}' in devices`);
      return key;
    });
  }
  if (t.probeCa !== undefined) {
    const p = c.object(t.probeCa, 'tls.probeCa', ['cert', 'key']);
    out.probeCa = {
      cert: resolve(dir, c.string(p.cert, 'tls.probeCa.cert')),
      key: resolve(dir, c.string(p.key, 'tls.probeCa.key')),
    };
  }
  if (t.clientCerts !== undefined) {
    out.clientCerts = c.array(t.clientCerts, 'tls.clientCerts').map((raw, i) => {
      const path = `tls.clientCerts[${i}]`;
      const e = c.object(raw, path, ['hosts', 'cert', 'key']);
      return {
        hosts: c.hosts(e.hosts ?? c.fail(`${path}.hosts`, 'expected a list of hosts'), `${path}.hosts`),
        cert: resolve(dir, c.string(e.cert, `${path}.cert`)),
        key: resolve(dir, c.string(e.key, `${path}.key`)),
      };
    });
  }
  return out;
}

function device(raw: unknown, c: Checker, i: number): DeviceConfig {
  const path = `devices[${i}]`;
  const d = c.object(raw, path, ['name', 'mac', 'ip']);
  const out: DeviceConfig = { name: c.string(d.name, `${path}.name`) };
  if (d.mac !== undefined) {
    const mac = typeof d.mac === 'string' ? d.mac.trim().replace(/-/g, ':') : '';
    if (!MAC.test(mac)) c.fail(`${path}.mac`, 'expected a MAC address like aa:bb:cc:dd:ee:ff');
    out.mac = mac.toLowerCase();
  }
  if (d.ip !== undefined) {
    const ip = typeof d.ip === 'string' ? d.ip.trim() : '';
    if (!IPV4.test(ip) && !(ip.includes(':') && IPV6.test(ip))) {
      c.fail(`${path}.ip`, 'expected an IP address like 192.168.4.20');
    }
    out.ip = ip.toLowerCase();
  }
  return out;
}

/** `dns.static`: `name: address` or `name: [address, …]`. */
function dns(raw: unknown, c: Checker): Config['dns'] {
  const d = c.object(raw, 'dns', ['static']);
  const out: Config['dns'] = { static: {} };
  if (d.static === undefined) return out;
  const table = c.object(d.static, 'dns.static', Object.keys(d.static as object));
  for (const [name, value] of Object.entries(table)) {
    const path = `dns.static.${name}`;
    if (name === '*' || !HOST.test(name)) c.fail(path, `expected a host like api.example.com or *.example.com`);
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0) c.fail(path, 'expected at least one address');
    out.static[name.toLowerCase().replace(/\.$/, '')] = list.map((v, i) => {
      const ip = typeof v === 'string' ? v.trim().toLowerCase() : '';
      if (!isIP(ip))
        c.fail(Array.isArray(value) ? `${path}[${i}]` : path, `expected an IP address, got '${String(v)}'`);
      return ip;
    });
  }
  return out;
}

function firstParty(raw: unknown, c: Checker, devices: DeviceConfig[]): FirstPartyConfig {
  const fp = c.object(raw, 'firstParty', ['global', 'devices']);
  const out: FirstPartyConfig = { global: [], devices: {} };
  if (fp.global !== undefined) out.global = c.hosts(fp.global, 'firstParty.global');
  if (fp.devices !== undefined) {
    const byDevice = c.object(fp.devices, 'firstParty.devices', Object.keys(fp.devices as object));
    for (const [key, hosts] of Object.entries(byDevice)) {
      const path = `firstParty.devices.${key}`;
      if (!knownDevice(key, devices))
        c.fail(path, `no device named '${key}' in devices (use a device name, MAC or IP)`);
      out.devices[MAC.test(key) ? key.toLowerCase() : key] = c.hosts(hosts, path);
    }
  }
  return out;
}

/** A device key (firstParty.devices, tls.caInstalled): a configured name, a MAC or an IP. */
function knownDevice(key: string, devices: DeviceConfig[]): boolean {
  return devices.some((d) => d.name === key) || MAC.test(key) || IPV4.test(key) || key.includes(':');
}

/** The device configured for a device id (MAC or IP), if any. */
export function findDevice(config: Config, deviceId: string): DeviceConfig | undefined {
  const id = deviceId.toLowerCase();
  return config.devices.find((d) => d.mac === id || d.ip === id || d.name === deviceId);
}

/**
 * Whether first-party hosts are configured for the device (`firstParty.global`, or `firstParty.devices` under its
 * id, configured name, MAC or IP), so that a destination not listed can be called a third party and one listed a
 * first party. Without any, nothing is claimed either way.
 */
export function firstPartyKnown(config: Config, deviceId: string): boolean {
  if (config.firstParty.global.length > 0) return true;
  const d = findDevice(config, deviceId);
  return [deviceId, d?.name, d?.mac, d?.ip].some(
    (k) => k !== undefined && (config.firstParty.devices[k]?.length ?? 0) > 0,
  );
}

/** The configured name of a device, else its id (MAC or IP). */
export function deviceName(config: Config, deviceId: string): string {
  return findDevice(config, deviceId)?.name ?? deviceId;
}

/** Whether config `tls.caInstalled` lists the device (by its id, or its configured name). */
export function caInstalled(config: Config, deviceId: string): boolean {
  const name = findDevice(config, deviceId)?.name;
  const id = deviceId.toLowerCase();
  return config.tls.caInstalled.some((e) => e === name || e.toLowerCase() === id);
}

/** Whether `host` matches a glob: `*` any, `*.example.com` any sub-domain (not the apex), else exact. */
export function matchHost(glob: string, host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  const g = glob.toLowerCase().replace(/\.$/, '');
  if (g === '*') return true;
  if (g.startsWith('*.')) return h.endsWith(g.slice(1)) && h.length > g.length - 1;
  return h === g;
}

/** Whether `host` is first party for the device: config `firstParty.global` or its entry in `firstParty.devices`. */
export function isFirstParty(config: Config, deviceId: string, host: string): boolean {
  return firstPartyGlobs(config, deviceId).some((g) => matchHost(g, host));
}

/**
 * Whether a host counts as a third party in stored findings: only when first-party hosts are configured for the
 * device. With none configured nothing is claimed (the policy gate decides from the policy's own list).
 */
export function isThirdParty(config: Config, deviceId: string, host: string): boolean {
  const globs = firstPartyGlobs(config, deviceId);
  return globs.length > 0 && !globs.some((g) => matchHost(g, host));
}

function firstPartyGlobs(config: Config, deviceId: string): string[] {
  const globs = [...config.firstParty.global];
  const d = findDevice(config, deviceId);
  const keys = new Set([deviceId.toLowerCase(), d?.name, d?.mac, d?.ip]);
  for (const [key, hosts] of Object.entries(config.firstParty.devices)) if (keys.has(key)) globs.push(...hosts);
  return globs;
}

/**
 * The limits a run uses: defaults, then `limits`, with the evidence cap from `evidence.maxBytes` (0 when
 * `evidence.keep` is false: findings still say what was seen, but no clip or photo is stored).
 */
export function configLimits(config: Config): Limits {
  const cap = config.evidence.keep ? config.evidence.maxBytes : 0;
  return resolveLimits({ ...config.limits, MAX_EVIDENCE_BYTES: cap });
}

/**
 * The destinations catalogue (analyzers/data/services.yaml) and its lookups: which operator runs a host, so a
 * finding reads "→ Alibaba NLS", and, for a host the catalogue does not list (a vendor proxy, a bare IP, an
 * unlisted region), which service a request's head is shaped for (`/v2/iat?authorization=…&date=…&host=…` is
 * iFlytek wherever it goes; an MQTT publish to `/sys/{productKey}/{deviceName}/thing/…` is Alibaba Cloud IoT whatever
 * broker it reaches). Heads only, never bodies. The catalogue says nothing about first or third party (that
 * is per-device config); hosts and requests it does not recognise show their eTLD+1, operator unknown.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { yaml } from '../../src/lazy-packages.ts';
import type { MessageHead } from '../../src/model/message.ts';
import { FROM_SOURCES, PACKAGE_ROOT } from '../../src/package-root.ts';

/** The kinds of service the catalogue knows. */
export type ServiceKind =
  | 'speech'
  | 'face'
  | 'geolocation'
  | 'iot'
  | 'analytics'
  | 'ads'
  | 'push'
  | 'storage'
  | 'llm'
  | 'dns';
const KINDS: ReadonlySet<string> = new Set([
  'speech',
  'face',
  'geolocation',
  'iot',
  'analytics',
  'ads',
  'push',
  'storage',
  'llm',
  'dns',
]);

/** One catalogue entry. */
export interface Service {
  operator: string;
  /** ISO 3166 alpha-2. */
  country: string;
  kind: ServiceKind;
  /** Host globs: a whole-label `*` in front matches one or more labels, elsewhere exactly one; `ab*` inside a label. */
  hosts: string[];
  /** Where the host names were verified. */
  source: string;
  /** When the entry was checked, YYYY-MM-DD. */
  date: string;
  /** Request shapes that name this service when the host is not in the catalogue. */
  requests?: RequestMatcher[];
}

/**
 * The head of a request this service's API documents, matched when the host is unknown. Either an HTTP shape, at
 * least two of `method`, `path`, `query`, `headers` so that one common path alone does not name a service, or an
 * MQTT shape, `topic` alone (a documented topic layout is specific enough: it counts as two conditions).
 */
export interface RequestMatcher {
  /** HTTP method, upper case. */
  method?: string;
  /** Glob on the URL path: `*` = any characters but `/`, `{detect,match}` = one of. */
  path?: string;
  /** Query keys that must all be present (exact spelling). */
  query?: string[];
  /** Lower-case header name → glob on its value (`*` = anything, case-insensitive). */
  headers?: Record<string, string>;
  /**
   * Glob on the topic of an MQTT upload (a PUBLISH's topic or a SUBSCRIBE's filters): `+` or `*` as a whole level =
   * exactly one non-empty level, `#` as the last level = that level's parent and everything below it, `{a,b}` = one
   * of. Only MQTT heads are matched against it, and it is never combined with the HTTP fields.
   */
  topic?: string;
  /** The vendor documentation that shows this shape. */
  source: string;
}

interface CompiledRequest {
  /** Set for an MQTT matcher (then the HTTP fields are empty). */
  topic: RegExp | undefined;
  method: string | undefined;
  path: RegExp | undefined;
  query: readonly string[];
  headers: ReadonlyArray<readonly [name: string, value: RegExp]>;
  /** Conditions in the matcher: the most specific matching shape wins. */
  weight: number;
  service: Service;
}

interface Compiled {
  re: RegExp;
  /** Literal characters of the glob: the longest match wins. */
  weight: number;
  service: Service;
}

export const SERVICES_FILE = join(PACKAGE_ROOT, 'analyzers/data/services.yaml');
/** The same document as JSON, written by bin/build.mjs beside the bundle (YAML takes ≈ 110 ms of CPU to parse). */
export const SERVICES_JSON_FILE = join(PACKAGE_ROOT, 'dist/services.json');
const MAX_CACHED_HOSTS = 4096;
/** Request targets (method and path) whose fitting matchers are remembered, and the longest path remembered. */
const MAX_CACHED_TARGETS = 4096;
const MAX_CACHED_PATH_CHARS = 256;
/** A request target longer than this is read only this far (query keys past it are not seen). */
const MAX_URL_CHARS = 8192;
/** An MQTT topic longer than this is read only this far (MQTT allows 65,535 bytes). */
const MAX_TOPIC_CHARS = 1024;
/** Counts as this many conditions when the most specific matcher is chosen. */
const TOPIC_WEIGHT = 2;
/** Query parameters and headers read per request head. */
const MAX_QUERY_KEYS = 128;
const MAX_HEADERS = 128;

/** A parsed, validated catalogue with a cached host lookup. */
export class Catalogue {
  readonly services: readonly Service[];
  readonly #globs: Compiled[] = [];
  readonly #cache = new Map<string, Service | null>();
  readonly #requests: CompiledRequest[] = [];
  /** `method path` → the request matchers whose method and path fit it (most often none). */
  readonly #byTarget = new Map<string, readonly CompiledRequest[]>();
  readonly #topics: CompiledRequest[] = [];

  constructor(services: Service[]) {
    this.services = services;
    for (const service of services) {
      for (const glob of service.hosts) {
        this.#globs.push({ re: globToRegExp(glob), weight: glob.replace(/\*/g, '').length, service });
      }
      for (const m of service.requests ?? []) {
        const c = compileRequest(m, service);
        (c.topic === undefined ? this.#requests : this.#topics).push(c);
      }
    }
    this.#globs.sort((x, y) => y.weight - x.weight);
    this.#requests.sort((x, y) => y.weight - x.weight);
    // Topic matchers all weigh TOPIC_WEIGHT: among them file order decides.
  }

  /** The service running `host` (lower-cased, trailing dot ignored), or undefined. */
  serviceOf(host: string): Service | undefined {
    const h = host.toLowerCase().replace(/\.$/, '');
    let s = this.#cache.get(h);
    if (s === undefined) {
      s = this.#globs.find((g) => g.re.test(h))?.service ?? null;
      if (this.#cache.size >= MAX_CACHED_HOSTS) this.#cache.clear();
      this.#cache.set(h, s);
    }
    return s ?? undefined;
  }

  /**
   * The service an upload's head is shaped for, or undefined: an HTTP request (or WebSocket upgrade) by method,
   * URL path, query keys and headers; an MQTT PUBLISH by its topic, a SUBSCRIBE by its filters. For hosts the
   * catalogue does not list; the most specific matching shape wins, file order breaks ties.
   */
  serviceOfRequest(head: MessageHead): Service | undefined {
    if (head.direction !== 'upload') return undefined;
    if (head.protocol === 'mqtt') {
      const topics = mqttTopics(head);
      if (topics.length === 0) return undefined;
      return this.#topics.find((m) => topics.some((t) => m.topic?.test(t)))?.service;
    }
    if (head.url === undefined || this.#requests.length === 0) return undefined;
    const shape = new RequestShape(head, head.url);
    return this.#fitting(shape).find((m) => fitsRest(m, shape))?.service;
  }

  /** The matchers whose method and path fit, in order; cached per method and path (a device repeats its requests). */
  #fitting(shape: RequestShape): readonly CompiledRequest[] {
    if (shape.path.length > MAX_CACHED_PATH_CHARS) return this.#requests.filter((m) => fitsTarget(m, shape));
    const key = `${shape.method} ${shape.path}`;
    let fits = this.#byTarget.get(key);
    if (fits === undefined) {
      fits = this.#requests.filter((m) => fitsTarget(m, shape));
      if (this.#byTarget.size >= MAX_CACHED_TARGETS) this.#byTarget.clear();
      this.#byTarget.set(key, fits);
    }
    return fits;
  }
}

/** The topics an MQTT upload names: a PUBLISH's topic, a SUBSCRIBE's filters (its `topic-filter` headers). */
function mqttTopics(head: MessageHead): string[] {
  const cut = (t: string) => (t.length > MAX_TOPIC_CHARS ? t.slice(0, MAX_TOPIC_CHARS) : t);
  if (head.mqtt?.packet === 'publish') return head.mqtt.topic === undefined ? [] : [cut(head.mqtt.topic)];
  if (head.mqtt?.packet !== 'subscribe') return [];
  const filters: string[] = [];
  for (let i = 0; i < head.headers.length && i < MAX_HEADERS; i++) {
    const [name, value] = head.headers[i] as readonly [string, string];
    if (name === 'topic-filter') filters.push(cut(value));
  }
  return filters;
}

/** A matcher's method and path conditions. */
function fitsTarget(m: CompiledRequest, r: RequestShape): boolean {
  return (m.method === undefined || m.method === r.method) && (m.path === undefined || m.path.test(r.path));
}

/** A matcher's query and header conditions (its method and path fit). */
function fitsRest(m: CompiledRequest, r: RequestShape): boolean {
  for (const k of m.query) if (!r.query.has(k)) return false;
  for (const [name, re] of m.headers) {
    const v = r.headers.get(name);
    if (v === undefined || !re.test(v)) return false;
  }
  return true;
}

/**
 * A request head reduced to what matchers look at: method, path (origin-form, absolute-form reduced to its path),
 * query keys and first header values. Method and path are read at once; the query keys and headers only when a
 * matcher's method and path fit (most requests fit none: a chatty device pays for two string scans per request).
 */
class RequestShape {
  readonly method: string;
  readonly path: string;
  readonly #search: string | undefined;
  readonly #head: MessageHead;
  #query: ReadonlySet<string> | undefined;
  #headers: ReadonlyMap<string, string> | undefined;

  constructor(head: MessageHead, rawUrl: string) {
    let url = rawUrl.length > MAX_URL_CHARS ? rawUrl.slice(0, MAX_URL_CHARS) : rawUrl;
    const scheme = url.indexOf('://');
    if (scheme > 0 && scheme < url.indexOf('/')) {
      const slash = url.indexOf('/', scheme + 3);
      url = slash < 0 ? '/' : url.slice(slash);
    }
    const hash = url.indexOf('#');
    if (hash >= 0) url = url.slice(0, hash);
    const q = url.indexOf('?');
    this.method = (head.method ?? '').toUpperCase();
    this.path = q >= 0 ? url.slice(0, q) : url;
    this.#search = q >= 0 ? url.slice(q + 1) : undefined;
    this.#head = head;
  }

  get query(): ReadonlySet<string> {
    this.#query ??= queryKeys(this.#search);
    return this.#query;
  }

  get headers(): ReadonlyMap<string, string> {
    if (this.#headers === undefined) {
      const headers = new Map<string, string>();
      const list = this.#head.headers;
      for (let i = 0; i < list.length && i < MAX_HEADERS; i++) {
        const [name, value] = list[i] as readonly [string, string];
        const n = name.toLowerCase();
        if (!headers.has(n)) headers.set(n, value.trim());
      }
      this.#headers = headers;
    }
    return this.#headers;
  }
}

/** The keys of a query string (percent-decoded), at most MAX_QUERY_KEYS. */
function queryKeys(search: string | undefined): ReadonlySet<string> {
  const query = new Set<string>();
  if (search === undefined) return query;
  let start = 0;
  while (start <= search.length && query.size < MAX_QUERY_KEYS) {
    const amp = search.indexOf('&', start);
    const end = amp < 0 ? search.length : amp;
    const eq = search.indexOf('=', start);
    const key = search.slice(start, eq >= 0 && eq < end ? eq : end);
    if (key !== '') query.add(key.includes('%') ? safeDecode(key) : key);
    start = end + 1;
  }
  return query;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function compileRequest(m: RequestMatcher, service: Service): CompiledRequest {
  const headers = Object.entries(m.headers ?? {}).map(([n, v]) => [n, headerGlobToRegExp(v)] as const);
  const query = m.query ?? [];
  return {
    topic: m.topic === undefined ? undefined : topicGlobToRegExp(m.topic),
    method: m.method,
    path: m.path === undefined ? undefined : pathGlobToRegExp(m.path),
    query,
    headers,
    weight: (m.topic ? TOPIC_WEIGHT : 0) + (m.method ? 1 : 0) + (m.path ? 1 : 0) + query.length + headers.length,
    service,
  };
}

const escapeRe = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/** `/rest/2.0/face/v3/{detect,match}` and `/v3/geocode/*`: `*` stays within one path segment. */
export function pathGlobToRegExp(glob: string): RegExp {
  return shapeGlob(glob, '[^/]*', '');
}

/**
 * `/sys/+/+/thing/#`, `$aws/things/+/shadow/#`: `+` or `*` as a level is one non-empty level, a last `#` the
 * parent level and everything below it (as MQTT filters read), `{a,b}` one of; everything else literal.
 */
export function topicGlobToRegExp(glob: string): RegExp {
  const levels = glob.split('/');
  const rest = levels.at(-1) === '#';
  if (rest) levels.pop();
  const body = levels.map((l) => (l === '+' || l === '*' ? '[^/]+' : globBody(l, '')));
  return new RegExp(`^${body.join('/')}${rest ? '(?:/.*)?' : ''}$`);
}

/** `RekognitionService.*`, `{DetectFace,SearchFaces}`: `*` is any run of characters; case-insensitive, whole value. */
export function headerGlobToRegExp(glob: string): RegExp {
  return shapeGlob(glob, '.*', 'i');
}

/** A whole-string glob: `*` becomes `star`, `{a,b}` one of a or b, everything else literal. */
function shapeGlob(glob: string, star: string, flags: string): RegExp {
  return new RegExp(`^${globBody(glob, star)}$`, flags);
}

function globBody(glob: string, star: string): string {
  return glob
    .split(/(\{[^{}]*\}|\*)/)
    .map((part) => {
      if (part === '*') return star;
      if (part.startsWith('{') && part.endsWith('}'))
        return `(?:${part.slice(1, -1).split(',').map(escapeRe).join('|')})`;
      return escapeRe(part);
    })
    .join('');
}

/** Parses and validates catalogue YAML; throws with the entry number on a malformed entry. */
export function parseCatalogue(text: string): Catalogue {
  return catalogueOf(yaml().parse(text));
}

/** Validates a catalogue document already parsed (from YAML, or the JSON the build wrote). */
function catalogueOf(parsed: unknown): Catalogue {
  const doc = parsed as { services?: unknown } | null;
  if (!doc || !Array.isArray(doc.services)) throw new Error('services.yaml: no `services` list');
  return new Catalogue(doc.services.map((e, i) => validate(e, i)));
}

function validate(e: unknown, i: number): Service {
  const o = (e ?? {}) as Record<string, unknown>;
  const str = (k: string) => {
    if (typeof o[k] !== 'string' || o[k] === '') throw new Error(`services.yaml entry ${i}: \`${k}\` missing`);
    return o[k] as string;
  };
  const kind = str('kind');
  if (!KINDS.has(kind)) throw new Error(`services.yaml entry ${i}: unknown kind ${kind}`);
  const date = str('date');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`services.yaml entry ${i}: date is not YYYY-MM-DD`);
  const hosts = o.hosts;
  if (!Array.isArray(hosts) || hosts.length === 0 || !hosts.every((h) => typeof h === 'string' && h !== '')) {
    throw new Error(`services.yaml entry ${i}: \`hosts\` must be a non-empty list of globs`);
  }
  const extra = Object.keys(o).filter((k) => !ENTRY_KEYS.includes(k));
  if (extra.length > 0) throw new Error(`services.yaml entry ${i}: unknown key ${extra.join(', ')}`);
  if (o.requests !== undefined && !Array.isArray(o.requests)) {
    throw new Error(`services.yaml entry ${i}: \`requests\` must be a list`);
  }
  const requests = (o.requests as unknown[] | undefined)?.map((r, j) => validateRequest(r, `entry ${i} request ${j}`));
  return {
    operator: str('operator'),
    country: str('country'),
    kind: kind as ServiceKind,
    hosts: hosts as string[],
    source: str('source'),
    date,
    ...(requests === undefined ? {} : { requests }),
  };
}

const ENTRY_KEYS = ['operator', 'country', 'kind', 'hosts', 'source', 'date', 'requests'];
const REQUEST_KEYS = ['method', 'path', 'query', 'headers', 'topic', 'source'];
const HTTP_KEYS = ['method', 'path', 'query', 'headers'];

function validateRequest(r: unknown, where: string): RequestMatcher {
  const fail = (why: string): never => {
    throw new Error(`services.yaml ${where}: ${why}`);
  };
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return fail('not a mapping');
  const o = r as Record<string, unknown>;
  const extra = Object.keys(o).filter((k) => !REQUEST_KEYS.includes(k));
  if (extra.length > 0) fail(`unknown key ${extra.join(', ')}`);
  if (typeof o.source !== 'string' || o.source === '') fail('`source` missing');
  const m: RequestMatcher = { source: o.source as string };
  if (o.method !== undefined) {
    if (typeof o.method !== 'string' || !/^[A-Z]+$/.test(o.method)) fail('`method` must be an upper-case HTTP method');
    m.method = o.method as string;
  }
  if (o.path !== undefined) {
    if (typeof o.path !== 'string' || !o.path.startsWith('/')) fail('`path` must be a glob starting with /');
    m.path = o.path as string;
  }
  if (o.query !== undefined) {
    const q = o.query;
    if (!Array.isArray(q) || q.length === 0 || !q.every((k) => typeof k === 'string' && k !== '')) {
      fail('`query` must be a non-empty list of keys');
    }
    m.query = q as string[];
  }
  if (o.headers !== undefined) {
    const h = o.headers;
    if (typeof h !== 'object' || h === null || Array.isArray(h) || Object.keys(h).length === 0) {
      fail('`headers` must map header names to value globs');
    }
    for (const [n, v] of Object.entries(h as object)) {
      if (n !== n.toLowerCase()) fail(`header name ${n} must be lower case`);
      if (typeof v !== 'string' || v === '') fail(`header ${n} needs a value glob (\`"*"\` for any)`);
    }
    m.headers = h as Record<string, string>;
  }
  const conditions = HTTP_KEYS.filter((k) => o[k] !== undefined).length;
  if (o.topic !== undefined) {
    if (conditions > 0) fail('`topic` matches MQTT heads: it cannot be combined with method, path, query or headers');
    validateTopic(o.topic, fail);
    m.topic = o.topic as string;
    return m;
  }
  if (conditions < 2) fail('a matcher needs `topic`, or at least two of method, path, query, headers');
  return m;
}

function validateTopic(t: unknown, fail: (why: string) => never): void {
  if (typeof t !== 'string' || t === '') fail('`topic` must be a non-empty topic glob');
  const levels = (t as string).split('/');
  levels.forEach((l, i) => {
    if (l.includes('#') && (l !== '#' || i !== levels.length - 1)) fail('`#` must be the whole last topic level');
    if (/[+*]/.test(l) && l !== '+' && l !== '*') fail(`topic level ${l}: \`+\` and \`*\` stand for a whole level`);
  });
  if (levels.every((l) => l === '' || l === '+' || l === '*' || l === '#')) fail('`topic` needs a literal level');
}

/** `*.amap.com` → one or more labels then `.amap.com`; `transcribe.*.amazonaws.com` → one label in the middle. */
export function globToRegExp(glob: string): RegExp {
  const labels = glob.toLowerCase().split('.');
  const parts = labels.map((label, i) => {
    if (label === '*') return i === 0 ? '[^.]+(?:\\.[^.]+)*' : '[^.]+';
    return escapeRe(label).replace(/\*/g, '[^.]*');
  });
  return new RegExp(`^${parts.join('\\.')}$`);
}

let shipped: Catalogue | undefined;

/** The catalogue shipped in analyzers/data/services.yaml (from the bundle: its JSON copy), loaded on first use. */
export function catalogue(): Catalogue {
  shipped ??= FROM_SOURCES
    ? parseCatalogue(readFileSync(SERVICES_FILE, 'utf8'))
    : catalogueOf(JSON.parse(readFileSync(SERVICES_JSON_FILE, 'utf8')));
  return shipped;
}

/** Who runs `host`, from the shipped catalogue: `Alibaba NLS`, or undefined when unknown. */
export function operatorOf(host: string): string | undefined {
  return catalogue().serviceOf(host)?.operator;
}

/** Where the service behind `host` (or, failing that, the named operator) is based: ISO 3166 alpha-2, or undefined. */
export function countryOf(host: string, operator?: string): string | undefined {
  const c = catalogue();
  return (
    c.serviceOf(host)?.country ?? (operator ? c.services.find((s) => s.operator === operator)?.country : undefined)
  );
}

/** Who a request head is shaped for, from the shipped catalogue's request matchers; undefined when none fits. */
export function operatorOfRequest(head: MessageHead): string | undefined {
  return catalogue().serviceOfRequest(head)?.operator;
}

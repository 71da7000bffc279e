/**
 * The destinations catalogue (analyzers/data/services.yaml) and its lookup: which operator runs a host, so a
 * finding reads "→ Alibaba NLS". Host globs only; the catalogue says nothing about first or third party (that is
 * per-device config) and nothing about hosts it does not list (they show their eTLD+1, operator unknown).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** The kinds of service the catalogue knows. */
export type ServiceKind = 'speech' | 'face' | 'geolocation' | 'iot' | 'analytics' | 'ads' | 'push' | 'storage' | 'llm';
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
}

interface Compiled {
  re: RegExp;
  /** Literal characters of the glob: the longest match wins. */
  weight: number;
  service: Service;
}

export const SERVICES_FILE = join(import.meta.dirname, '../data/services.yaml');
const MAX_CACHED_HOSTS = 4096;

/** A parsed, validated catalogue with a cached host lookup. */
export class Catalogue {
  readonly services: readonly Service[];
  readonly #globs: Compiled[] = [];
  readonly #cache = new Map<string, Service | null>();

  constructor(services: Service[]) {
    this.services = services;
    for (const service of services) {
      for (const glob of service.hosts) {
        this.#globs.push({ re: globToRegExp(glob), weight: glob.replace(/\*/g, '').length, service });
      }
    }
    this.#globs.sort((x, y) => y.weight - x.weight);
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
}

/** Parses and validates catalogue YAML; throws with the entry number on a malformed entry. */
export function parseCatalogue(text: string): Catalogue {
  const doc = parse(text) as { services?: unknown };
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
  const extra = Object.keys(o).filter((k) => !['operator', 'country', 'kind', 'hosts', 'source', 'date'].includes(k));
  if (extra.length > 0) throw new Error(`services.yaml entry ${i}: unknown key ${extra.join(', ')}`);
  return {
    operator: str('operator'),
    country: str('country'),
    kind: kind as ServiceKind,
    hosts: hosts as string[],
    source: str('source'),
    date,
  };
}

/** `*.amap.com` → one or more labels then `.amap.com`; `transcribe.*.amazonaws.com` → one label in the middle. */
export function globToRegExp(glob: string): RegExp {
  const labels = glob.toLowerCase().split('.');
  const parts = labels.map((label, i) => {
    if (label === '*') return i === 0 ? '[^.]+(?:\\.[^.]+)*' : '[^.]+';
    return label.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^.]*');
  });
  return new RegExp(`^${parts.join('\\.')}$`);
}

let shipped: Catalogue | undefined;

/** The catalogue shipped in analyzers/data/services.yaml, loaded on first use. */
export function catalogue(): Catalogue {
  shipped ??= parseCatalogue(readFileSync(SERVICES_FILE, 'utf8'));
  return shipped;
}

/** Who runs `host`, from the shipped catalogue: `Alibaba NLS`, or undefined when unknown. */
export function operatorOf(host: string): string | undefined {
  return catalogue().serviceOf(host)?.operator;
}

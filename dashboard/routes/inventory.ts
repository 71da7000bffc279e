/**
 * What the store knows about, small lists all: devices (with findings by category and flows/bytes from the
 * summary rows), destinations (operator, country, party, categories received, bytes, TLS states) and captures.
 */
import type { FastifyPluginAsync } from 'fastify';
import { countryOf } from '../../analyzers/lib/services.ts';
import { type Config, deviceName, firstPartyKnown } from '../../src/config.ts';
import type { Store } from '../../src/store/types.ts';

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const counts = { type: 'object', additionalProperties: { type: 'integer' } } as const;

const Device = {
  type: 'object',
  properties: {
    id: str,
    name: str,
    mac: str,
    ip: str,
    firstTs: int,
    lastTs: int,
    findings: int,
    flows: int,
    bytesUp: int,
    bytesDown: int,
    categories: counts,
  },
} as const;

const DestinationRow = {
  type: 'object',
  properties: {
    deviceId: str,
    host: str,
    etld1: str,
    operator: str,
    country: str,
    thirdParty: { type: 'boolean' },
    /** First-party hosts are configured for the device: `thirdParty: false` then means first party. */
    firstPartyKnown: { type: 'boolean' },
    flows: int,
    bytesUp: int,
    bytesDown: int,
    firstTs: int,
    lastTs: int,
    categories: counts,
    tls: counts,
  },
} as const;

const Capture = {
  type: 'object',
  properties: {
    id: str,
    path: str,
    format: str,
    bytes: int,
    importedAt: int,
    firstTs: int,
    lastTs: int,
    skipped: counts,
  },
} as const;

const list = (item: object) => ({ type: 'object', properties: { items: { type: 'array', items: item } } }) as const;
const add = (o: Record<string, number>, k: string, n: number) => {
  o[k] = (o[k] ?? 0) + n;
};

const inventoryRoutes: FastifyPluginAsync<{ store: Store; config: Config }> = async (app, { store, config }) => {
  app.get('/api/devices', { schema: { response: { 200: list(Device) } } }, async function listDevices() {
    const categories = new Map<string, Record<string, number>>();
    for (const c of store.pages.findingCounts('device')) {
      if (!categories.has(c.deviceId)) categories.set(c.deviceId, {});
      add(categories.get(c.deviceId)!, c.category, c.count);
    }
    const flows = store.pages.flowCounts('device');
    const items = store.listDevices().map((d) => {
      const cats = categories.get(d.id) ?? {};
      const mine = flows.filter((f) => f.deviceId === d.id);
      return {
        ...d,
        name: d.name ?? (deviceName(config, d.id) !== d.id ? deviceName(config, d.id) : undefined),
        findings: Object.values(cats).reduce((a, b) => a + b, 0),
        flows: mine.reduce((a, f) => a + f.flows, 0),
        bytesUp: mine.reduce((a, f) => a + f.bytesUp, 0),
        bytesDown: mine.reduce((a, f) => a + f.bytesDown, 0),
        categories: cats,
      };
    });
    return { items };
  });

  app.get<{ Querystring: { device?: string; thirdParty?: boolean } }>(
    '/api/destinations',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { device: { type: 'string', maxLength: 256 }, thirdParty: { type: 'boolean' } },
        },
        response: { 200: list(DestinationRow) },
      },
    },
    async function listDestinations(req) {
      const { device, thirdParty } = req.query;
      const key = (d: string, h: string) => `${d}\u0000${h}`;
      const categories = new Map<string, Record<string, number>>();
      for (const c of store.pages.findingCounts('destination', device)) {
        const k = key(c.deviceId, c.host!);
        categories.set(k, categories.get(k) ?? {});
        add(categories.get(k)!, c.category, c.count);
      }
      const tls = new Map<string, Record<string, number>>();
      for (const f of store.pages.flowCounts('destination', device)) {
        const k = key(f.deviceId, f.host!);
        tls.set(k, tls.get(k) ?? {});
        add(tls.get(k)!, f.tls, f.flows);
      }
      const items = store
        .listDestinations(device)
        .filter((d) => thirdParty === undefined || d.thirdParty === thirdParty)
        .map((d) => ({
          ...d,
          firstPartyKnown: firstPartyKnown(config, d.deviceId),
          country: countryOf(d.host, d.operator),
          categories: categories.get(key(d.deviceId, d.host)) ?? {},
          tls: tls.get(key(d.deviceId, d.host)) ?? {},
        }));
      return { items };
    },
  );

  app.get('/api/captures', { schema: { response: { 200: list(Capture) } } }, async function listCaptures() {
    return { items: store.listCaptures() };
  });
};
export default inventoryRoutes;

/**
 * The dashboard server: one Fastify instance over an open store, with the security headers and host checks
 * (plugins/security.ts), the session gate (plugins/access.ts), the live feed (live.ts) and one plugin per
 * resource (routes/). `buildDashboard` makes the instance (tests use `inject`); `startDashboard` also makes or
 * reads the token, listens, and says where to log in. It runs beside a writer in the same process (given the
 * store it writes, its commits reach the live feed through `store.onCommit`: the browser tests' site) or alone
 * over a store that another process writes (`toyscope dashboard` beside `toyscope proxy` or `replay`: the feed
 * polls PRAGMA data_version).
 */
import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { portOutOfRange } from '../proxy/address.ts';
import type { Config } from '../src/config.ts';
import type { DataDirPaths } from '../src/data-dir.ts';
import { type Limits, resolveLimits } from '../src/model/limits.ts';
import { PageQueryError } from '../src/store/pages.ts';
import type { Store } from '../src/store/types.ts';
import { Access, ensureDashboardToken } from './auth.ts';
import { LiveFeed } from './live.ts';
import { addAccess } from './plugins/access.ts';
import { addSecurity } from './plugins/security.ts';
import staticRoutes from './plugins/static.ts';
import eventsRoutes from './routes/events.ts';
import evidenceRoutes from './routes/evidence.ts';
import experimentsRoutes from './routes/experiments.ts';
import findingsRoutes from './routes/findings.ts';
import flowsRoutes from './routes/flows.ts';
import inventoryRoutes from './routes/inventory.ts';
import reportRoutes from './routes/report.ts';
import searchRoutes from './routes/search.ts';
import timelineRoutes from './routes/timeline.ts';

export interface DashboardOptions {
  store: Store;
  /** The secret a login must present. */
  token: string;
  config: Config;
  limits?: Partial<Limits>;
  /** Host header values accepted; undefined = any. startDashboard sets it for loopback listens. */
  allowedHosts?: ReadonlySet<string>;
  /** Inputs of the report's chain of custody. */
  custody?: { configFile?: string; policyFile?: string };
  /** Fastify's logger (pino) options; false (default) for none. */
  logger?: boolean | object;
}

/** The Fastify instance, not listening; `close()` also stops the live feed. */
export async function buildDashboard(opts: DashboardOptions): Promise<FastifyInstance> {
  const limits = resolveLimits(opts.limits);
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: limits.MAX_DASHBOARD_BODY_BYTES,
    trustProxy: false,
    // An unknown filter is an error, not silently dropped (a typo would show every finding as if filtered).
    ajv: { customOptions: { removeAdditional: false } },
  });
  const live = new LiveFeed(opts.store, limits);
  app.addHook('onClose', async () => live.close());
  app.setErrorHandler((err, req, reply) => {
    if (err instanceof PageQueryError) return reply.code(400).send({ error: err.message });
    const e = err as { statusCode?: number; validation?: unknown; message: string };
    if (e.validation || (e.statusCode && e.statusCode < 500)) {
      return reply.code(e.statusCode ?? 400).send({ error: e.message });
    }
    req.log.error(err);
    return reply.code(500).send({ error: 'internal error' });
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'not found' }));
  await app.register(cookie);
  addSecurity(app, { allowedHosts: opts.allowedHosts });
  addAccess(app, { access: new Access(opts.token, limits) });
  const store = opts.store;
  await app.register(staticRoutes);
  await app.register(inventoryRoutes, { store, config: opts.config });
  await app.register(findingsRoutes, { store, config: opts.config });
  await app.register(flowsRoutes, { store });
  await app.register(evidenceRoutes, { store });
  await app.register(experimentsRoutes, { store });
  await app.register(reportRoutes, { store, config: opts.config, custody: opts.custody ?? {} });
  await app.register(searchRoutes, { store });
  await app.register(timelineRoutes, { store });
  await app.register(eventsRoutes, { live });
  return app;
}

/** Where to listen: `127.0.0.1:8081`, `[::1]:8081`, `0.0.0.0:8081`. */
export interface ListenAddress {
  host: string;
  port: number;
}

export const DEFAULT_LISTEN = '127.0.0.1:8081';

/** Parses `HOST:PORT` (`[v6]:PORT` for IPv6); throws a one-line Error on anything else. */
export function parseListen(s: string): ListenAddress {
  const range = portOutOfRange(s);
  if (range) throw new Error(range);
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m) throw new Error(`expected HOST:PORT like ${DEFAULT_LISTEN}, got '${s}'`);
  return { host: (m[1] ?? m[2])!, port };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Host header values a browser sends to a loopback listen (what DNS rebinding cannot fake). */
export function loopbackHosts(addr: ListenAddress): Set<string> {
  const names = ['localhost', '127.0.0.1', '[::1]', addr.host.includes(':') ? `[${addr.host}]` : addr.host];
  return new Set(names.map((n) => `${n}:${addr.port}`.toLowerCase()));
}

export interface RunningDashboard {
  /** `http://127.0.0.1:8081/` */
  url: string;
  /** Printed once, when the token was created: `URL/login#token=…` (the fragment never reaches a server log). */
  loginUrl?: string;
  warnings: string[];
  close(): Promise<void>;
}

/** Builds, listens and resolves once listening. The caller prints `warnings` and `loginUrl`. */
export async function startDashboard(
  opts: Omit<DashboardOptions, 'token' | 'allowedHosts'> & { listen: ListenAddress; paths: DataDirPaths },
): Promise<RunningDashboard> {
  const { token, created } = ensureDashboardToken(opts.paths.dashboardToken);
  // Filled once the port is known (port 0 = any free one); until then every Host is refused.
  const allowed = new Set<string>();
  const loopback = isLoopback(opts.listen.host);
  const app = await buildDashboard({ ...opts, token, allowedHosts: loopback ? allowed : undefined });
  await app.listen({ host: opts.listen.host, port: opts.listen.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.listen.port;
  for (const h of loopbackHosts({ host: opts.listen.host, port })) allowed.add(h);
  const host = opts.listen.host.includes(':') ? `[${opts.listen.host}]` : opts.listen.host;
  const url = `http://${host}:${port}/`;
  return {
    url,
    loginUrl: created ? `${url}login#token=${token}` : undefined,
    warnings: listenWarnings(opts.listen),
    close: () => app.close(),
  };
}

/** What to tell the user about a listen address: nothing for loopback, a warning for anything else. */
export function listenWarnings(addr: ListenAddress): string[] {
  return isLoopback(addr.host)
    ? []
    : [
        `the dashboard listens on ${addr.host}, not on loopback: anyone who can reach it can try to log in, and over plain HTTP the session cookie travels in clear (prefer an SSH tunnel to a loopback listen)`,
      ];
}

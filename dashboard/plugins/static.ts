/**
 * The dashboard's own files: the hand-written ones in ui/ and the front end `npm install` built into ui/dist/
 * (ui/build.mjs, run by the `prepare` script), read once at start into a name → bytes map, so a request path is
 * only ever a key looked up in that map, never joined onto a folder (no traversal, whatever the encoding). Public:
 * they hold no captured data. `/` and `/login` are pages; `/static/NAME` the rest.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { PACKAGE_ROOT } from '../../src/package-root.ts';
import { pageCsp } from './security.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

export const UI_DIR = join(PACKAGE_ROOT, 'dashboard/ui');
/** Where ui/build.mjs writes the bundle. */
export const UI_BUILD_DIR = join(UI_DIR, 'dist');

interface Asset {
  type: string;
  body: Buffer;
}

/** Every file directly in `dir` with a known type. */
export function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const type = TYPES[extname(entry.name)];
    if (entry.isFile() && type) assets.set(entry.name, { type, body: readFileSync(join(dir, entry.name)) });
  }
  return assets;
}

/** The page cannot work without its bundle: say how to make it rather than serve a blank page. */
export class UiNotBuiltError extends Error {
  constructor(dir: string) {
    super(
      `the dashboard's front end is not built (${dir}/app.js is missing): run \`npm install\` or \`node dashboard/ui/build.mjs\``,
    );
  }
}

const staticRoutes: FastifyPluginAsync<{ dir?: string; buildDir?: string }> = async (app, opts) => {
  const buildDir = opts.buildDir ?? UI_BUILD_DIR;
  if (!existsSync(join(buildDir, 'app.js'))) throw new UiNotBuiltError(buildDir);
  // dist/ last: the build's index.html (ui/index.html naming the chunks to preload) takes the hand-written one's place.
  const assets = new Map([...loadAssets(opts.dir ?? UI_DIR), ...loadAssets(buildDir)]);
  const serve = (name: string) =>
    async function asset(_req: unknown, reply: import('fastify').FastifyReply) {
      const a = assets.get(name);
      if (!a) return reply.code(404).send({ error: 'not found' });
      return reply.type(a.type).send(a.body);
    };
  // The app page carries a fresh style nonce (in its CSP and in a meta tag the page reads): see pageCsp.
  app.get('/', { config: { public: true } }, async function appPage(_req, reply) {
    const page = assets.get('index.html');
    if (!page) return reply.code(404).send({ error: 'not found' });
    const nonce = randomBytes(16).toString('base64');
    reply.header('content-security-policy', pageCsp(nonce));
    return reply.type(page.type).send(page.body.toString('utf8').replace('%STYLE_NONCE%', nonce));
  });
  app.get('/login', { config: { public: true } }, serve('login.html'));
  app.get<{ Params: { name: string } }>(
    '/static/:name',
    { config: { public: true } },
    async function staticAsset(req, reply) {
      const a = assets.get(req.params.name);
      if (!a || req.params.name.endsWith('.html')) return reply.code(404).send({ error: 'not found' });
      return reply.type(a.type).send(a.body);
    },
  );
};
export default staticRoutes;

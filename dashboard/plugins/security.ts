/**
 * Headers and request checks every dashboard response gets, whatever route: a strict Content-Security-Policy (no
 * inline script anywhere; API and evidence responses may not even run as a document), nosniff, no referrer, no
 * framing, no caching of captured data; and, against DNS rebinding and cross-site requests, a Host allow-list
 * and, on state-changing requests, a same-origin check. Not the session check (access.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Pages (HTML) may load scripts, styles, audio and images from the dashboard itself and nothing else. `styleNonce`
 * also allows the `<style>` elements the page's own code makes with that nonce (wavesurfer.js styles its shadow DOM
 * that way); the app page gets a new one per response (static.ts).
 */
export function pageCsp(styleNonce?: string): string {
  const style = styleNonce ? `style-src 'self' 'nonce-${styleNonce}'` : "style-src 'self'";
  return (
    `default-src 'self'; script-src 'self'; ${style}; img-src 'self' blob: data:; media-src 'self' blob:; ` +
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
  );
}
export const PAGE_CSP = pageCsp();
/** Anything else (JSON, evidence bytes): nothing may run, even if a browser is tricked into rendering it. */
export const DATA_CSP = "default-src 'none'; frame-ancestors 'self'; sandbox";

/** Headers for a response written outside Fastify's reply (SSE). */
export const BASE_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'SAMEORIGIN',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

export interface SecurityOptions {
  /** Host header values accepted (`127.0.0.1:8081`, `localhost:8081` …); undefined = any (a non-loopback listen). */
  allowedHosts?: ReadonlySet<string>;
}

function isPage(reply: FastifyReply): boolean {
  return String(reply.getHeader('content-type') ?? '').startsWith('text/html');
}

export function addSecurity(app: FastifyInstance, opts: SecurityOptions): void {
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const host = (req.headers.host ?? '').toLowerCase();
    if (opts.allowedHosts && !opts.allowedHosts.has(host)) {
      return reply.code(421).send({ error: 'unknown host name' });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD' && !sameOrigin(req, host)) {
      return reply.code(403).send({ error: 'cross-site request refused' });
    }
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.headers(BASE_HEADERS);
    // A page may override its own policy (the report allows its one style sheet by hash).
    if (!reply.hasHeader('content-security-policy')) {
      reply.header('content-security-policy', isPage(reply) ? PAGE_CSP : DATA_CSP);
    }
    return payload;
  });
}

/** Browsers send Origin (and Sec-Fetch-Site) on cross-site POSTs; a request without them is not a browser's. */
function sameOrigin(req: FastifyRequest, host: string): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host.toLowerCase() === host;
  } catch {
    return false;
  }
}

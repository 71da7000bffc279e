/**
 * The session gate: every route needs a live session except those whose config says `public: true` (the login
 * page, its script and style, and the login call itself). Also the login and logout routes, and the rate limit
 * on failed logins (auth.ts keeps the counts). The CVE class this closes: mitmweb's unauthenticated local API
 * (CVE-2025-23217), where any page or local process could drive the proxy.
 */
import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Access, SESSION_COOKIE, sessionLabel } from '../auth.ts';
import { ErrorReply } from '../schemas.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without a session (login page and assets). */
    public?: boolean;
  }
  interface FastifyRequest {
    /** A digest of the session (for logs), set once the gate passed. */
    sessionLabel?: string;
    /** The session's evidence: granted by a reveal, checked before a blob is served; set once the gate passed. */
    evidenceAccess?: { grant(evidenceId: string): void; granted(evidenceId: string): boolean };
  }
}

export interface AccessOptions {
  access: Access;
}

const LoginBody = {
  type: 'object',
  additionalProperties: false,
  required: ['token'],
  properties: { token: { type: 'string', minLength: 1, maxLength: 512 } },
} as const;

export function sessionOf(req: FastifyRequest): string | undefined {
  return req.cookies[SESSION_COOKIE];
}

export function addAccess(app: FastifyInstance, { access }: AccessOptions): void {
  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.config?.public) return;
    const id = sessionOf(req);
    if (!access.check(id)) return reply.code(401).send({ error: 'login required' });
    req.sessionLabel = sessionLabel(id!);
    req.evidenceAccess = {
      grant: (evidenceId) => access.grantEvidence(id!, evidenceId),
      granted: (evidenceId) => access.evidenceGranted(id!, evidenceId),
    };
  });

  app.post(
    '/api/session',
    { config: { public: true }, schema: { body: LoginBody, response: { 204: { type: 'null' }, '4xx': ErrorReply } } },
    async function login(req, reply) {
      const wait = access.retryAfter(req.ip);
      if (wait > 0) {
        reply.header('retry-after', Math.ceil(wait / 1000));
        return reply.code(429).send({ error: 'too many failed logins: wait and try again' });
      }
      const id = access.login((req.body as { token: string }).token, req.ip);
      if (!id) {
        req.log.warn({ remote: req.ip }, 'dashboard login failed');
        return reply.code(401).send({ error: 'wrong token' });
      }
      // `auto`: Secure whenever the request came over TLS.
      reply.setCookie(SESSION_COOKIE, id, { httpOnly: true, sameSite: 'strict', secure: 'auto', path: '/' });
      return reply.code(204).send();
    },
  );

  app.delete('/api/session', { schema: { response: { 204: { type: 'null' } } } }, async function logout(req, reply) {
    access.logout(sessionOf(req));
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send();
  });
}

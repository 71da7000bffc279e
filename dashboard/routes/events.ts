/**
 * `GET /api/events`: the live feed (live.ts) as server-sent events: `hello`, then `flow` and `finding` (masked)
 * as they are committed, `reload` when a batch was too big to send, and a comment line every HEARTBEAT_MS so
 * proxies and browsers keep the stream open. The session check has run before (access.ts).
 */
import type { FastifyPluginAsync } from 'fastify';
import { type LiveFeed, sseMessage } from '../live.ts';
import { BASE_HEADERS, DATA_CSP } from '../plugins/security.ts';

const HEARTBEAT_MS = 15_000;

const eventsRoutes: FastifyPluginAsync<{ live: LiveFeed }> = async (app, { live }) => {
  app.get('/api/events', async function events(req, reply) {
    const res = reply.raw;
    const client = (message: string) => {
      if (!res.writableEnded) res.write(message);
    };
    reply.hijack();
    if (!live.hasRoom()) {
      res.writeHead(503, { ...BASE_HEADERS, 'content-type': 'application/json' });
      res.end('{"error":"too many live connections"}');
      return;
    }
    res.writeHead(200, {
      ...BASE_HEADERS,
      'content-security-policy': DATA_CSP,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
    });
    const rev = live.add(client);
    client(sseMessage('hello', { rev }, rev));
    const beat = setInterval(() => client(': keep-alive\n\n'), HEARTBEAT_MS).unref();
    req.raw.on('close', () => {
      clearInterval(beat);
      live.remove(client);
    });
  });
};
export default eventsRoutes;

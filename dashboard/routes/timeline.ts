/**
 * The overview's timeline: `GET /api/timeline?since&until` (µs since the epoch, both optional: the whole record) →
 * findings per category per bucket, the bucket chosen from the range (src/store/timeline.ts), in the shape a chart
 * takes (`ts` and one array per category).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Store } from '../../src/store/types.ts';
import { ErrorReply } from '../schemas.ts';

const TimelineQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { since: { type: 'integer', minimum: 0 }, until: { type: 'integer', minimum: 0 } },
} as const;

const TimelineReply = {
  type: 'object',
  properties: {
    bucketUs: { type: 'integer' },
    ts: { type: 'array', items: { type: 'integer' } },
    series: { type: 'object', additionalProperties: { type: 'array', items: { type: 'integer' } } },
  },
} as const;

const timelineRoutes: FastifyPluginAsync<{ store: Store }> = async (app, { store }) => {
  app.get<{ Querystring: { since?: number; until?: number } }>(
    '/api/timeline',
    { schema: { querystring: TimelineQuery, response: { 200: TimelineReply, '4xx': ErrorReply } } },
    async function findingTimeline(req) {
      return store.timeline.findings({ sinceTs: req.query.since, untilTs: req.query.until });
    },
  );
};
export default timelineRoutes;

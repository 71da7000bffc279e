/**
 * Search by value: `POST /api/search {q, match?, limit?}` answers where a MAC, phone number, name … went — the
 * newest findings that carried it (masked, like every list) and their destinations per device with times. The
 * query is personal data itself, so it travels in the body, never in a URL a log would keep, and nothing here logs
 * it (only how many values and findings matched). Matching rules: src/store/search.ts.
 */
import type { FastifyPluginAsync } from 'fastify';
import {
  MAX_SEARCH_ITEMS,
  MAX_SEARCH_QUERY_CHARS,
  type SearchMatch,
  SearchQueryError,
} from '../../src/store/search.ts';
import type { Store } from '../../src/store/types.ts';
import { ErrorReply, Finding } from '../schemas.ts';

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;

const SearchBody = {
  type: 'object',
  additionalProperties: false,
  required: ['q'],
  properties: {
    q: { type: 'string', minLength: 1, maxLength: MAX_SEARCH_QUERY_CHARS },
    match: { enum: ['contains', 'exact'] },
    limit: { type: 'integer', minimum: 1, maximum: MAX_SEARCH_ITEMS },
  },
} as const;

const SearchReply = {
  type: 'object',
  properties: {
    match: str,
    values: int,
    moreValues: bool,
    items: { type: 'array', items: Finding },
    destinations: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          host: str,
          etld1: str,
          operator: str,
          thirdParty: bool,
          deviceId: str,
          findings: int,
          categories: { type: 'array', items: str },
          firstTs: int,
          lastTs: int,
        },
      },
    },
    findings: int,
  },
} as const;

const searchRoutes: FastifyPluginAsync<{ store: Store }> = async (app, { store }) => {
  app.post<{ Body: { q: string; match?: SearchMatch; limit?: number } }>(
    '/api/search',
    { schema: { body: SearchBody, response: { 200: SearchReply, '4xx': ErrorReply } } },
    async function searchValue(req, reply) {
      try {
        const r = store.search.search(req.body);
        req.log.info({ values: r.values, findings: r.items.length }, 'value search');
        return r;
      } catch (err) {
        if (err instanceof SearchQueryError) return reply.code(400).send({ error: err.message });
        throw err;
      }
    },
  );
};
export default searchRoutes;

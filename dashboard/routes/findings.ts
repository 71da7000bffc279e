/**
 * Findings: the keyset list with every filter, one finding with its flow, and reveal — the one call that returns
 * an unmasked value (and the finding's unmasked detail: a location's coordinates; a Wi-Fi scan's or cell tower's
 * places from the lab's position tables, src/geo/places.ts, of which the finding's page gets only counts and
 * countries before), recorded in the reveal log (who: a session digest and address; when; which finding) before
 * it answers.
 */
import type { FastifyPluginAsync } from 'fastify';
import { type Config, firstPartyKnown } from '../../src/config.ts';
import { placesOf, placesSummary } from '../../src/geo/places.ts';
import type { Category } from '../../src/model/finding.ts';
import { maskFinding } from '../../src/pipeline/redact.ts';
import type { Store } from '../../src/store/types.ts';
import {
  type CommonQueryT,
  ErrorReply,
  Finding,
  FindingQuery,
  Flow,
  IdParams,
  Places,
  PlacesSummary,
  page,
} from '../schemas.ts';
import { commonFilter } from './query.ts';

type FindingQueryT = CommonQueryT & { category?: Category; subtype?: string; encrypted?: boolean };

const findingsRoutes: FastifyPluginAsync<{ store: Store; config: Config }> = async (app, { store, config }) => {
  app.get<{ Querystring: FindingQueryT }>(
    '/api/findings',
    { schema: { querystring: FindingQuery, response: { 200: page(Finding), '4xx': ErrorReply } } },
    async function listFindings(req) {
      const q = req.query;
      const p = store.pages.findings(
        { ...commonFilter(q), category: q.category, subtype: q.subtype, encrypted: q.encrypted },
        { cursor: q.cursor, limit: q.limit },
      );
      return { ...p, items: p.items.map(maskFinding) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/findings/:id',
    {
      schema: {
        params: IdParams,
        response: {
          200: {
            type: 'object',
            properties: {
              finding: Finding,
              flow: Flow,
              places: PlacesSummary,
              firstPartyKnown: { type: 'boolean' },
            },
          },
          '4xx': ErrorReply,
        },
      },
    },
    async function getFinding(req, reply) {
      const f = store.getFinding(req.params.id);
      if (!f) return reply.code(404).send({ error: 'no such finding' });
      const places = placesOf(f, store.positions);
      return {
        finding: maskFinding(f),
        flow: store.getFlow(f.flowId),
        places: places && placesSummary(places),
        firstPartyKnown: firstPartyKnown(config, f.deviceId),
      };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/findings/:id/reveal',
    {
      schema: {
        params: IdParams,
        response: {
          200: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              value: { type: 'string' },
              detail: { type: 'object', additionalProperties: true },
              places: Places,
            },
          },
          '4xx': ErrorReply,
        },
      },
    },
    async function revealFinding(req, reply) {
      const f = store.getFinding(req.params.id);
      if (!f) return reply.code(404).send({ error: 'no such finding' });
      store.logReveal({
        ts: Date.now() * 1000,
        findingId: f.id,
        session: req.sessionLabel ?? 'unknown',
        remote: req.ip,
        userAgent: req.headers['user-agent']?.slice(0, 256),
      });
      req.log.info({ finding: f.id, session: req.sessionLabel }, 'value revealed');
      // Its photo or voice clip too: served to this session from now on, never before a reveal.
      if (f.evidence.evidenceId) req.evidenceAccess?.grant(f.evidence.evidenceId);
      if (f.evidence.value === undefined) return reply.code(410).send({ error: 'value purged' });
      return { id: f.id, value: f.evidence.value, detail: f.evidence.detail, places: placesOf(f, store.positions) };
    },
  );

  app.get(
    '/api/reveals',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            properties: {
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    ts: { type: 'integer' },
                    findingId: { type: 'string' },
                    session: { type: 'string' },
                    remote: { type: 'string' },
                    userAgent: { type: 'string' },
                  },
                },
              },
            },
          },
        },
      },
    },
    async function listReveals() {
      return { items: store.listReveals() };
    },
  );
};
export default findingsRoutes;

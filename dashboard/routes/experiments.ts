/**
 * Experiments from the dashboard: list, start (a name, optionally a device and a note) and stop. The same rules
 * as `toyscope experiment` (src/experiments.ts): one running experiment per name.
 */
import type { FastifyPluginAsync } from 'fastify';
import { ExperimentError, startExperiment, stopExperiment } from '../../src/experiments.ts';
import type { Store } from '../../src/store/types.ts';
import { ErrorReply, Experiment } from '../schemas.ts';

const StartBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    device: { type: 'string', minLength: 1, maxLength: 256 },
    note: { type: 'string', maxLength: 2000 },
  },
} as const;

const experimentsRoutes: FastifyPluginAsync<{ store: Store }> = async (app, { store }) => {
  app.get(
    '/api/experiments',
    { schema: { response: { 200: { type: 'object', properties: { items: { type: 'array', items: Experiment } } } } } },
    async function listExperiments() {
      return { items: store.listExperiments() };
    },
  );

  app.post<{ Body: { name: string; device?: string; note?: string } }>(
    '/api/experiments',
    { schema: { body: StartBody, response: { 201: Experiment, '4xx': ErrorReply } } },
    async function startExperimentRoute(req, reply) {
      try {
        const { name, device, note } = req.body;
        const e = startExperiment(store, { name, deviceId: device, notes: note }, Date.now() * 1000);
        return reply.code(201).send(e);
      } catch (err) {
        if (err instanceof ExperimentError) return reply.code(409).send({ error: err.message });
        throw err;
      }
    },
  );

  app.post<{ Params: { name: string } }>(
    '/api/experiments/:name/stop',
    {
      schema: {
        params: { type: 'object', properties: { name: { type: 'string', minLength: 1, maxLength: 200 } } },
        response: { 200: Experiment, '4xx': ErrorReply },
      },
    },
    async function stopExperimentRoute(req, reply) {
      try {
        return stopExperiment(store, req.params.name, Date.now() * 1000);
      } catch (err) {
        if (err instanceof ExperimentError) return reply.code(404).send({ error: err.message });
        throw err;
      }
    },
  );
};
export default experimentsRoutes;

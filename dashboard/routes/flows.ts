/**
 * Flows: the keyset list with every filter, one flow with its messages (heads and URLs masked as the CLI masks
 * them) and findings (masked), and one flow as HAR (src/report/har.ts, masked) for the page's "copy as HAR/curl".
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TlsState, Transport } from '../../src/model/flow.ts';
import { maskFinding } from '../../src/pipeline/redact.ts';
import { exportable, harEntries } from '../../src/report/har.ts';
import { maskHeaders, maskUrl } from '../../src/report/heads.ts';
import type { Store } from '../../src/store/types.ts';
import { VERSION } from '../../src/version.ts';
import { type CommonQueryT, ErrorReply, Finding, Flow, FlowQuery, IdParams, Message, page } from '../schemas.ts';
import { commonFilter } from './query.ts';

/** Findings and messages shown with one flow at most (a long MQTT session can hold millions of messages). */
const MAX_FLOW_FINDINGS = 1000;
const MAX_FLOW_MESSAGES = 1000;

const flowsRoutes: FastifyPluginAsync<{ store: Store }> = async (app, { store }) => {
  app.get<{ Querystring: CommonQueryT & { transport?: Transport; tls?: TlsState } }>(
    '/api/flows',
    { schema: { querystring: FlowQuery, response: { 200: page(Flow), '4xx': ErrorReply } } },
    async function listFlows(req) {
      const q = req.query;
      return store.pages.flows(
        { ...commonFilter(q), transport: q.transport, tls: q.tls },
        { cursor: q.cursor, limit: q.limit },
      );
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/flows/:id',
    {
      schema: {
        params: IdParams,
        response: {
          200: {
            type: 'object',
            properties: {
              flow: Flow,
              messages: { type: 'array', items: Message },
              findings: { type: 'array', items: Finding },
            },
          },
          '4xx': ErrorReply,
        },
      },
    },
    async function getFlow(req, reply) {
      const flow = store.getFlow(req.params.id);
      if (!flow) return reply.code(404).send({ error: 'no such flow' });
      const findings = store.listFindings({ flowId: flow.id, limit: MAX_FLOW_FINDINGS }).map(maskFinding);
      const messages = store.listMessages(flow.id, MAX_FLOW_MESSAGES).map((m) => ({
        ...m,
        url: m.url === undefined ? undefined : maskUrl(m.url, false),
        headers: maskHeaders(m.headers, false),
      }));
      return { flow, messages, findings };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/flows/:id/har',
    { schema: { params: IdParams } },
    async function getFlowHar(req, reply) {
      const flow = store.getFlow(req.params.id);
      if (!flow) return reply.code(404).send({ error: 'no such flow' });
      if (!exportable(flow)) return reply.code(409).send({ error: `a ${flow.transport} flow has no HAR form` });
      const entries = harEntries(
        {
          flow,
          messages: store.listMessages(flow.id, MAX_FLOW_MESSAGES),
          findings: store.listFindings({ flowId: flow.id, limit: MAX_FLOW_FINDINGS }),
          evidence: (id) => store.readEvidence(id),
        },
        false,
      );
      return { log: { version: '1.2', creator: { name: 'toyscope', version: VERSION }, pages: [], entries } };
    },
  );
};
export default flowsRoutes;

/**
 * `GET /api/report?device=…`: the compliance report (src/report/compliance*.ts) as HTML (the same page the CLI
 * writes, allowed its one inline style sheet by hash and nothing else), JSON or CSV (downloaded).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../../src/config.ts';
import { InputError } from '../../src/errors.ts';
import { STYLE_SHA256 } from '../../src/report/compliance-html.ts';
import { complianceReport, REPORT_FORMATS, type ReportFormat, renderReport } from '../../src/report/compliance-run.ts';
import { DEFAULT_LANG, LANGS, type Lang } from '../../src/report/compliance-text.ts';
import type { Store } from '../../src/store/types.ts';
import { VERSION } from '../../src/version.ts';

const ReportQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['device'],
  properties: {
    device: { type: 'string', minLength: 1, maxLength: 256 },
    experiment: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 200 }, maxItems: 20 },
    tester: { type: 'string', maxLength: 200 },
    format: { enum: [...REPORT_FORMATS] },
    lang: { enum: [...LANGS] },
  },
} as const;

interface ReportQueryT {
  device: string;
  experiment?: string[];
  tester?: string;
  format?: ReportFormat;
  lang?: Lang;
}

const TYPES: Record<ReportFormat, string> = {
  html: 'text/html; charset=utf-8',
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

const reportRoutes: FastifyPluginAsync<{
  store: Store;
  config: Config;
  custody: { configFile?: string; policyFile?: string };
}> = async (app, { store, config, custody }) => {
  app.get<{ Querystring: ReportQueryT }>(
    '/api/report',
    { schema: { querystring: ReportQuery } },
    async function getReport(req, reply) {
      const q = req.query;
      const format = q.format ?? 'html';
      let report: ReturnType<typeof complianceReport>;
      try {
        report = complianceReport(store, {
          deviceId: q.device,
          experiments: q.experiment,
          tester: q.tester,
          config,
          configFile: custody.configFile,
          policyFile: custody.policyFile ?? config.policy,
          toyscopeVersion: VERSION,
        });
      } catch (err) {
        if (err instanceof InputError) return reply.code(404).send({ error: err.message });
        throw err;
      }
      reply.type(TYPES[format]);
      if (format === 'html') {
        reply.header(
          'content-security-policy',
          `default-src 'none'; style-src ${STYLE_SHA256}; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'`,
        );
      } else {
        reply.header('content-disposition', `attachment; filename="toyscope-report.${format}"`);
      }
      return renderReport(report, format, q.lang ?? DEFAULT_LANG);
    },
  );
};
export default reportRoutes;

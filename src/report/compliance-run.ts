/**
 * Everything a compliance report needs besides the store, gathered once for the CLI and the dashboard alike:
 * the device and experiments resolved, the policy loaded, the chain-of-custody hashes taken, and the chosen
 * format rendered. Throws InputError for an unknown device or experiment.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Config, findDevice, firstPartyKnown } from '../config.ts';
import { InputError } from '../errors.ts';
import { findExperiment } from '../experiments.ts';
import { loadPolicy } from '../policy.ts';
import type { Store } from '../store/types.ts';
import { buildComplianceReport, type ComplianceReport } from './compliance.ts';
import { renderComplianceCsv } from './compliance-csv.ts';
import { renderComplianceHtml } from './compliance-html.ts';
import type { Lang } from './compliance-text.ts';

export type ReportFormat = 'html' | 'json' | 'csv';
export const REPORT_FORMATS: readonly ReportFormat[] = ['html', 'json', 'csv'];

export interface ReportRequest {
  deviceId: string;
  experiments?: string[];
  tester?: string;
  configFile?: string;
  policyFile?: string;
  config: Config;
  toyscopeVersion: string;
  now?: number;
}

const sha256File = (file: string | undefined) =>
  file === undefined ? undefined : createHash('sha256').update(readFileSync(file)).digest('hex');

/** The experiments there are, named for an error: the way to the right name without another command. */
function knownExperiments(store: Store): string {
  const names = [...new Set(store.listExperiments().map((x) => x.name))];
  return names.length === 0 ? 'none was recorded' : `known: ${names.map((n) => `'${n}'`).join(', ')}`;
}

export function complianceReport(store: Store, req: ReportRequest): ComplianceReport {
  const device = store.listDevices().find((d) => d.id === req.deviceId);
  if (!device) throw new InputError(`no device ${req.deviceId} in the database`);
  const experiments = (req.experiments ?? []).map((name) => {
    const e = findExperiment(store, name);
    if (!e) throw new InputError(`no experiment named '${name}'; ${knownExperiments(store)}`);
    return e;
  });
  const policy = req.policyFile === undefined ? undefined : loadPolicy(req.policyFile);
  const configured = findDevice(req.config, device.id);
  const known = (policy?.firstParty?.length ?? 0) > 0 || firstPartyKnown(req.config, device.id);
  return buildComplianceReport({
    store,
    device: configured?.name && !device.name ? { ...device, name: configured.name } : device,
    policy,
    firstPartyKnown: known,
    experiments: experiments.length ? experiments : undefined,
    custody: {
      toyscopeVersion: req.toyscopeVersion,
      generatedAt: (req.now ?? Date.now()) * 1000,
      timeZone: 'UTC',
      tester: req.tester,
      configSha256: sha256File(req.configFile),
      policySha256: sha256File(req.policyFile),
    },
  });
}

export function renderReport(report: ComplianceReport, format: ReportFormat, lang: Lang): string {
  if (format === 'html') return renderComplianceHtml(report, lang);
  if (format === 'csv') return renderComplianceCsv(report, lang);
  return `${JSON.stringify(report, null, 2)}\n`;
}

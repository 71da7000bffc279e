/** Test helper for analyzer suites: one upload message through a real Pipeline, findings out. */
import type { Analyzer } from '../../src/model/analyzer.ts';
import type { Finding } from '../../src/model/finding.ts';
import type { FlowInfo } from '../../src/model/flow.ts';
import type { Limits } from '../../src/model/limits.ts';
import type { Headers } from '../../src/model/message.ts';
import { FlowScript, play } from '../../testkit/playbook.ts';

export interface Upload {
  body?: string | Uint8Array | Array<string | Uint8Array>;
  contentType?: string;
  url?: string;
  headers?: Headers;
  flow?: Partial<FlowInfo>;
  limits?: Partial<Limits>;
}

export function run(analyzers: readonly Analyzer[], u: Upload): Finding[] {
  const headers: Headers = [
    ...(u.contentType === undefined ? [] : ([['Content-Type', u.contentType]] as const)),
    ...(u.headers ?? []),
  ];
  const chunks = u.body === undefined ? [] : Array.isArray(u.body) ? u.body : [u.body];
  const s = new FlowScript(u.flow)
    .message({ msgId: 0, method: 'POST', url: u.url ?? '/upload', headers }, ...chunks)
    .close();
  return [...play(analyzers, s.events, u.limits).findingsById.values()];
}

export function json(analyzers: readonly Analyzer[], body: unknown, extra: Omit<Upload, 'body'> = {}): Finding[] {
  return run(analyzers, { contentType: 'application/json', body: JSON.stringify(body), ...extra });
}

/** `subtype=excerpt` of each finding, sorted: compact to assert on. */
export function summary(findings: Finding[]): string[] {
  return findings.map((f) => `${f.subtype}=${f.evidence.value}`).sort();
}

/**
 * Shared by the routing tests (test/pipeline/token-router.test.ts, keyed-min-length.test.ts): a token with defaults,
 * and what a finding says, without ids and timestamps, to compare two runs' findings.
 */
import type { Finding } from '../../src/model/finding.ts';
import type { Token } from '../../src/model/token.ts';

export const tok = (t: Partial<Token>): Token => ({
  source: 'json',
  path: '$.x',
  parent: '$',
  container: 0,
  outer: 0,
  key: 'x',
  kind: 'string',
  value: '',
  offset: 0,
  more: false,
  depth: 0,
  ...t,
});

export const gist = (f: Finding): string =>
  JSON.stringify([f.category, f.subtype, f.path, f.evidence.excerpt, f.confidence, f.detail, f.destination]);

/** Test helpers for the binary tokenizer suites: run one over chunks and collect tokens, violations, bytes. */
import { expect } from 'vitest';
import type { BinaryTokenizerOptions } from '../../src/decode/binary-tokens.ts';
import type { Tokenizer } from '../../src/decode/filter.ts';
import { type Limits, resolveLimits } from '../../src/model/limits.ts';
import type { Token } from '../../src/model/token.ts';
import type { ViolationInput } from '../../src/model/violation.ts';

export type TokenizerClass = new (sink: (t: Token) => void, opts: BinaryTokenizerOptions) => Tokenizer;

export interface BinaryRun {
  tokens: Token[];
  violations: ViolationInput[];
  /** Byte fields as [path, total bytes] once final. */
  bytes: Array<[string, number]>;
}

export function runBinary(
  T: TokenizerClass,
  chunks: Uint8Array[],
  limits: Partial<Limits> = {},
  extra: Partial<BinaryTokenizerOptions> = {},
): BinaryRun {
  const out: BinaryRun = { tokens: [], violations: [], bytes: [] };
  let pending = 0;
  const t = new T((tok) => out.tokens.push(tok), {
    limits: resolveLimits(limits),
    report: (v) => out.violations.push(v),
    onBytes: (path, chunk, final) => {
      pending += chunk.length;
      if (!final) return;
      out.bytes.push([path, pending]);
      pending = 0;
    },
    ...extra,
  });
  for (const c of chunks) t.write(c);
  t.end();
  return out;
}

/** Pieces merged back, as [path, kind, value]; checks offsets and `more` on the way. */
export function merged(tokens: Token[]): Array<[string, string, string]> {
  const out: Array<[string, string, string]> = [];
  let pending = '';
  for (const t of tokens) {
    expect(t.source).toBe('binary');
    expect(t.offset).toBe(pending.length);
    pending += t.value;
    if (t.more) continue;
    out.push([t.path, t.kind, pending]);
    pending = '';
  }
  expect(pending).toBe('');
  return out;
}

/** [path, key, kind, value] per token. */
export const brief = (r: BinaryRun) => r.tokens.map((t) => [t.path, t.key, t.kind, t.value]);

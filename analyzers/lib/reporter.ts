/**
 * Per-message reporting shared by the analyzers: one finding per distinct (subtype, value), at most
 * MAX_REPORTS_PER_ANALYZER per message, so one analyzer cannot use up the message's MAX_FINDINGS_PER_MESSAGE.
 */
import type { AnalyzerContext, ReportInput, Verdict } from '../../src/model/analyzer.ts';
import type { Category } from '../../src/model/finding.ts';
import { DEFAULT_LIMITS } from '../../src/pipeline/limits.ts';

/** A quarter of the pipeline's per-message cap: four busy analyzers still fit in one message. */
export const MAX_REPORTS_PER_ANALYZER = Math.floor(DEFAULT_LIMITS.MAX_FINDINGS_PER_MESSAGE / 4);

export class Reporter {
  readonly #ctx: AnalyzerContext;
  readonly #category: Category;
  readonly #seen = new Set<string>();

  constructor(ctx: AnalyzerContext, category: Category) {
    this.#ctx = ctx;
    this.#category = category;
  }

  /** Reports unless the same subtype and excerpt was reported in this message; 'done' once the budget is spent. */
  report(input: Omit<ReportInput, 'category'>): Verdict {
    if (this.full) return 'done';
    const key = `${input.subtype}\u0000${input.excerpt}`;
    if (this.#seen.has(key)) return undefined;
    this.#seen.add(key);
    this.#ctx.report({ category: this.#category, ...input });
    return this.full ? 'done' : undefined;
  }

  get full(): boolean {
    return this.#seen.size >= MAX_REPORTS_PER_ANALYZER;
  }
}

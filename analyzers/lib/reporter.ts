/**
 * Per-message reporting shared by the analyzers: one finding per distinct (subtype, value), at most
 * MAX_REPORTS_PER_ANALYZER per message, so one analyzer cannot use up the message's MAX_FINDINGS_PER_MESSAGE.
 */
import type { AnalyzerContext, ReportInput, Verdict } from '../../src/model/analyzer.ts';
import type { Category } from '../../src/model/finding.ts';
import { DEFAULT_LIMITS } from '../../src/model/limits.ts';

/** A quarter of the pipeline's per-message cap: four busy analyzers still fit in one message. */
export const MAX_REPORTS_PER_ANALYZER = Math.floor(DEFAULT_LIMITS.MAX_FINDINGS_PER_MESSAGE / 4);

export class Reporter {
  readonly #ctx: AnalyzerContext;
  readonly #category: Category;
  /** Excerpts reported, per subtype (no key string to build per call: most calls repeat a value). */
  readonly #seen = new Map<string, Set<string>>();
  #count = 0;

  constructor(ctx: AnalyzerContext, category: Category) {
    this.#ctx = ctx;
    this.#category = category;
  }

  /** Reports unless the same subtype and excerpt was reported in this message; 'done' once the budget is spent. */
  report(input: Omit<ReportInput, 'category'>): Verdict {
    if (this.full) return 'done';
    let excerpts = this.#seen.get(input.subtype);
    if (excerpts === undefined) {
      excerpts = new Set();
      this.#seen.set(input.subtype, excerpts);
    } else if (excerpts.has(input.excerpt)) return undefined;
    excerpts.add(input.excerpt);
    this.#count++;
    this.#ctx.report({ category: this.#category, ...input });
    return this.full ? 'done' : undefined;
  }

  /** Whether `report` of this subtype and excerpt would do anything: a caller may skip building the finding. */
  fresh(subtype: string, excerpt: string): boolean {
    return this.full || this.#seen.get(subtype)?.has(excerpt) !== true;
  }

  get full(): boolean {
    return this.#count >= MAX_REPORTS_PER_ANALYZER;
  }
}

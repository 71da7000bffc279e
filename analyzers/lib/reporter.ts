/**
 * Per-message reporting shared by the analyzers: one finding per distinct (subtype, value), at most a quarter
 * of the run's MAX_FINDINGS_PER_MESSAGE per analyzer (`ctx.limits`), so one analyzer cannot use up a message's
 * budget and four busy analyzers still fit.
 */
import { type AnalyzerContext, excerptText, type ReportInput, type Verdict } from '../../src/model/analyzer.ts';
import type { Category } from '../../src/model/finding.ts';

/** The excerpts of one subtype reported in the message. */
interface Reported {
  readonly excerpts: Set<string>;
  /**
   * The last excerpt `fresh` found among them: the same IMEI or MAC comes in every event of a batch, and an analyzer
   * asks about several subtypes in turn (an IMEI, then a MAC), so one is kept per subtype.
   */
  last: string | undefined;
}

export class Reporter {
  readonly #ctx: AnalyzerContext;
  readonly #category: Category;
  /**
   * Excerpts reported, per subtype (no key string to build per call: most calls repeat a value). Made at the first
   * report: most messages report nothing, and each analyzer of each upload has a Reporter.
   */
  #seen: Map<string, Reported> | undefined;
  #count = 0;
  readonly #max: number;

  constructor(ctx: AnalyzerContext, category: Category) {
    this.#ctx = ctx;
    this.#category = category;
    this.#max = Math.max(1, Math.floor(ctx.limits.MAX_FINDINGS_PER_MESSAGE / 4));
  }

  /** Reports unless the same subtype and excerpt was reported in this message; 'done' once the budget is spent. */
  report(input: Omit<ReportInput, 'category'>): Verdict {
    if (this.full) return 'done';
    this.#seen ??= new Map();
    let reported = this.#seen.get(input.subtype);
    if (reported === undefined) {
      reported = { excerpts: new Set(), last: undefined };
      this.#seen.set(input.subtype, reported);
    }
    const text = excerptText(input.excerpt);
    if (reported.excerpts.has(text)) return undefined;
    reported.excerpts.add(text);
    this.#count++;
    this.#ctx.report({ category: this.#category, ...input });
    return this.full ? 'done' : undefined;
  }

  /** Whether `report` of this subtype and excerpt would do anything: a caller may skip building the finding. */
  fresh(subtype: string, excerpt: string): boolean {
    if (this.full) return true;
    const reported = this.#seen?.get(subtype);
    if (reported === undefined) return true;
    if (excerpt === reported.last) return false;
    if (!reported.excerpts.has(excerpt)) return true;
    reported.last = excerpt;
    return false;
  }

  /** Findings reported so far (a caller can tell whether a step reported anything). */
  get reported(): number {
    return this.#count;
  }

  get full(): boolean {
    return this.#count >= this.#max;
  }
}

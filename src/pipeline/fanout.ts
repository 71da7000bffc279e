/**
 * Fans one message's decoded media and tokens out to the analyzer states that wanted it, honouring `'done'`
 * verdicts. An analyzer that throws is switched off for the message and reported as a violation: a bug in one
 * analyzer never stops the pipeline or the other analyzers.
 */
import type { AnalyzerState, Verdict } from '../model/analyzer.ts';
import type { MediaInfo } from '../model/media.ts';
import type { Token } from '../model/token.ts';

export interface ActiveAnalyzer {
  readonly name: string;
  readonly state: AnalyzerState;
  done: boolean;
}

export type AnalyzerErrorSink = (analyzer: string, err: unknown) => void;

export class AnalyzerFanout {
  readonly #active: ActiveAnalyzer[];
  readonly #onError: AnalyzerErrorSink;
  /**
   * Whether structured bodies must be tokenized: some state takes tokens, or takes media that may sit nested in a
   * token (a base64 clip in JSON). When neither, tokenizers are not even started.
   */
  readonly wantsTokens: boolean;

  constructor(active: ActiveAnalyzer[], onError: AnalyzerErrorSink) {
    this.#active = active;
    this.#onError = onError;
    this.wantsTokens = active.some((a) => a.state.token !== undefined || a.state.media !== undefined);
  }

  /** True while at least one analyzer still wants this message's bytes. */
  get live(): boolean {
    return this.#active.some((a) => !a.done);
  }

  media(info: MediaInfo, chunk: Uint8Array): void {
    for (const a of this.#active) if (!a.done && a.state.media) this.#call(a, () => a.state.media!(info, chunk));
  }

  mediaEnd(info: MediaInfo): void {
    for (const a of this.#active) if (!a.done && a.state.mediaEnd) this.#call(a, () => a.state.mediaEnd!(info));
  }

  token(t: Token): void {
    for (const a of this.#active) if (!a.done && a.state.token) this.#call(a, () => a.state.token!(t));
  }

  gap(length: number): void {
    for (const a of this.#active) if (!a.done && a.state.gap) this.#call(a, () => a.state.gap!(length));
  }

  /** Every state's `end()`, including those that said `'done'` (they decide now). */
  end(): void {
    for (const a of this.#active) {
      try {
        a.state.end();
      } catch (err) {
        this.#onError(a.name, err);
      }
    }
  }

  #call(a: ActiveAnalyzer, fn: () => Verdict): void {
    try {
      if (fn() === 'done') a.done = true;
    } catch (err) {
      a.done = true;
      this.#onError(a.name, err);
    }
  }
}

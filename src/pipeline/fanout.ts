/**
 * Fans one message's decoded media and tokens out to the analyzer states that wanted it, honouring `'done'`
 * verdicts. An analyzer that throws is switched off for the message and reported as a violation: a bug in one
 * analyzer never stops the pipeline or the other analyzers.
 */
import type { TokenGate } from '../decode/filter.ts';
import type { AnalyzerState } from '../model/analyzer.ts';
import type { MediaInfo } from '../model/media.ts';
import type { Token, TokenKind, TokenSource } from '../model/token.ts';
import { BodySummaryCollector } from './body-summary.ts';
import type { TokenRouter } from './token-router.ts';

export interface ActiveAnalyzer {
  readonly name: string;
  readonly state: AnalyzerState;
  /** Its bit in the TokenRouter's masks; 0: every token. */
  readonly bit: number;
  done: boolean;
}

export type AnalyzerErrorSink = (analyzer: string, err: unknown) => void;

export class AnalyzerFanout {
  readonly #active: ActiveAnalyzer[];
  readonly #onError: AnalyzerErrorSink;
  readonly #router: TokenRouter;
  /** The states that take tokens, in registry order. */
  readonly #takers: ActiveAnalyzer[];
  /** Some taker declared a TokenInterest: tokens are routed (else every taker gets every token). */
  readonly #routed: boolean;
  /**
   * When every taker is routed: the takers by bit position, and their bits. A token then visits only the takers
   * its mask names (lowest bit first: registry order), not every taker to test its bit.
   */
  readonly #byBit: ActiveAnalyzer[] | undefined;
  /**
   * The bits of the takers not done yet: a token only done analyzers would get is refused at the gate (not made),
   * as one no analyzer wants (location is done with a batch after its first coordinates).
   */
  #takerBits: number;
  /** The mask a gate admitted the next token with (see `#admit`), or -1. Masks use 31 bits: never -1. */
  #admitted = -1;
  /**
   * Whether structured bodies must be tokenized: some state takes tokens, or takes media that may sit nested in a
   * token (a base64 clip in JSON). When neither, tokenizers are not even started.
   */
  readonly wantsTokens: boolean;
  /** Parts and token counts of this message, for its record. */
  readonly summary = new BodySummaryCollector();

  constructor(active: ActiveAnalyzer[], router: TokenRouter, onError: AnalyzerErrorSink) {
    this.#active = active;
    this.#router = router;
    this.#onError = onError;
    this.#takers = active.filter((a) => a.state.token !== undefined);
    this.#routed = this.#takers.some((a) => a.bit !== 0);
    const allRouted = this.#routed && this.#takers.every((a) => a.bit !== 0);
    this.#byBit = allRouted ? [] : undefined;
    for (const a of this.#byBit ? this.#takers : []) this.#byBit![31 - Math.clz32(a.bit)] = a;
    this.#takerBits = this.#takers.reduce((m, a) => m | a.bit, 0);
    this.wantsTokens = active.some((a) => a.state.token !== undefined || a.state.media !== undefined);
  }

  /** True while at least one analyzer still wants this message's bytes. */
  get live(): boolean {
    for (const a of this.#active) if (!a.done) return true;
    return false;
  }

  // The feeding methods call each state directly, in a plain loop: no closure per call (they run per chunk
  // and, for tokens, per token per analyzer).

  media(info: MediaInfo, chunk: Uint8Array): void {
    this.summary.part(info, chunk.length);
    for (const a of this.#active) {
      if (a.done || !a.state.media) continue;
      try {
        if (a.state.media(info, chunk) === 'done') this.#done(a);
      } catch (err) {
        this.#fail(a, err);
      }
    }
  }

  mediaEnd(info: MediaInfo): void {
    for (const a of this.#active) {
      if (a.done || !a.state.mediaEnd) continue;
      try {
        if (a.state.mediaEnd(info) === 'done') this.#done(a);
      } catch (err) {
        this.#fail(a, err);
      }
    }
  }

  /**
   * A gate for a tokenizer of `source` (see TokenGate): a scalar no taker would get is counted, not made. Strings of
   * `minBase64` characters or more are always made (the part decodes base64 from them). Undefined when some taker
   * gets every token.
   */
  gate(source: TokenSource, minBase64: number): TokenGate | undefined {
    if (!this.#byBit) return undefined;
    const router = this.#router;
    return {
      scalar: (key: string, kind: TokenKind, length: number, slot?: number) =>
        this.#admit(router.routeScalar(key, source, kind, length, slot), kind),
      ascii: (key: string, buf: Uint8Array, start: number, end: number, slot?: number) =>
        end - start >= minBase64 || this.#admit(router.routeAscii(key, source, buf, start, end, slot), 'string'),
      text: (key: string, value: string, slot: number) =>
        value.length >= minBase64 || this.#admit(router.routeText(key, source, value, slot), 'string'),
    };
  }

  /**
   * A gate's answer: a token no taker wants is counted; one some taker wants is made next, and `token` takes the
   * mask computed here instead of routing it again (a gate's tokenizer emits the token it asked about at once).
   */
  #admit(mask: number, kind: TokenKind): boolean {
    if ((mask & this.#takerBits) === 0) {
      this.summary.token(kind);
      return false;
    }
    this.#admitted = mask;
    return true;
  }

  /** `encoded`: a string being decoded as base64 (see TokenRouter.route). */
  token(t: Token, encoded = false): void {
    this.summary.token(t.kind);
    const admitted = this.#admitted;
    this.#admitted = -1;
    const wanted = admitted !== -1 ? admitted : this.#routed ? this.#router.route(t, encoded) : 0;
    const byBit = this.#byBit;
    if (byBit) {
      for (let m = wanted & this.#takerBits; m !== 0; m &= m - 1) {
        const a = byBit[31 - Math.clz32(m & -m)]!;
        if (!a.done) this.#give(a, t);
      }
      return;
    }
    const takers = this.#takers;
    for (let i = 0; i < takers.length; i++) {
      const a = takers[i]!;
      if (!a.done && (a.bit === 0 || (wanted & a.bit) !== 0)) this.#give(a, t);
    }
  }

  #give(a: ActiveAnalyzer, t: Token): void {
    try {
      if (a.state.token!(t) === 'done') this.#done(a);
    } catch (err) {
      this.#fail(a, err);
    }
  }

  gap(length: number): void {
    for (const a of this.#active) {
      if (a.done || !a.state.gap) continue;
      try {
        if (a.state.gap(length) === 'done') this.#done(a);
      } catch (err) {
        this.#fail(a, err);
      }
    }
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

  /** An analyzer that said `'done'` gets nothing more of this message. */
  #done(a: ActiveAnalyzer): void {
    a.done = true;
    this.#takerBits &= ~a.bit;
  }

  /** An analyzer that throws is off for the rest of the message. */
  #fail(a: ActiveAnalyzer, err: unknown): void {
    this.#done(a);
    this.#onError(a.name, err);
  }
}

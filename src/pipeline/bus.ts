/**
 * A tiny typed event bus that costs nothing without listeners (mockttp, pino): check `has()` before building an
 * event on a hot path. Used for the dashboard's live view and the CLI's progress, never for pipeline results
 * (those leave through PipelineOutput).
 */

export class Bus<E extends Record<string, unknown>> {
  #subs: { [K in keyof E]?: Array<(e: E[K]) => void> } = {};

  /** Subscribe; returns the unsubscribe function. */
  on<K extends keyof E>(name: K, fn: (e: E[K]) => void): () => void {
    const list = this.#subs[name] ?? [];
    list.push(fn);
    this.#subs[name] = list;
    return () => {
      this.#subs[name] = (this.#subs[name] ?? []).filter((f) => f !== fn);
    };
  }

  has<K extends keyof E>(name: K): boolean {
    return (this.#subs[name]?.length ?? 0) > 0;
  }

  emit<K extends keyof E>(name: K, e: E[K]): void {
    for (const f of this.#subs[name] ?? []) f(e);
  }
}

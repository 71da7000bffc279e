/**
 * Live updates: what changed in the store, as server-sent events. Two triggers feed one pump: the store's
 * `onCommit` (a writer in this process, e.g. the browser tests' site) and a cheap `PRAGMA data_version` poll (a
 * writer in another process, e.g. `toyscope proxy` or `replay` while `toyscope dashboard` runs). The pump reads the change feed
 * (rows stamped with a revision above the last one sent), masks findings and writes each event to every client.
 * Nothing is read while no client listens. Not the HTTP route (routes/events.ts).
 */
import type { Limits } from '../src/model/limits.ts';
import { maskFinding } from '../src/pipeline/redact.ts';
import type { Store } from '../src/store/types.ts';

/** A connected client: takes one serialized SSE message. */
export type LiveClient = (message: string) => void;

/** `event: NAME`, `id: REV`, one `data:` line (JSON never holds a raw newline). */
export function sseMessage(event: string, data: unknown, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export class LiveFeed {
  readonly #store: Store;
  readonly #limits: Pick<Limits, 'LIVE_POLL_MS' | 'MAX_LIVE_BATCH' | 'MAX_SSE_CLIENTS'>;
  readonly #clients = new Set<LiveClient>();
  readonly #unsubscribe: () => void;
  readonly #poll: NodeJS.Timeout;
  #rev: number;
  #dataVersion: number;
  #scheduled = false;
  #closed = false;

  constructor(store: Store, limits: LiveFeed['limits']) {
    this.#store = store;
    this.#limits = limits;
    this.#rev = store.pages.rev();
    this.#dataVersion = store.dataVersion();
    this.#unsubscribe = store.onCommit(() => this.#schedule());
    this.#poll = setInterval(() => this.#checkOtherWriters(), limits.LIVE_POLL_MS).unref();
  }

  get limits(): Pick<Limits, 'LIVE_POLL_MS' | 'MAX_LIVE_BATCH' | 'MAX_SSE_CLIENTS'> {
    return this.#limits;
  }

  /** There is room for another client (MAX_SSE_CLIENTS). */
  hasRoom(): boolean {
    return !this.#closed && this.#clients.size < this.#limits.MAX_SSE_CLIENTS;
  }

  /** Adds a client, which hears changes committed after the revision returned. */
  add(client: LiveClient): number {
    if (this.#clients.size === 0) this.#rev = this.#store.pages.rev(); // nobody heard the changes in between
    this.#clients.add(client);
    return this.#rev;
  }

  remove(client: LiveClient): void {
    this.#clients.delete(client);
  }

  close(): void {
    this.#closed = true;
    this.#unsubscribe();
    clearInterval(this.#poll);
    this.#clients.clear();
  }

  #checkOtherWriters(): void {
    if (this.#clients.size === 0) return;
    const v = this.#store.dataVersion();
    if (v === this.#dataVersion) return;
    this.#dataVersion = v;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#clients.size === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#closed || this.#clients.size === 0) return;
    const c = this.#store.pages.changes(this.#rev, this.#limits.MAX_LIVE_BATCH);
    if (c.rev === this.#rev) return;
    this.#rev = c.rev;
    let out = '';
    for (const f of c.flows) out += sseMessage('flow', f, c.rev);
    for (const f of c.findings) out += sseMessage('finding', maskFinding(f), c.rev);
    if (c.skipped) out += sseMessage('reload', { rev: c.rev }, c.rev);
    for (const client of this.#clients) client(out);
    if (c.more) this.#schedule();
  }
}

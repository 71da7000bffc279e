/**
 * An event log for decoder tests whose data may arrive cut anywhere: adjacent data pieces are merged into one
 * `['data', latin1]` entry, so the log is the same whatever the chunk boundaries (split invariance).
 */
export type Ev = [string, ...unknown[]];

export class EventLog {
  readonly events: Ev[] = [];
  #data: Uint8Array[] = [];

  /** Logs an event as it comes (for events that never follow data). */
  push(...e: Ev): void {
    this.events.push(e);
  }

  /** Keeps a copy of a data piece, merged with the pieces next to it. */
  data(d: Uint8Array): void {
    this.#data.push(d.slice());
  }

  /** Logs an event after the data before it. */
  after(...e: Ev): void {
    this.flush();
    this.events.push(e);
  }

  /** Ends the pending data run. */
  flush(): void {
    if (this.#data.length > 0) this.events.push(['data', Buffer.concat(this.#data).toString('latin1')]);
    this.#data = [];
  }
}

/**
 * Work analyzers hand off through `ctx.defer` (face detection in the worker pool), and the events that wait for
 * it. An offline flow (replay, HAR) gets the same findings however long the work takes: its results are applied
 * in the order the work was deferred, before the flow's next event, which is held (copied) until they are. A live
 * flow never waits: each result is applied when it settles. `idle()` is the backpressure an offline source awaits
 * between reads. It knows nothing of findings or analyzers: the pipeline says what applying a result means and
 * how to run an event.
 */
import type { FlowEvent } from '../model/events.ts';

/**
 * Bytes of one slab the held chunks of a flow are copied into. A chunk copied alone (a Buffer of its own per
 * 1448-byte TCP segment) costs its ArrayBuffer's bookkeeping besides its bytes; a view of a reader's buffer (what
 * `Buffer.slice` gives) pins the whole buffer (1 MiB on replay) for as long as it is held. A flow holds at most one
 * slab partly filled.
 */
const HELD_SLAB_BYTES = 64 * 1024;

interface Entry {
  settled: boolean;
  /** Applies the result (or reports the failure); set once settled. */
  apply: () => void;
}

/** One offline flow's deferred work, in deferral order, and the events held behind it. */
export class OrderedWork {
  readonly entries: Entry[] = [];
  readonly held: FlowEvent[] = [];
  /** The slab held chunks are copied into, and how much of it is used; dropped once nothing is held. */
  #slab: Buffer | undefined;
  #used = 0;

  /** A copy of `data` (in the flow's current slab when it fits): its own bytes, never a view of the caller's. */
  copy(data: Uint8Array): Uint8Array {
    if (data.length > HELD_SLAB_BYTES / 4) return Buffer.from(data);
    if (!this.#slab || this.#used + data.length > this.#slab.length) {
      this.#slab = Buffer.allocUnsafeSlow(HELD_SLAB_BYTES);
      this.#used = 0;
    }
    const view = this.#slab.subarray(this.#used, this.#used + data.length);
    view.set(data);
    this.#used += data.length;
    return view;
  }

  /** Nothing is held any more: the next held chunk starts a new slab, so an idle flow keeps none. */
  released(): void {
    this.#slab = undefined;
    this.#used = 0;
  }

  /** Applies the settled entries at the front, in order; true when nothing deferred is left waiting. */
  applySettled(): boolean {
    while (this.entries.length > 0 && this.entries[0]!.settled) this.entries.shift()!.apply();
    return this.entries.length === 0;
  }

  /** The flow's own `flow.close` is among the held events (always the last): it will close the flow. */
  get closing(): boolean {
    return this.held.at(-1)?.type === 'flow.close';
  }

  /** True when the flow's next event must wait: events are held already, or work is still running. */
  get blocked(): boolean {
    return this.held.length > 0 || !this.applySettled();
  }
}

/** The deferred work of one pipeline, across flows. */
export class Deferrals {
  readonly #pending = new Set<Promise<void>>();
  readonly #holding = new Set<OrderedWork>();
  /** Body bytes of the held events. */
  #heldBytes = 0;
  readonly #run: (ev: FlowEvent) => void;

  /** `run` handles one event in the pipeline (used for the held events once released). */
  constructor(run: (ev: FlowEvent) => void) {
    this.#run = run;
  }

  /** Work not settled yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Holds `ev` behind the flow's deferred work if it must wait (true), copying its bytes so no reader buffer stays
   * pinned (`Buffer.slice` would give a view); false when it may run now.
   */
  hold(ordered: OrderedWork | undefined, ev: FlowEvent): boolean {
    if (!ordered?.blocked) return false;
    if (ev.type === 'message.chunk') {
      this.#heldBytes += ev.data.length;
      ordered.held.push({ ...ev, data: ordered.copy(ev.data) });
    } else ordered.held.push(ev);
    this.#holding.add(ordered);
    return true;
  }

  /**
   * Runs `work` off the pipeline; `apply(value)` or `fail(error)` afterwards: in order before the flow's next
   * event when `ordered` is given, else as soon as it settles. `apply` must not throw (the caller guards it).
   */
  defer<T>(ordered: OrderedWork | undefined, work: Promise<T>, apply: (v: T) => void, fail: (e: unknown) => void) {
    let done: Promise<void>;
    if (ordered) {
      const entry: Entry = { settled: false, apply: () => {} };
      ordered.entries.push(entry);
      const settle = (run: () => void) => {
        entry.apply = run;
        entry.settled = true;
        this.#release(ordered);
      };
      done = work.then(
        (v) => settle(() => apply(v)),
        (e: unknown) => settle(() => fail(e)),
      );
    } else done = work.then(apply, fail);
    const tracked: Promise<void> = done.finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  /**
   * Resolves once at most `maxPending` pieces of work are running and at most `maxHeldBytes` body bytes are held
   * (with 0: no event held at all). Between reads an offline source awaits it, so it waits for the face detector
   * instead of dropping work, with bounded memory.
   */
  async idle(maxPending: number, maxHeldBytes: number): Promise<void> {
    const held = () => (maxHeldBytes === 0 ? this.#holding.size > 0 : this.#heldBytes > maxHeldBytes);
    while (held() || this.#pending.size > maxPending) {
      if (this.#pending.size === 0) return; // nothing could release what is held (held always implies work)
      await Promise.race(this.#pending);
    }
  }

  /** Work of `ordered` settled: apply what is ready, then run the events it held, until work blocks again. */
  #release(ordered: OrderedWork): void {
    while (ordered.applySettled()) {
      const ev = ordered.held.shift();
      if (!ev) {
        this.#holding.delete(ordered);
        ordered.released();
        return;
      }
      if (ev.type === 'message.chunk') this.#heldBytes -= ev.data.length;
      this.#run(ev);
    }
  }
}

/**
 * Starting and stopping experiments by name, the rules the CLI (`toyscope experiment`) and the dashboard share:
 * at most one running experiment per name; stop ends the running one. Also how a name given to a report or a
 * list resolves (the latest experiment of that name). Tagging itself is by time, at query time (store/pages.ts).
 */
import type { Micros } from './model/flow.ts';
import type { ExperimentRecord, Store } from './store/types.ts';

/** A start of a name already running, a stop of one not running, an unknown name. */
export class ExperimentError extends Error {}

export function startExperiment(
  store: Store,
  e: { name: string; deviceId?: string; notes?: string },
  now: Micros,
): ExperimentRecord {
  const running = store.listExperiments().find((x) => x.name === e.name && x.endTs === undefined);
  if (running) throw new ExperimentError(`experiment '${e.name}' is already running (stop it first)`);
  return store.startExperiment({ name: e.name, startTs: now, deviceId: e.deviceId, notes: e.notes });
}

export function stopExperiment(store: Store, name: string, now: Micros): ExperimentRecord {
  const running = store.listExperiments().find((x) => x.name === name && x.endTs === undefined);
  if (!running) throw new ExperimentError(`no running experiment named '${name}'`);
  store.endExperiment(running.id, now);
  return { ...running, endTs: now };
}

/** The most recent experiment called `name`, or undefined. */
export function findExperiment(store: Store, name: string): ExperimentRecord | undefined {
  return store.listExperiments().find((x) => x.name === name);
}

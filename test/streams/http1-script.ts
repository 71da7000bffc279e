/**
 * Scripted HTTP/1 connections for the Http1Handler suites: steps in, a readable log out (heads, bodies with
 * adjacent chunks merged, gaps, ends, host updates, violations), and the same log checked at every split.
 */
import { expect } from 'vitest';
import type { FlowEvent } from '../../src/model/events.ts';
import { Http1Handler, type Http1Options } from '../../src/streams/http1.ts';
import type { StreamDir } from '../../src/streams/types.ts';
import { everySplit, oneByteAtATime, splitAt, utf8 } from '../helpers/splits.ts';

/** One step of a connection script. */
export type Step = [StreamDir, string | Uint8Array] | ['gap', StreamDir, number] | ['close'];

export const up = (s: string | Uint8Array): Step => ['up', s];
export const down = (s: string | Uint8Array): Step => ['down', s];
export const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1');

/**
 * Run a script through a handler and return a readable log: heads, bodies (adjacent chunks of one message
 * merged, so chunking does not show), gaps, ends, host updates, violations.
 */
export function run(
  steps: Step[],
  split: (b: Uint8Array, stepIndex: number) => Uint8Array[] = (b) => [b],
  opts: Partial<Http1Options> = {},
): string[] {
  const log: string[] = [];
  const emit = (ev: FlowEvent) => {
    switch (ev.type) {
      case 'flow.update':
        log.push(`host ${ev.update.server?.host}`);
        break;
      case 'message.head': {
        const m = ev.msg;
        const what = m.direction === 'upload' ? `${m.method} ${m.url}` : `${m.status} <-${m.requestId ?? '?'}`;
        log.push(`head #${m.msgId} ${what}`);
        break;
      }
      case 'message.chunk': {
        const last = log[log.length - 1];
        const prefix = `body #${ev.msgId} `;
        if (last?.startsWith(prefix)) log[log.length - 1] = last + latin1(ev.data);
        else log.push(prefix + latin1(ev.data));
        break;
      }
      case 'message.gap':
        log.push(`gap #${ev.msgId} ${ev.length}`);
        break;
      case 'message.end':
        log.push(`end #${ev.msgId}`);
        break;
      default:
        log.push(ev.type);
    }
  };
  const h = new Http1Handler({
    flowId: 'f1',
    emit,
    report: (v) => log.push(`violation ${v.code}${v.msgId === undefined ? '' : ` #${v.msgId}`}`),
    server: { ip: '127.0.0.1', port: 80 },
    ...opts,
  });
  let ts = 1;
  steps.forEach((step, i) => {
    ts++;
    if (step[0] === 'close') h.close(ts, 'fin');
    else if (step[0] === 'gap') h.gap(step[1], step[2], ts);
    else {
      const bytes = typeof step[1] === 'string' ? new Uint8Array(Buffer.from(step[1], 'latin1')) : step[1];
      for (const part of split(bytes, i)) h.data(step[0], part, ts);
    }
  });
  return log;
}

/** The log is the same whatever the chunking: every split offset of every data step, and one byte at a time. */
export function expectSplitInvariant(steps: Step[], opts: Partial<Http1Options> = {}): string[] {
  const whole = run(steps, undefined, opts);
  expect(run(steps, oneByteAtATime, opts)).toEqual(whole);
  steps.forEach((step, i) => {
    if (step[0] !== 'up' && step[0] !== 'down') return;
    const bytes = typeof step[1] === 'string' ? utf8(step[1]) : step[1];
    if (bytes.length > 600) return;
    for (const cut of everySplit(bytes)) {
      const cutAt = cut.length === 2 ? cut[0]!.length : 0;
      expect(run(steps, (b, j) => (j === i ? splitAt(b, [cutAt]) : [b]), opts)).toEqual(whole);
    }
  });
  return whole;
}

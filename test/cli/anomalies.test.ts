import { describe, expect, it } from 'vitest';
import { anomalyLines } from '../../src/cli/anomalies.ts';
import type { Violation } from '../../src/model/violation.ts';
import { flowRecord } from '../../testkit/records.ts';

const v = (flowId: string, code: string): Violation => ({ ts: 1, flowId, decoder: 'http1', code });

describe('anomalyLines', () => {
  it('says nothing when no flow was read one way of several', () => {
    expect(anomalyLines([v('c:1', 'bad-head'), v('c:1', 'truncated-body')], () => undefined)).toEqual([]);
  });

  it('counts flows per anomaly (a repeat on one flow once) and lists them with their host', () => {
    const flows = [
      flowRecord({
        id: 'c:1',
        destination: { host: 'api.toy-cloud.example', etld1: 'toy-cloud.example', thirdParty: false },
      }),
      flowRecord({ id: 'c:2', destination: { host: '127.0.0.9', etld1: '127.0.0.9', thirdParty: false } }),
    ];
    const lines = anomalyLines(
      [v('c:1', 'anomaly-cl-te'), v('c:1', 'anomaly-cl-te'), v('c:1', 'anomaly-obs-fold'), v('c:2', 'anomaly-cl-te')],
      (id) => flows.find((f) => f.id === id)?.destination.host,
    );
    expect(lines[0]).toBe('Read one way of several: 2 flows  (cl-te 2, obs-fold 1)');
    expect(lines.slice(2)).toEqual([
      '  FLOW  HOST                   ANOMALIES',
      '  c:1   api.toy-cloud.example  cl-te, obs-fold',
      '  c:2   127.0.0.9              cl-te',
    ]);
  });
});

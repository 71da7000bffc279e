/**
 * An in-memory `Store` for CLI and report tests that need no SQLite, plus record factories with valid defaults.
 * It implements only the reads those tests use (findings, devices, captures, flows) and records purge calls;
 * the real store is src/store/db.ts.
 */
import type { Finding } from '../../src/model/finding.ts';
import type { FlowRecord } from '../../src/pipeline/output.ts';
import type {
  CaptureRecord,
  DeviceRecord,
  FindingQuery,
  PurgeOptions,
  PurgeResult,
  Store,
  StoreWriter,
} from '../../src/store/types.ts';

export const T0 = 1_700_000_000_000_000;
export const MAC = '02:00:00:00:00:01';

export function makeFinding(over: Partial<Finding> = {}): Finding {
  return {
    id: 'f-1',
    flowId: 'flow-1',
    msgId: 0,
    deviceId: MAC,
    category: 'voice',
    subtype: 'raw-pcm',
    confidence: 0.9,
    firstTs: T0,
    lastTs: T0 + 100,
    direction: 'upload',
    destination: { host: 'api.toycloud.example', etld1: 'toycloud.example', operator: 'ToyCo', thirdParty: false },
    encrypted: true,
    evidence: { excerpt: 'RI••••VE', value: 'RIFF1234WAVE', evidenceId: 'ev-1' },
    final: true,
    ...over,
  };
}

export function makeFlow(over: Partial<FlowRecord> = {}): FlowRecord {
  return {
    id: 'flow-1',
    deviceId: MAC,
    device: { ip: '127.0.0.2', port: 40000, mac: MAC },
    server: { ip: '127.0.0.1', port: 443, host: 'api.toycloud.example' },
    transport: 'http',
    tls: 'intercepted',
    source: 'capture',
    captureId: 'a'.repeat(64),
    firstTs: T0,
    lastTs: T0 + 1000,
    bytesUp: 100,
    bytesDown: 10,
    bytesMissing: 0,
    closed: true,
    destination: { host: 'api.toycloud.example', etld1: 'toycloud.example', operator: 'ToyCo', thirdParty: false },
    ...over,
  };
}

export function makeCapture(over: Partial<CaptureRecord> = {}): CaptureRecord {
  return { id: 'a'.repeat(64), path: 'teddy.pcapng', format: 'pcapng', bytes: 1234, importedAt: T0, ...over };
}

const unsupported = (what: string): never => {
  throw new Error(`FakeStore.${what} is not faked`);
};

export class FakeStore implements Store {
  readonly path = ':fake:';
  readonly purges: PurgeOptions[] = [];
  closed = false;
  constructor(
    readonly findings: Finding[] = [],
    readonly devices: DeviceRecord[] = [],
    readonly captures: CaptureRecord[] = [],
    readonly flows: FlowRecord[] = [],
  ) {}
  #match(q: FindingQuery): Finding[] {
    return this.findings.filter(
      (f) =>
        (!q.category || f.category === q.category) &&
        (!q.deviceId || f.deviceId === q.deviceId) &&
        (!q.host || f.destination.host === q.host),
    );
  }
  listFindings(q: FindingQuery = {}): Finding[] {
    const off = q.offset ?? 0;
    return this.#match(q).slice(off, off + (q.limit ?? 1000));
  }
  countFindings(q: FindingQuery = {}): number {
    return this.#match(q).length;
  }
  listDevices(): DeviceRecord[] {
    return this.devices;
  }
  listCaptures(): CaptureRecord[] {
    return this.captures;
  }
  listFlows(): FlowRecord[] {
    return this.flows;
  }
  purge(opts: PurgeOptions): PurgeResult {
    this.purges.push(opts);
    return { evidence: 2, findings: opts.everything ? 3 : 0, flows: opts.everything ? 1 : 0 };
  }
  close(): void {
    this.closed = true;
  }
  writer(): StoreWriter {
    return unsupported('writer');
  }
  hasCapture(): boolean {
    return unsupported('hasCapture');
  }
  listDestinations(): never {
    return unsupported('listDestinations');
  }
  listMessages(): never {
    return unsupported('listMessages');
  }
  listViolations(): never {
    return unsupported('listViolations');
  }
  readEvidence(): never {
    return unsupported('readEvidence');
  }
  startExperiment(): never {
    return unsupported('startExperiment');
  }
  endExperiment(): void {
    unsupported('endExperiment');
  }
  listExperiments(): never {
    return unsupported('listExperiments');
  }
}

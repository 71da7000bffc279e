/**
 * An in-memory `Store` for CLI and report tests that need no SQLite (record factories: records.ts).
 * It implements only the reads those tests use (findings, devices, captures, flows) and records purge calls;
 * the real store is src/store/db.ts.
 */
import type { Finding } from '../../src/model/finding.ts';
import type { FlowRecord } from '../../src/model/records.ts';
import type {
  CaptureRecord,
  DestinationFindings,
  DeviceRecord,
  FindingQuery,
  FlowSummary,
  PurgeOptions,
  PurgeResult,
  Store,
  StoreWriter,
} from '../../src/store/types.ts';

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
  countFindingsByDestination(deviceId?: string): DestinationFindings[] {
    const counts = new Map<string, DestinationFindings>();
    for (const f of this.#match(deviceId === undefined ? {} : { deviceId })) {
      const key = `${f.deviceId} ${f.destination.host} ${f.category}`;
      const c = counts.get(key) ?? { deviceId: f.deviceId, host: f.destination.host, category: f.category, count: 0 };
      c.count++;
      counts.set(key, c);
    }
    return [...counts.values()];
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
  listCertChecks(): FlowRecord[] {
    return this.flows.filter((f) => f.tlsInfo?.certCheck || f.tls === 'passthrough');
  }
  purge(opts: PurgeOptions): PurgeResult {
    this.purges.push(opts);
    return {
      evidence: 2,
      findings: opts.everything ? 3 : 0,
      flows: opts.everything ? 1 : 0,
      reveals: 0,
      capturePaths: [],
      keylog: false,
    };
  }
  close(): void {
    this.closed = true;
  }
  writer(): StoreWriter {
    return unsupported('writer');
  }
  startBulk(): () => void {
    return unsupported('startBulk');
  }
  countFindingKinds(): never {
    return unsupported('countFindingKinds');
  }
  *iterateFlows(): IterableIterator<FlowRecord> {
    yield* this.flows;
  }
  summarizeFlows(): FlowSummary {
    return unsupported('summarizeFlows');
  }
  findCapture(sha256: string): CaptureRecord | undefined {
    return this.captures.find((c) => (c.sha256 ?? c.id) === sha256);
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
  listExchanges(): never {
    return unsupported('listExchanges');
  }
  iterateExchanges(): never {
    return unsupported('iterateExchanges');
  }
  getFlow(id: string): FlowRecord | undefined {
    return this.flows.find((f) => f.id === id);
  }
  listViolations(): never {
    return unsupported('listViolations');
  }
  countViolations(): never {
    return unsupported('countViolations');
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
  getFinding(): never {
    return unsupported('getFinding');
  }
  get aggregates(): never {
    return unsupported('aggregates');
  }
  get pages(): never {
    return unsupported('pages');
  }
  get search(): never {
    return unsupported('search');
  }
  get timeline(): never {
    return unsupported('timeline');
  }
  get positions(): never {
    return unsupported('positions');
  }
  evidenceInfo(): never {
    return unsupported('evidenceInfo');
  }
  readEvidenceRange(): never {
    return unsupported('readEvidenceRange');
  }
  getExperiment(): never {
    return unsupported('getExperiment');
  }
  logReveal(): void {
    unsupported('logReveal');
  }
  listReveals(): never {
    return unsupported('listReveals');
  }
  onCommit(): () => void {
    return () => {};
  }
  dataVersion(): number {
    return 0;
  }
}

/**
 * The store's public face: what the CLI, reports, policy gate and dashboard read, and the record types
 * they get. The implementation (better-sqlite3, WAL, migrations) is in db.ts / writer.ts / queries.ts.
 */
import type { Category, Destination, Finding } from '../model/finding.ts';
import type { FlowId, Micros, TlsState, Transport } from '../model/flow.ts';
import type { FlowRecord, MessageRecord } from '../model/records.ts';
import type { TlsSummary } from '../model/tls.ts';
import type { Violation } from '../model/violation.ts';
import type { PipelineOutput } from '../pipeline/output.ts';
import type { StoreAggregates } from './aggregates.ts';
import type { StorePages } from './pages.ts';
import type { StorePositions } from './positions.ts';
import type { StoreSearch } from './search.ts';
import type { StoreTimeline } from './timeline.ts';

/** One imported capture, identified by the sha256 of its bytes (a random id until read, for standard input). */
export interface CaptureRecord {
  /** sha256 hex of the file; for a capture read from standard input a random hex id. */
  id: string;
  /** sha256 hex of the capture's bytes: the id for a file; for standard input, known once it was read whole. */
  sha256?: string;
  /**
   * `incomplete` from the start of its replay until the end: a run that was killed leaves it so (its data can be
   * purged by capture, and a rerun replaces it). Absent on records from before schema 5: complete.
   */
  status?: 'incomplete' | 'complete';
  /** Path as given when imported (informational); `-` for standard input. */
  path: string;
  format: 'pcap' | 'pcapng' | 'har' | 'mitmproxy';
  bytes: number;
  importedAt: Micros;
  firstTs?: Micros;
  lastTs?: Micros;
  /** Parts of the capture that were not understood: `{reason: count}`. */
  skipped?: Record<string, number>;
}

export interface DeviceRecord {
  id: string;
  /** From config `devices`, when named. */
  name?: string;
  mac?: string;
  ip?: string;
  firstTs: Micros;
  lastTs: Micros;
}

export interface DestinationRecord {
  deviceId: string;
  host: string;
  etld1: string;
  operator?: string;
  thirdParty: boolean;
  flows: number;
  bytesUp: number;
  bytesDown: number;
  firstTs: Micros;
  lastTs: Micros;
}

/** How many findings of one category a device sent to one host. */
export interface DestinationFindings {
  deviceId: string;
  host: string;
  category: Category;
  count: number;
}

/**
 * Findings of one kind (category, subtype) from one device to one destination, counted: what the replay's summary
 * prints, read without reading every finding back.
 */
export interface FindingKindCount {
  deviceId: string;
  category: Category;
  subtype: string;
  destination: Destination;
  count: number;
  /** For findings of work the live proxy shed (`detail.shed`): `detail.reason`, else 'shed'. */
  shed?: string;
}

export interface FindingQuery {
  category?: Category;
  subtype?: string;
  deviceId?: string;
  flowId?: FlowId;
  captureId?: string;
  host?: string;
  sinceTs?: Micros;
  /** Findings first seen before this time. */
  untilTs?: Micros;
  /** Default 1000. */
  limit?: number;
  offset?: number;
}

export interface FlowQuery {
  deviceId?: string;
  captureId?: string;
  /** Flows of any of these captures. */
  captureIds?: string[];
  transport?: Transport;
  tls?: TlsState;
  /** The destination host or its eTLD+1. */
  host?: string;
  /** Flows (exchanges) that started at or after / before these times. */
  sinceTs?: Micros;
  untilTs?: Micros;
  limit?: number;
  offset?: number;
}

/** Flows of some captures counted in SQL, so a summary of 400,000 flows never loads them. */
export interface FlowSummary {
  flows: number;
  /** Flows per transport and TLS state, most first. */
  byKind: Array<{ transport: Transport; tls: TlsState; flows: number }>;
  /** Per destination host, most bytes sent first, at most the number asked for. */
  destinations: Array<{
    host: string;
    operator?: string;
    thirdParty: boolean;
    flows: number;
    bytesUp: number;
    bytesDown: number;
  }>;
  /** Destinations left out of `destinations`. */
  moreDestinations: number;
  /** TLS flows on the wire and how decrypting them went. */
  tls: TlsSummary;
}

export interface ExchangeQuery extends FlowQuery {
  /** Only exchanges with at least one finding. */
  withFindings?: boolean;
}

/**
 * One line of `toyscope flows`: a request with its response (HTTP, DNS), one WebSocket or MQTT message, or a
 * flow that carried no message (TLS left opaque, a connection with no data).
 */
export interface Exchange {
  flow: FlowRecord;
  request?: MessageRecord;
  response?: MessageRecord;
  /** The findings on the request or its response (on the flow, for a flow without messages). */
  findings: Finding[];
}

/** Which violations `listViolations` returns (all conditions must hold). */
export interface ViolationQuery {
  flowId?: FlowId;
  /** Violations of the flows of one capture. */
  captureId?: string;
  /** Codes starting with this (`anomaly-`: see isAnomaly). */
  codePrefix?: string;
  limit?: number;
}

export interface ViolationCount {
  decoder: string;
  code: string;
  count: number;
  flows: number;
}

/** An evidence blob's head, without its bytes. */
export interface EvidenceInfo {
  id: string;
  /** Sniffed MIME type: attacker-controlled in effect, never served as is without a check. */
  mime: string;
  flowId: FlowId;
  totalBytes: number;
  truncated: boolean;
  /** The last chunk was written. */
  complete: boolean;
}

export interface StoredEvidence {
  id: string;
  mime: string;
  bytes: Uint8Array;
  truncated: boolean;
}

/** Batches pipeline output into transactions; `flush()` commits what is pending. */
export interface StoreWriter extends PipelineOutput {
  capture(rec: CaptureRecord): void;
  flush(): void;
  /** Flush and stop the timer; the writer cannot be used afterwards. */
  close(): void;
}

/** What `purge` removes: captured personal data (evidence blobs, unredacted values), by age, device or capture. */
export interface PurgeOptions {
  /** Purge data captured before this time. */
  beforeTs?: Micros;
  deviceId?: string;
  captureId?: string;
  /** Also delete the findings, flows and messages themselves, not only the personal data in them. */
  everything?: boolean;
}

export interface PurgeResult {
  evidence: number;
  findings: number;
  flows: number;
  /** Reveal log entries removed. */
  reveals: number;
  /** Paths of the captures the purge covers, as recorded: the caller deletes those inside the data directory. */
  capturePaths: string[];
  /** The purge covers the TLS key log (by age or of everything): the caller deletes it. */
  keylog: boolean;
}

/**
 * A tester's labelled session ("consent off", "app pairing"): flows and findings whose first_ts falls in
 * [startTs, endTs] (and, when `deviceId` is set, of that device) belong to it, decided at query time.
 */
export interface ExperimentRecord {
  id: number;
  name: string;
  startTs: Micros;
  /** Absent while it runs. */
  endTs?: Micros;
  notes?: string;
  /** Only this device's traffic; absent = every device. */
  deviceId?: string;
}

export type NewExperiment = Omit<ExperimentRecord, 'id'>;

/** One unmasking of a finding's value in the dashboard (a logged action). */
export interface RevealEntry {
  id: number;
  ts: Micros;
  findingId: string;
  /** A digest of the dashboard session (not the session secret). */
  session: string;
  /** The client's address. */
  remote: string;
  userAgent?: string;
}

export interface Store {
  readonly path: string;
  /** The single writer of this store (created on first call). */
  writer(): StoreWriter;
  /** A complete capture with these bytes (sha256) is stored. */
  hasCapture(sha256: string): boolean;
  listCaptures(): CaptureRecord[];
  /** The capture holding these bytes (by sha256), complete or not. */
  findCapture(sha256: string): CaptureRecord | undefined;
  listDevices(): DeviceRecord[];
  listDestinations(deviceId?: string): DestinationRecord[];
  listFlows(q?: FlowQuery): FlowRecord[];
  /**
   * Flows carrying the live proxy's certificate check or passed through (the certificate-check table's input,
   * src/report/cert-table.ts), oldest first, from `sinceTs` on, of one device when given.
   */
  listCertChecks(q?: { sinceTs?: number; deviceId?: string }): FlowRecord[];
  /** Every flow matching `q` (no limit), read row by row: for output that streams. */
  iterateFlows(q?: Omit<FlowQuery, 'limit' | 'offset'>): IterableIterator<FlowRecord>;
  /** Counts of the flows of these captures (see FlowSummary), with at most `maxDestinations` destinations. */
  summarizeFlows(captureIds: string[], maxDestinations: number): FlowSummary;
  /** In order; the first `limit` only when given. */
  listMessages(flowId: FlowId, limit?: number): MessageRecord[];
  /** Exchanges in time order (oldest first), for `toyscope flows`. */
  listExchanges(q?: ExchangeQuery): Exchange[];
  /** Every exchange matching `q` (no limit), read row by row: for `flows --json`, which streams. */
  iterateExchanges(q?: Omit<ExchangeQuery, 'limit' | 'offset'>): IterableIterator<Exchange>;
  /** One flow by id. */
  getFlow(id: FlowId): FlowRecord | undefined;
  /** With `evidence.value` (unredacted): mask before showing. */
  getFinding(id: string): Finding | undefined;
  /** Findings with `evidence.value` (unredacted): redact before printing. */
  listFindings(q?: FindingQuery): Finding[];
  countFindings(q?: FindingQuery): number;
  /** Findings counted per device, destination host and category (one device, or all). */
  countFindingsByDestination(deviceId?: string): DestinationFindings[];
  /**
   * The findings matching `q` counted by kind, device, destination and shed reason, in the order `listFindings`
   * would first list one of each (newest first): a summary made from these equals one made from every finding.
   */
  countFindingKinds(q: FindingQuery): FindingKindCount[];
  listViolations(q?: ViolationQuery): Violation[];
  /** The violations matching `q` counted by decoder and code, with how many flows had each; most frequent first. */
  countViolations(q: ViolationQuery): ViolationCount[];
  readEvidence(id: string): StoredEvidence | undefined;
  evidenceInfo(id: string): EvidenceInfo | undefined;
  /** Bytes start..end (inclusive) of an evidence blob, in pieces. */
  readEvidenceRange(id: string, start: number, end: number): Iterable<Uint8Array>;
  startExperiment(e: NewExperiment): ExperimentRecord;
  endExperiment(id: number, endTs: Micros): void;
  listExperiments(): ExperimentRecord[];
  getExperiment(id: number): ExperimentRecord | undefined;
  logReveal(entry: Omit<RevealEntry, 'id'>): void;
  listReveals(limit?: number): RevealEntry[];
  /** Per-device aggregates for the compliance report (aggregates.ts). */
  readonly aggregates: StoreAggregates;
  /** Keyset pages, totals from summary rows and the change feed (pages.ts). */
  readonly pages: StorePages;
  /** Search by value: findings and destinations of a MAC, phone number, name … (search.ts). */
  readonly search: StoreSearch;
  /** Findings per category over time, from the per-minute summary rows (timeline.ts). */
  readonly timeline: StoreTimeline;
  /** The lab's offline Wi-Fi and cell position tables: import, list, purge, look up (positions.ts). */
  readonly positions: StorePositions;
  /** Calls `fn` after each commit of this process's writer with the revision it stamped; returns an unsubscribe. */
  onCommit(fn: (rev: number) => void): () => void;
  /** PRAGMA data_version: changes when another connection commits (cheap polling for other writers). */
  dataVersion(): number;
  /** Deletes captured personal data in one transaction and returns what it removed. */
  purge(opts: PurgeOptions): PurgeResult;
  /**
   * Bulk writing (a replay) until the returned function is called: the writer commits in bigger transactions, and
   * the findings indexes only the dashboard reads are dropped when the store holds few findings, then built again
   * by the returned function, which also commits the writer (deferred-indexes.ts). A process killed in between
   * leaves them to the next read-write open, which recreates them.
   */
  startBulk(): () => void;
  close(): void;
}

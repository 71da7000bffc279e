/**
 * The one writer of a store: queues pipeline output as statement + parameters (snapshotted at the call, so a
 * caller may mutate or reuse its objects and buffers) and commits them in batched transactions: every `batchRows`
 * rows, after `batchMs` (an unref'd timer), past MAX_PENDING_BYTES of evidence, and on flush/close. Findings and
 * flows are upserts by id; devices are upserted from flow records; destinations follow flows by triggers
 * (see migrations/002), summary counts too (migrations/004). Each commit bumps the store revision and stamps it on the
 * flows and findings it writes, then tells `onCommit` (the live-update hook). Evidence is cut to the cap and stored
 * in rows of at most EVIDENCE_ROW_BYTES.
 * It does not read records back (queries.ts) nor delete them (retention.ts).
 */
import type { Database, Statement } from 'better-sqlite3';
import type { Finding } from '../model/finding.ts';
import type { EvidenceChunk, FlowRecord, MessageRecord } from '../model/records.ts';
import type { Violation } from '../model/violation.ts';
import { findingSearchKey } from './search.ts';
import type { CaptureRecord, StoreWriter } from './types.ts';

/** Bytes of one evidence_chunks row: a blob is never one giant row. */
export const EVIDENCE_ROW_BYTES = 256 * 1024;
/** Evidence bytes queued before a commit is forced, whatever the row count. */
export const MAX_PENDING_BYTES = 16 * 1024 * 1024;

/** How the writer batches. (Evidence is capped once, by the pipeline: MAX_EVIDENCE_BYTES of the run's limits.) */
export interface WriterOptions {
  batchRows: number;
  batchMs: number;
  /** Called after each commit with the store revision it stamped (live updates; see Store.onCommit). */
  onCommit?: (rev: number) => void;
}

type Param = string | number | Buffer | null;
/** One row: its statement and parameters, and a statement run just before it as part of it (a finding's search key). */
type Op = readonly [Statement, Param[], (readonly [Statement, Param[]])?];
type Statements = { [K in keyof typeof SQL]: Statement };

/** Where an evidence blob stands: bytes kept so far, next row seq, cut at the cap. */
interface EvidenceState {
  bytes: number;
  seq: number;
  truncated: boolean;
}

/** The revision of the commit in progress: every flow and finding row written in it is stamped with it. */
const REV = '(SELECT rev FROM store_rev)';

const SQL = {
  bumpRev: 'UPDATE store_rev SET rev = rev + 1 RETURNING rev',
  capture: `INSERT INTO captures (id, path, format, bytes, imported_at, first_ts, last_ts, skipped, status, sha256)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET path = excluded.path,
      format = excluded.format, bytes = excluded.bytes, first_ts = excluded.first_ts, last_ts = excluded.last_ts,
      skipped = excluded.skipped, status = excluded.status, sha256 = coalesce(excluded.sha256, sha256)`,
  device: `INSERT INTO devices (id, mac, ip, first_ts, last_ts) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET mac = coalesce(excluded.mac, mac), ip = excluded.ip,
      first_ts = min(first_ts, excluded.first_ts), last_ts = max(last_ts, excluded.last_ts)`,
  flow: `INSERT INTO flows (id, capture_id, device_id, client_ip, client_port, client_mac, server_ip, server_port,
      server_host, transport, tls, source, first_ts, last_ts, bytes_up, bytes_down, bytes_missing, closed,
      error_code, error_message, destination_host, destination_etld1, destination_operator, destination_third_party,
      tls_info, first_frame, last_frame, rev)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ${REV})
    ON CONFLICT (id) DO UPDATE SET capture_id = excluded.capture_id, device_id = excluded.device_id,
      client_ip = excluded.client_ip, client_port = excluded.client_port, client_mac = excluded.client_mac,
      server_ip = excluded.server_ip, server_port = excluded.server_port, server_host = excluded.server_host,
      transport = excluded.transport, tls = excluded.tls, source = excluded.source,
      first_ts = min(first_ts, excluded.first_ts), last_ts = max(last_ts, excluded.last_ts),
      bytes_up = excluded.bytes_up, bytes_down = excluded.bytes_down, bytes_missing = excluded.bytes_missing,
      closed = excluded.closed, error_code = excluded.error_code, error_message = excluded.error_message,
      destination_host = excluded.destination_host, destination_etld1 = excluded.destination_etld1,
      destination_operator = excluded.destination_operator,
      destination_third_party = excluded.destination_third_party, tls_info = coalesce(excluded.tls_info, tls_info),
      first_frame = coalesce(excluded.first_frame, first_frame), last_frame = coalesce(excluded.last_frame, last_frame),
      rev = excluded.rev`,
  message: `INSERT INTO messages (flow_id, msg_id, direction, protocol, method, url, status, content_type, mime,
      body_bytes, gap_bytes, first_ts, last_ts, topic, headers, head_truncated, request_id, body_summary)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (flow_id, msg_id) DO UPDATE SET direction = excluded.direction, protocol = excluded.protocol,
      method = excluded.method, url = excluded.url, status = excluded.status, content_type = excluded.content_type,
      mime = excluded.mime, body_bytes = excluded.body_bytes, gap_bytes = excluded.gap_bytes,
      last_ts = excluded.last_ts, topic = excluded.topic, headers = excluded.headers,
      head_truncated = excluded.head_truncated, request_id = excluded.request_id,
      body_summary = excluded.body_summary`,
  finding: `INSERT INTO findings (id, flow_id, msg_id, device_id, category, subtype, confidence, first_ts, last_ts,
      direction, destination_host, destination_etld1, destination_operator, destination_third_party, encrypted,
      excerpt, value, evidence_id, truncated, path, detail, final, detail_value, rev, capture_id, value_key)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ${REV},
      (SELECT capture_id FROM flows WHERE id = ?), (SELECT id FROM search_values WHERE key = ?))
    ON CONFLICT (id) DO UPDATE SET msg_id = excluded.msg_id, subtype = excluded.subtype,
      confidence = excluded.confidence, last_ts = excluded.last_ts, direction = excluded.direction,
      destination_host = excluded.destination_host, destination_etld1 = excluded.destination_etld1,
      destination_operator = excluded.destination_operator,
      destination_third_party = excluded.destination_third_party, encrypted = excluded.encrypted,
      excerpt = excluded.excerpt, value = excluded.value, evidence_id = excluded.evidence_id,
      truncated = excluded.truncated, path = excluded.path, detail = excluded.detail, final = excluded.final,
      detail_value = excluded.detail_value, rev = excluded.rev, value_key = excluded.value_key`,
  searchKey: 'INSERT OR IGNORE INTO search_values (key) VALUES (?)',
  violation: `INSERT INTO violations (ts, flow_id, msg_id, decoder, code, message, offset)
    VALUES (?, ?, ?, ?, ?, ?, ?)`,
  evidence: `INSERT INTO evidence (id, mime, flow_id, msg_id, total_bytes, truncated, complete)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET total_bytes = excluded.total_bytes, truncated = excluded.truncated,
      complete = excluded.complete`,
  chunk: 'INSERT INTO evidence_chunks (evidence_id, seq, data) VALUES (?, ?, ?)',
  evidenceState: `SELECT total_bytes AS bytes, truncated,
      (SELECT coalesce(max(seq) + 1, 0) FROM evidence_chunks WHERE evidence_id = evidence.id) AS seq
    FROM evidence WHERE id = ?`,
} as const;

/** Errors that concern one row (a constraint, a type), as opposed to the database (busy, full, I/O). */
function isRowError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG)/.test(code);
}

const opt = (v: string | number | undefined): string | number | null => v ?? null;
const bit = (v: boolean | undefined): number => (v ? 1 : 0);

export class SqliteStoreWriter implements StoreWriter {
  readonly #opts: WriterOptions;
  /**
   * Rows per transaction, `batchRows` unless a bulk write (Store.startBulk) raised it: fewer, bigger commits write
   * each touched page once per commit. The `batchMs` timer still bounds how long a row waits for its commit.
   */
  #batchRows: number;
  readonly #st: Statements;
  readonly #commit: (ops: Op[]) => { rejected: unknown[]; rev: number };
  #queue: Op[] = [];
  /** Search keys whose `INSERT OR IGNORE` is in #queue. */
  #batchKeys = new Set<string>();
  /** The last finding's value and excerpt and their search key: a device repeats one value (NFKC per finding). */
  #lastKeyOf: { value: string | undefined; excerpt: string; key: string | undefined } | undefined;
  #pendingBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #evidence = new Map<string, EvidenceState>();
  /** Blobs finished (and forgotten by #evidence) whose rows may still be queued. */
  #finishedPending = new Set<string>();
  /** An error from a timer-driven commit, thrown at the next call. */
  #error: unknown;
  #closed = false;

  constructor(db: Database, opts: WriterOptions) {
    this.#opts = opts;
    this.#batchRows = opts.batchRows;
    this.#st = Object.fromEntries(Object.entries(SQL).map(([k, sql]) => [k, db.prepare(sql)])) as Statements;
    const tx = db.transaction((ops: Op[]) => {
      const { rev } = this.#st.bumpRev.get() as { rev: number };
      const rejected: unknown[] = [];
      for (const [st, params, before] of ops) {
        try {
          before?.[0].run(before[1]);
          st.run(params);
        } catch (e) {
          if (!isRowError(e)) throw e;
          rejected.push(e);
        }
      }
      return { rejected, rev };
    });
    this.#commit = (ops) => tx.immediate(ops);
  }

  /** Commits at least `rows` rows per transaction until the returned function gives back the writer's own size. */
  raiseBatch(rows: number): () => void {
    const own = this.#batchRows;
    this.#batchRows = Math.max(own, rows);
    return () => {
      this.#batchRows = own;
    };
  }

  capture(rec: CaptureRecord): void {
    this.#push(this.#st.capture, [
      rec.id,
      rec.path,
      rec.format,
      rec.bytes,
      rec.importedAt,
      opt(rec.firstTs),
      opt(rec.lastTs),
      rec.skipped ? JSON.stringify(rec.skipped) : null,
      rec.status ?? 'complete',
      opt(rec.sha256),
    ]);
  }

  flow(r: FlowRecord): void {
    this.#push(this.#st.device, [r.deviceId, opt(r.device.mac), r.device.ip, r.firstTs, r.lastTs]);
    const d = r.destination;
    this.#push(this.#st.flow, [
      r.id,
      opt(r.captureId),
      r.deviceId,
      r.device.ip,
      r.device.port,
      opt(r.device.mac),
      r.server.ip,
      r.server.port,
      opt(r.server.host),
      r.transport,
      r.tls,
      r.source,
      r.firstTs,
      r.lastTs,
      r.bytesUp,
      r.bytesDown,
      r.bytesMissing,
      bit(r.closed),
      opt(r.error?.code),
      opt(r.error?.message),
      d.host,
      d.etld1,
      opt(d.operator),
      bit(d.thirdParty),
      opt(r.tlsInfo && JSON.stringify(r.tlsInfo)),
      opt(r.frames?.first),
      opt(r.frames?.last),
    ]);
  }

  message(m: MessageRecord): void {
    this.#push(this.#st.message, [
      m.flowId,
      m.msgId,
      m.direction,
      m.protocol,
      opt(m.method),
      opt(m.url),
      opt(m.status),
      opt(m.contentType),
      opt(m.mime),
      m.bodyBytes,
      m.gapBytes,
      m.firstTs,
      m.lastTs,
      opt(m.topic),
      JSON.stringify(m.headers),
      bit(m.headTruncated),
      opt(m.requestId),
      opt(m.summary && JSON.stringify(m.summary)),
    ]);
  }

  finding(f: Finding): void {
    const d = f.destination;
    const key = this.#searchKey(f);
    // A key already queued in this batch is inserted by then (the same transaction, in order): a chatty device
    // sends the same serial number with every request. Added before #push, whose commit may clear the set.
    const queued = key === undefined || this.#batchKeys.has(key);
    if (key !== undefined) this.#batchKeys.add(key);
    this.#push(
      this.#st.finding,
      [
        f.id,
        f.flowId,
        opt(f.msgId),
        f.deviceId,
        f.category,
        f.subtype,
        f.confidence,
        f.firstTs,
        f.lastTs,
        f.direction,
        d.host,
        d.etld1,
        opt(d.operator),
        bit(d.thirdParty),
        bit(f.encrypted),
        f.evidence.excerpt,
        opt(f.evidence.value),
        opt(f.evidence.evidenceId),
        bit(f.evidence.truncated),
        opt(f.path),
        f.detail ? JSON.stringify(f.detail) : null,
        bit(f.final),
        f.evidence.detail ? JSON.stringify(f.evidence.detail) : null,
        f.flowId, // its flow's capture
        opt(key),
      ],
      queued ? undefined : [this.#st.searchKey, [key]],
    );
  }

  violation(v: Violation): void {
    this.#push(this.#st.violation, [
      v.ts,
      opt(v.flowId),
      opt(v.msgId),
      v.decoder,
      v.code,
      opt(v.message),
      opt(v.offset),
    ]);
  }

  evidence(e: EvidenceChunk): void {
    const state = this.#evidenceState(e.evidenceId);
    const keep = e.data;
    state.truncated ||= e.truncated;
    state.bytes += keep.length;
    this.#push(this.#st.evidence, [
      e.evidenceId,
      e.mime,
      e.flowId,
      opt(e.msgId),
      state.bytes,
      bit(state.truncated),
      bit(e.final),
    ]);
    for (let at = 0; at < keep.length; at += EVIDENCE_ROW_BYTES) {
      const row = Buffer.from(keep.subarray(at, at + EVIDENCE_ROW_BYTES)); // a copy: the caller may reuse its buffer
      this.#pendingBytes += row.length;
      this.#push(this.#st.chunk, [e.evidenceId, state.seq++, row]);
    }
    if (e.final) {
      this.#evidence.delete(e.evidenceId);
      this.#finishedPending.add(e.evidenceId);
    }
  }

  flush(): void {
    this.#check();
    this.#flush();
  }

  close(): void {
    if (this.#closed) return;
    try {
      this.flush();
    } finally {
      this.#closed = true;
      clearTimeout(this.#timer);
    }
  }

  #searchKey(f: Finding): string | undefined {
    const { value, excerpt } = f.evidence;
    const last = this.#lastKeyOf;
    if (last !== undefined && last.value === value && last.excerpt === excerpt) return last.key;
    const key = findingSearchKey(f);
    this.#lastKeyOf = { value, excerpt, key };
    return key;
  }

  #evidenceState(id: string): EvidenceState {
    let state = this.#evidence.get(id);
    if (!state) {
      if (this.#finishedPending.has(id)) this.#flush(); // its queued rows must be visible to the lookup
      const row = this.#st.evidenceState.get(id) as EvidenceState | undefined;
      state = row
        ? { bytes: row.bytes, seq: row.seq, truncated: Boolean(row.truncated) }
        : { bytes: 0, seq: 0, truncated: false };
      this.#evidence.set(id, state);
    }
    return state;
  }

  #push(st: Statement, params: Param[], before?: readonly [Statement, Param[]]): void {
    this.#check();
    this.#queue.push([st, params, before]);
    if (this.#queue.length >= this.#batchRows || this.#pendingBytes >= MAX_PENDING_BYTES) this.#flush();
    else this.#timer ??= setTimeout(() => this.#onTimer(), this.#opts.batchMs).unref();
  }

  #onTimer(): void {
    this.#timer = undefined;
    try {
      this.#flush();
    } catch (e) {
      this.#error = e;
    }
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#queue.length === 0) return;
    const ops = this.#queue;
    const bytes = this.#pendingBytes;
    this.#queue = [];
    this.#pendingBytes = 0;
    this.#batchKeys.clear();
    let rejected: unknown[];
    let rev: number;
    try {
      ({ rejected, rev } = this.#commit(ops));
    } catch (e) {
      this.#queue = ops.concat(this.#queue); // busy, full, I/O: nothing was committed, keep it for the next try
      this.#pendingBytes += bytes;
      throw e;
    }
    this.#finishedPending.clear();
    this.#opts.onCommit?.(rev);
    if (rejected.length > 0) {
      throw new Error(`store writer: ${rejected.length} row(s) rejected, the first: ${String(rejected[0])}`, {
        cause: rejected[0],
      });
    }
  }

  #check(): void {
    if (this.#closed) throw new Error('store writer is closed');
    if (this.#error !== undefined) {
      const e = this.#error;
      this.#error = undefined;
      throw e;
    }
  }
}

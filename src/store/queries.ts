/**
 * Reading the store: the list and count methods of `Store`, rows rebuilt into the model's records, newest first,
 * `limit` 1000 by default. Findings come back with `evidence.excerpt` redacted (as stored) and `evidence.value`
 * the full value (absent once purged). No writes here (writer.ts, retention.ts).
 */
import type { Database } from 'better-sqlite3';
import type { Category, Destination, Finding } from '../model/finding.ts';
import type { FlowSource, TlsState, Transport } from '../model/flow.ts';
import type { Direction, MessageProtocol } from '../model/message.ts';
import type { FlowRecord, MessageRecord } from '../model/records.ts';
import { TLS_ON_THE_WIRE, type TlsSummary } from '../model/tls.ts';
import type { Violation } from '../model/violation.ts';
import { CERT_CHECK_ROWS } from './migrations/008-cert-checks.ts';
import { cachedPrepare, type Prepare } from './statements.ts';
import type {
  CaptureRecord,
  DestinationFindings,
  DestinationRecord,
  DeviceRecord,
  EvidenceInfo,
  Exchange,
  ExchangeQuery,
  FindingKindCount,
  FindingQuery,
  FlowQuery,
  FlowSummary,
  StoredEvidence,
  ViolationCount,
  ViolationQuery,
} from './types.ts';

/** Rows returned when a query names no limit. */
export const DEFAULT_LIMIT = 1000;
/** Flow records an exchange listing keeps for the exchanges that follow (its messages interleave flows). */
const MAX_EXCHANGE_FLOWS_KEPT = 4096;

type Row = Record<string, unknown>;
type Where = { sql: string; params: unknown[] };

/** Copies the defined properties only: records carry no `undefined` keys for absent values. */
function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined || o[k] === null) delete o[k];
  return o;
}
const str = (v: unknown): string | undefined => (v === null ? undefined : (v as string));
const num = (v: unknown): number | undefined => (v === null ? undefined : (v as number));

function findingWhere(q: FindingQuery): Where {
  const c: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, ...p: unknown[]) => {
    c.push(sql);
    params.push(...p);
  };
  if (q.category !== undefined) add('f.category = ?', q.category);
  if (q.subtype !== undefined) add('f.subtype = ?', q.subtype);
  if (q.deviceId !== undefined) add('f.device_id = ?', q.deviceId);
  if (q.flowId !== undefined) add('f.flow_id = ?', q.flowId);
  if (q.captureId !== undefined) add('f.flow_id IN (SELECT id FROM flows WHERE capture_id = ?)', q.captureId);
  if (q.host !== undefined) add('(f.destination_host = ? OR f.destination_etld1 = ?)', q.host, q.host);
  if (q.sinceTs !== undefined) add('f.last_ts >= ?', q.sinceTs);
  if (q.untilTs !== undefined) add('f.first_ts < ?', q.untilTs);
  return { sql: c.length ? `WHERE ${c.join(' AND ')}` : '', params };
}

function violationWhere(q: ViolationQuery): Where {
  const c: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, p: unknown) => {
    c.push(sql);
    params.push(p);
  };
  if (q.flowId !== undefined) add('flow_id = ?', q.flowId);
  if (q.captureId !== undefined) add('flow_id IN (SELECT id FROM flows WHERE capture_id = ?)', q.captureId);
  // A prefix, not a pattern: LIKE's wildcards in it are escaped.
  if (q.codePrefix !== undefined) add("code LIKE ? ESCAPE '\\'", `${q.codePrefix.replace(/[\\%_]/g, '\\$&')}%`);
  return { sql: c.length ? `WHERE ${c.join(' AND ')}` : '', params };
}

function flowWhere(q: FlowQuery, alias = ''): Where {
  const c: string[] = [];
  const params: unknown[] = [];
  const col = (name: string) => `${alias}${name}`;
  for (const [name, v] of [
    ['device_id', q.deviceId],
    ['capture_id', q.captureId],
    ['transport', q.transport],
    ['tls', q.tls],
  ] as const) {
    if (v === undefined) continue;
    c.push(`${col(name)} = ?`);
    params.push(v);
  }
  if (q.host !== undefined) {
    c.push(`(${col('destination_host')} = ? OR ${col('destination_etld1')} = ?)`);
    params.push(q.host, q.host);
  }
  if (q.captureIds !== undefined) {
    c.push(`${col('capture_id')} IN (SELECT value FROM json_each(?))`);
    params.push(JSON.stringify(q.captureIds));
  }
  return { sql: c.length ? `WHERE ${c.join(' AND ')}` : '', params };
}

/**
 * Exchanges: every message that is not the answer to another (requests, WebSocket and MQTT messages, DNS
 * queries, a response whose request was not seen), and every flow that carried no message at all.
 */
function exchangeSql(q: ExchangeQuery): Where {
  const w = flowWhere(q, 'f.');
  const c = [w.sql ? w.sql.slice('WHERE '.length) : '1'];
  const params = [...w.params];
  if (q.sinceTs !== undefined) {
    c.push('coalesce(m.first_ts, f.first_ts) >= ?');
    params.push(q.sinceTs);
  }
  if (q.untilTs !== undefined) {
    c.push('coalesce(m.first_ts, f.first_ts) < ?');
    params.push(q.untilTs);
  }
  c.push('(m.msg_id IS NOT NULL OR NOT EXISTS (SELECT 1 FROM messages x WHERE x.flow_id = f.id))');
  if (q.withFindings) {
    c.push(`EXISTS (SELECT 1 FROM findings g WHERE g.flow_id = f.id AND (m.msg_id IS NULL OR g.msg_id = m.msg_id
      OR g.msg_id IN (SELECT r.msg_id FROM messages r WHERE r.flow_id = f.id AND r.request_id = m.msg_id)))`);
  }
  const sql = `SELECT f.id AS fid, m.msg_id AS mid FROM flows f
    LEFT JOIN messages m ON m.flow_id = f.id AND (m.request_id IS NULL OR m.direction = 'upload')
    WHERE ${c.join(' AND ')}
    ORDER BY coalesce(m.first_ts, f.first_ts), f.rowid, m.msg_id LIMIT ? OFFSET ?`;
  return { sql, params: [...params, q.limit ?? DEFAULT_LIMIT, q.offset ?? 0] };
}

export function findingFromRow(r: Row): Finding {
  return defined<Finding>({
    id: r.id as string,
    flowId: r.flow_id as string,
    msgId: num(r.msg_id),
    deviceId: r.device_id as string,
    category: r.category as Category,
    subtype: r.subtype as string,
    confidence: r.confidence as number,
    firstTs: r.first_ts as number,
    lastTs: r.last_ts as number,
    direction: r.direction as Direction,
    destination: destinationFromRow(r),
    encrypted: r.encrypted === 1,
    evidence: defined({
      excerpt: r.excerpt as string,
      value: str(r.value),
      evidenceId: str(r.evidence_id),
      truncated: r.truncated === 1 ? true : undefined,
      detail: r.detail_value == null ? undefined : JSON.parse(r.detail_value as string),
    }),
    path: str(r.path),
    detail: r.detail === null ? undefined : JSON.parse(r.detail as string),
    final: r.final === 1,
  });
}

/** A finding's destination from its `destination_*` columns. */
function destinationFromRow(r: Row): Destination {
  return defined({
    host: r.destination_host as string,
    etld1: r.destination_etld1 as string,
    operator: str(r.destination_operator),
    thirdParty: r.destination_third_party === 1,
  });
}

function captureFromRow(r: Row): CaptureRecord {
  return defined<CaptureRecord>({
    id: r.id as string,
    sha256: str(r.sha256),
    status: r.status as CaptureRecord['status'],
    path: r.path as string,
    format: r.format as CaptureRecord['format'],
    bytes: r.bytes as number,
    importedAt: r.imported_at as number,
    firstTs: num(r.first_ts),
    lastTs: num(r.last_ts),
    skipped: r.skipped === null ? undefined : JSON.parse(r.skipped as string),
  });
}

export function flowFromRow(r: Row): FlowRecord {
  return defined<FlowRecord>({
    id: r.id as string,
    deviceId: r.device_id as string,
    device: defined({ ip: r.client_ip as string, port: r.client_port as number, mac: str(r.client_mac) }),
    server: defined({ ip: r.server_ip as string, port: r.server_port as number, host: str(r.server_host) }),
    transport: r.transport as Transport,
    tls: r.tls as TlsState,
    source: r.source as FlowSource,
    captureId: str(r.capture_id),
    firstTs: r.first_ts as number,
    lastTs: r.last_ts as number,
    bytesUp: r.bytes_up as number,
    bytesDown: r.bytes_down as number,
    bytesMissing: r.bytes_missing as number,
    closed: r.closed === 1,
    error: r.error_code === null ? undefined : { code: r.error_code as string, message: r.error_message as string },
    destination: defined({
      host: r.destination_host as string,
      etld1: r.destination_etld1 as string,
      operator: str(r.destination_operator),
      thirdParty: r.destination_third_party === 1,
    }),
    tlsInfo: r.tls_info == null ? undefined : JSON.parse(r.tls_info as string),
    frames: r.first_frame == null ? undefined : { first: r.first_frame as number, last: r.last_frame as number },
  });
}

function messageFromRow(r: Row): MessageRecord {
  return defined<MessageRecord>({
    flowId: r.flow_id as string,
    msgId: r.msg_id as number,
    direction: r.direction as Direction,
    protocol: r.protocol as MessageProtocol,
    method: str(r.method),
    url: str(r.url),
    status: num(r.status),
    contentType: str(r.content_type),
    mime: str(r.mime),
    bodyBytes: r.body_bytes as number,
    gapBytes: r.gap_bytes as number,
    firstTs: r.first_ts as number,
    lastTs: r.last_ts as number,
    topic: str(r.topic),
    headers: r.headers == null ? [] : JSON.parse(r.headers as string),
    headTruncated: r.head_truncated === 1 ? true : undefined,
    requestId: num(r.request_id),
    summary: r.body_summary == null ? undefined : JSON.parse(r.body_summary as string),
  });
}

/** The read side of a store, over its connection; statements are prepared once per distinct SQL text. */
export class StoreQueries {
  readonly #stmt: Prepare;

  constructor(db: Database) {
    this.#stmt = cachedPrepare(db);
  }

  #all(sql: string, params: unknown[] = []): Row[] {
    return this.#stmt(sql).all(params) as Row[];
  }

  hasCapture(sha256: string): boolean {
    const sql = "SELECT 1 FROM captures WHERE coalesce(sha256, id) = ? AND status = 'complete'";
    return this.#stmt(sql).get(sha256) !== undefined;
  }

  findCapture(sha256: string): CaptureRecord | undefined {
    const r = this.#stmt('SELECT * FROM captures WHERE coalesce(sha256, id) = ? ORDER BY imported_at DESC').get(sha256);
    return r === undefined ? undefined : captureFromRow(r as Row);
  }

  listCaptures(): CaptureRecord[] {
    return this.#all('SELECT * FROM captures ORDER BY imported_at DESC').map(captureFromRow);
  }

  listDevices(): DeviceRecord[] {
    return this.#all('SELECT * FROM devices ORDER BY last_ts DESC').map((r) =>
      defined<DeviceRecord>({
        id: r.id as string,
        name: str(r.name),
        mac: str(r.mac),
        ip: str(r.ip),
        firstTs: r.first_ts as number,
        lastTs: r.last_ts as number,
      }),
    );
  }

  listDestinations(deviceId?: string): DestinationRecord[] {
    const where = deviceId === undefined ? '' : 'WHERE device_id = ?';
    return this.#all(
      `SELECT * FROM destinations ${where} ORDER BY last_ts DESC`,
      deviceId === undefined ? [] : [deviceId],
    ).map((r) =>
      defined<DestinationRecord>({
        deviceId: r.device_id as string,
        host: r.host as string,
        etld1: r.etld1 as string,
        operator: str(r.operator),
        thirdParty: r.third_party === 1,
        flows: r.flows as number,
        bytesUp: r.bytes_up as number,
        bytesDown: r.bytes_down as number,
        firstTs: r.first_ts as number,
        lastTs: r.last_ts as number,
      }),
    );
  }

  listFlows(q: FlowQuery = {}): FlowRecord[] {
    const w = flowWhere(q);
    const sql = `SELECT * FROM flows ${w.sql} ORDER BY first_ts DESC, rowid DESC LIMIT ? OFFSET ?`;
    return this.#all(sql, [...w.params, q.limit ?? DEFAULT_LIMIT, q.offset ?? 0]).map(flowFromRow);
  }

  listCertChecks(q: { sinceTs?: number; deviceId?: string } = {}): FlowRecord[] {
    const params: unknown[] = [q.sinceTs ?? 0];
    let sql = `SELECT * FROM flows WHERE ${CERT_CHECK_ROWS} AND first_ts >= ?`;
    if (q.deviceId !== undefined) {
      sql += ' AND device_id = ?';
      params.push(q.deviceId);
    }
    return this.#all(`${sql} ORDER BY first_ts`, params).map(flowFromRow);
  }

  getFlow(id: string): FlowRecord | undefined {
    const r = this.#stmt('SELECT * FROM flows WHERE id = ?').get(id) as Row | undefined;
    return r && flowFromRow(r);
  }

  listExchanges(q: ExchangeQuery = {}): Exchange[] {
    return [...this.#exchanges(exchangeSql(q))];
  }

  iterateExchanges(q: Omit<ExchangeQuery, 'limit' | 'offset'> = {}): IterableIterator<Exchange> {
    return this.#exchanges(exchangeSql({ ...q, limit: -1 })); // LIMIT -1: no limit
  }

  /** The exchanges a query names, read row by row; recent flows kept, a bounded number. */
  *#exchanges({ sql, params }: Where): IterableIterator<Exchange> {
    const message = this.#stmt('SELECT * FROM messages WHERE flow_id = ? AND msg_id = ?');
    // The final response, not an interim 1xx (100 Continue) before it.
    const response = this.#stmt(`SELECT * FROM messages WHERE flow_id = ? AND request_id = ?
      ORDER BY (status IS NOT NULL AND status < 200 AND status <> 101), msg_id LIMIT 1`);
    const findings = this.#stmt(
      'SELECT * FROM findings WHERE flow_id = ? AND (msg_id = ? OR msg_id = ?) ORDER BY rowid',
    );
    const flowFindings = this.#stmt('SELECT * FROM findings WHERE flow_id = ? ORDER BY rowid');
    const flows = new Map<string, FlowRecord>();
    for (const row of this.#stmt(sql).iterate(params) as IterableIterator<Row>) {
      const fid = row.fid as string;
      let flow = flows.get(fid);
      if (!flow) {
        if (flows.size >= MAX_EXCHANGE_FLOWS_KEPT) flows.clear();
        flow = this.getFlow(fid) as FlowRecord;
        flows.set(fid, flow);
      }
      if (row.mid === null) {
        yield { flow, findings: (flowFindings.all(fid) as Row[]).map(findingFromRow) };
        continue;
      }
      const req = messageFromRow(message.get(fid, row.mid) as Row);
      const resRow = req.direction === 'upload' ? (response.get(fid, row.mid) as Row | undefined) : undefined;
      const res = resRow && messageFromRow(resRow);
      const found = (findings.all(fid, req.msgId, res?.msgId ?? req.msgId) as Row[]).map(findingFromRow);
      yield { flow, request: req, ...(res ? { response: res } : {}), findings: found };
    }
  }

  *iterateFlows(q: FlowQuery = {}): IterableIterator<FlowRecord> {
    const w = flowWhere(q);
    const sql = `SELECT * FROM flows ${w.sql} ORDER BY first_ts DESC, rowid DESC`;
    for (const r of this.#stmt(sql).iterate(w.params)) yield flowFromRow(r as Row);
  }

  summarizeFlows(captureIds: string[], maxDestinations: number): FlowSummary {
    const ids = [JSON.stringify(captureIds)];
    const inCaptures = 'capture_id IN (SELECT value FROM json_each(?))';
    const byKind = this.#all(
      `SELECT transport, tls, count(*) AS n FROM flows WHERE ${inCaptures} GROUP BY transport, tls ORDER BY n DESC`,
      ids,
    ).map((r) => ({ transport: r.transport as Transport, tls: r.tls as TlsState, flows: r.n as number }));
    const hosts = `SELECT destination_host AS host, max(destination_operator) AS operator,
        max(destination_third_party) AS third_party, count(*) AS n, sum(bytes_up) AS up, sum(bytes_down) AS down
      FROM flows WHERE ${inCaptures} GROUP BY destination_host`;
    const destinations = this.#all(`${hosts} ORDER BY up DESC, host LIMIT ?`, [...ids, maxDestinations]).map((r) =>
      defined({
        host: r.host as string,
        operator: str(r.operator),
        thirdParty: r.third_party === 1,
        flows: r.n as number,
        bytesUp: r.up as number,
        bytesDown: r.down as number,
      }),
    );
    const total = this.#stmt(`SELECT count(*) AS hosts FROM (${hosts})`).get(ids) as { hosts: number };
    const flows = byKind.reduce((n, k) => n + k.flows, 0);
    const moreDestinations = Math.max(0, total.hosts - destinations.length);
    return { flows, byKind, destinations, moreDestinations, tls: this.#tlsSummary(inCaptures, ids) };
  }

  /** TLS flows on the wire and how decrypting them went, counted in SQL (report/json.ts `tlsSummary`, rule for rule). */
  #tlsSummary(where: string, params: unknown[]): TlsSummary {
    const d = "json_extract(tls_info, '$.decryption')";
    const r = this.#stmt(`SELECT count(*) AS flows,
        coalesce(sum(tls = 'decrypted' OR ${d} = 'decrypted'), 0) AS decrypted,
        coalesce(sum(tls <> 'decrypted' AND ${d} = 'unsupported'), 0) AS unsupported,
        coalesce(sum(tls <> 'decrypted' AND ${d} = 'failed'), 0) AS failed
      FROM flows WHERE ${where} AND tls IN (${[...TLS_ON_THE_WIRE].map((t) => `'${t}'`).join(', ')})`).get(
      params,
    ) as Record<string, number>;
    const withoutKeys = r.flows! - r.decrypted! - r.unsupported! - r.failed!;
    return { flows: r.flows!, decrypted: r.decrypted!, withoutKeys, unsupported: r.unsupported!, failed: r.failed! };
  }

  getFinding(id: string): Finding | undefined {
    const r = this.#stmt('SELECT * FROM findings WHERE id = ?').get(id) as Row | undefined;
    return r && findingFromRow(r);
  }

  listMessages(flowId: string, limit = -1): MessageRecord[] {
    return this.#all('SELECT * FROM messages WHERE flow_id = ? ORDER BY msg_id LIMIT ?', [flowId, limit]).map(
      messageFromRow,
    );
  }

  listFindings(q: FindingQuery = {}): Finding[] {
    const w = findingWhere(q);
    const sql = `SELECT f.* FROM findings f ${w.sql} ORDER BY f.first_ts DESC, f.rowid DESC LIMIT ? OFFSET ?`;
    // Row by row: a replay's summary reads every finding of a capture, and the raw rows of all of them at once
    // would double the peak.
    const out: Finding[] = [];
    for (const r of this.#stmt(sql).iterate([...w.params, q.limit ?? DEFAULT_LIMIT, q.offset ?? 0])) {
      out.push(findingFromRow(r as Row));
    }
    return out;
  }

  countFindingKinds(q: FindingQuery): FindingKindCount[] {
    const w = findingWhere(q);
    // `first`: where listFindings's order (first_ts, rowid, newest first) meets the group's first finding.
    const cols = `device_id, category, subtype, destination_host, destination_etld1, destination_operator,
      destination_third_party`;
    const sql = `SELECT ${cols}, shed, count(*) AS n, min(rn) AS first
      FROM (SELECT ${cols},
          CASE WHEN json_type(detail, '$.shed') = 'true' THEN coalesce(json_extract(detail, '$.reason'), 'shed') END
            AS shed,
          row_number() OVER (ORDER BY f.first_ts DESC, f.rowid DESC) AS rn
        FROM findings f ${w.sql})
      GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY first`;
    return this.#all(sql, w.params).map((r) =>
      defined<FindingKindCount>({
        deviceId: r.device_id as string,
        category: r.category as Category,
        subtype: r.subtype as string,
        destination: destinationFromRow(r),
        count: r.n as number,
        shed: r.shed === null ? undefined : String(r.shed),
      }),
    );
  }

  /** Counts every match (`limit` and `offset` do not apply). */
  countFindings(q: FindingQuery = {}): number {
    const w = findingWhere(q);
    return (this.#stmt(`SELECT count(*) AS n FROM findings f ${w.sql}`).get(w.params) as { n: number }).n;
  }

  countFindingsByDestination(deviceId?: string): DestinationFindings[] {
    const where = deviceId === undefined ? '' : 'WHERE device_id = ?';
    const sql = `SELECT device_id, destination_host, category, count(*) AS n FROM findings ${where}
      GROUP BY device_id, destination_host, category`;
    return this.#all(sql, deviceId === undefined ? [] : [deviceId]).map((r) => ({
      deviceId: r.device_id as string,
      host: r.destination_host as string,
      category: r.category as Category,
      count: r.n as number,
    }));
  }

  listViolations(q: ViolationQuery = {}): Violation[] {
    const w = violationWhere(q);
    const sql = `SELECT * FROM violations ${w.sql} ORDER BY ts DESC, rowid DESC LIMIT ?`;
    return this.#all(sql, [...w.params, q.limit ?? DEFAULT_LIMIT]).map((r) =>
      defined<Violation>({
        ts: r.ts as number,
        flowId: str(r.flow_id),
        msgId: num(r.msg_id),
        decoder: r.decoder as string,
        code: r.code as string,
        message: str(r.message),
        offset: num(r.offset),
      }),
    );
  }

  countViolations(q: ViolationQuery): ViolationCount[] {
    const w = violationWhere(q);
    const sql = `SELECT decoder, code, count(*) AS n, count(DISTINCT flow_id) AS flows FROM violations ${w.sql}
      GROUP BY decoder, code ORDER BY n DESC, decoder, code`;
    return this.#all(sql, w.params).map((r) => ({
      decoder: r.decoder as string,
      code: r.code as string,
      count: r.n as number,
      flows: r.flows as number,
    }));
  }

  evidenceInfo(id: string): EvidenceInfo | undefined {
    const r = this.#stmt('SELECT * FROM evidence WHERE id = ?').get(id) as Row | undefined;
    if (!r) return undefined;
    return {
      id,
      mime: r.mime as string,
      flowId: r.flow_id as string,
      totalBytes: r.total_bytes as number,
      truncated: r.truncated === 1,
      complete: r.complete === 1,
    };
  }

  /**
   * Bytes `start`..`end` (inclusive) of a blob, one stored row at a time: only the rows the range touches are read
   * (row lengths come from the record headers, not the blobs).
   */
  *readEvidenceRange(id: string, start: number, end: number): Generator<Buffer> {
    const rows = this.#all('SELECT seq, length(data) AS n FROM evidence_chunks WHERE evidence_id = ? ORDER BY seq', [
      id,
    ]);
    const data = this.#stmt('SELECT data FROM evidence_chunks WHERE evidence_id = ? AND seq = ?');
    let at = 0;
    for (const r of rows) {
      const n = r.n as number;
      if (at + n > start && at <= end) {
        const blob = (data.get(id, r.seq) as { data: Buffer }).data;
        yield blob.subarray(Math.max(0, start - at), Math.min(n, end - at + 1));
      }
      at += n;
      if (at > end) return;
    }
  }

  readEvidence(id: string): StoredEvidence | undefined {
    const head = this.#stmt('SELECT mime, truncated FROM evidence WHERE id = ?').get(id) as Row | undefined;
    if (!head) return undefined;
    const rows = this.#all('SELECT data FROM evidence_chunks WHERE evidence_id = ? ORDER BY seq', [id]);
    const all = Buffer.concat(rows.map((r) => r.data as Buffer));
    const bytes = new Uint8Array(all.buffer, all.byteOffset, all.byteLength);
    return { id, mime: head.mime as string, bytes, truncated: head.truncated === 1 };
  }
}

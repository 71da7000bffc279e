/**
 * The sans-io core: takes FlowEvents from any source (live proxy, capture replay, HAR import), decodes each
 * message once and fans it out to the analyzers that want it; findings, violations, evidence and records for
 * the store leave through PipelineOutput. Synchronous, no I/O, and it never throws on bad input: events that
 * make no sense (a chunk for an unknown flow) and analyzer bugs become violations.
 */
import type {
  Analyzer,
  AnalyzerContext,
  AnalyzerState,
  FindingHandle,
  FlowAnalyzerState,
  ReportInput,
} from '../model/analyzer.ts';
import type { FlowEvent, FlowUpdate } from '../model/events.ts';
import type { Destination, Finding } from '../model/finding.ts';
import type { FlowError, FlowId, FlowInfo, FlowStats, Micros, MsgId } from '../model/flow.ts';
import { type Limits, resolveLimits } from '../model/limits.ts';
import { header, type MessageHead } from '../model/message.ts';
import type { FlowRecord, MessageRecord } from '../model/records.ts';
import type { ViolationInput } from '../model/violation.ts';
import { capHeaders } from './body-summary.ts';
import { Deferrals, OrderedWork } from './deferred.ts';
import { type DestinationResolver, destinationResolver } from './destination.ts';
import { CappedEvidence } from './evidence.ts';
import { type ActiveAnalyzer, AnalyzerFanout } from './fanout.ts';
import { type FindingPlace, FLOW_PLACE, OpenFinding } from './findings.ts';
import { MessageDecoder } from './message-decoder.ts';
import type { PipelineOutput } from './output.ts';
import { TokenRouter } from './token-router.ts';

export interface PipelineOptions {
  analyzers: readonly Analyzer[];
  output: PipelineOutput;
  limits?: Partial<Limits>;
  /** How a flow's destination is described (first/third party, operator); default: no first-party list. */
  destination?: DestinationResolver;
}

interface MessageState {
  head: MessageHead;
  record: MessageRecord;
  fanout: AnalyzerFanout | undefined;
  decoder: MessageDecoder | undefined;
  findings: number;
}

interface FlowState {
  info: FlowInfo;
  record: FlowRecord;
  messages: Map<MsgId, MessageState>;
  /** Per-flow analyzer states by analyzer name; null when `openFlow` threw. */
  flowStates: Map<string, FlowAnalyzerState | null>;
  lastHead: MessageHead | undefined;
  /** While per-flow states hear of a finding: the message it was found in (msgId and direction are what count). */
  findingHead: MessageHead | undefined;
  findingSeq: number;
  evidenceSeq: number;
  openFindings: OpenFinding[];
  evidence: Map<string, CappedEvidence>;
  /** Deferred work of an offline flow (not `live`), applied in order before the flow's next event; made at the first. */
  ordered: OrderedWork | undefined;
}

/** A handle for findings past MAX_FINDINGS_PER_MESSAGE: accepted and dropped. */
const DROPPED: FindingHandle = { id: '', update() {}, finish() {} };

export class Pipeline {
  readonly limits: Limits;
  readonly #analyzers: readonly Analyzer[];
  readonly #out: PipelineOutput;
  readonly #destination: DestinationResolver;
  readonly #router: TokenRouter;
  readonly #flows = new Map<FlowId, FlowState>();
  /** Work handed off by analyzers through `ctx.defer`, and the events of offline flows waiting for it. */
  readonly #deferrals = new Deferrals((ev) => this.#run(ev));
  #now: Micros = 0;
  /** True while `push` or `finish` runs; false when deferred work reports in between. */
  #inEvent = false;

  constructor(opts: PipelineOptions) {
    this.#analyzers = opts.analyzers;
    this.#router = new TokenRouter(opts.analyzers);
    this.#out = opts.output;
    this.limits = resolveLimits(opts.limits);
    this.#destination = opts.destination ?? destinationResolver();
  }

  /** Flows opened and not yet closed. */
  get openFlows(): number {
    return this.#flows.size;
  }

  /**
   * Takes one event. An event of an offline flow with deferred work still running is held (in order) and
   * handled once that work has been applied; see `idle()`.
   */
  push(ev: FlowEvent): void {
    const fs = ev.type === 'flow.open' ? undefined : this.#flows.get(ev.flowId);
    if (!this.#deferrals.hold(fs?.ordered, ev)) this.#run(ev);
  }

  #run(ev: FlowEvent): void {
    this.#now = ev.ts;
    this.#inEvent = true;
    try {
      this.#dispatch(ev);
    } finally {
      this.#inEvent = false;
    }
  }

  // Per event, so no closure per event: the flow and message are looked up here, a miss reported by #flowOf/#messageOf.
  #dispatch(ev: FlowEvent): void {
    if (ev.type === 'flow.open') {
      this.#open(ev.flow);
      return;
    }
    const fs = this.#flowOf(ev.flowId);
    if (!fs) return;
    switch (ev.type) {
      case 'flow.update':
        this.#update(fs, ev.update);
        return;
      case 'message.head':
        this.#head(fs, ev.msg);
        return;
      case 'flow.close':
        this.#close(fs, ev.stats, ev.error);
        return;
    }
    const ms = this.#messageOf(fs, ev.msgId);
    if (!ms) return;
    switch (ev.type) {
      case 'message.chunk':
        this.#chunk(fs, ms, ev.data);
        return;
      case 'message.gap':
        this.#gap(fs, ms, ev.length);
        return;
      case 'message.end':
        this.#endMessage(fs, ms);
        return;
    }
  }

  /** Closes every flow still open (end of a capture, proxy shutdown), as at `flow.close` with the bytes seen. */
  finish(ts: Micros = this.#now): void {
    this.#now = ts;
    this.#inEvent = true;
    try {
      this.#finishFlows();
    } finally {
      this.#inEvent = false;
    }
  }

  #finishFlows(): void {
    const error = { code: 'not-closed', message: 'flow still open at the end' };
    for (const fs of [...this.#flows.values()]) {
      // Its own close already waits behind its deferred work: a second one would find the flow gone.
      if (fs.ordered?.closing) continue;
      const { bytesUp, bytesDown, bytesMissing } = fs.record;
      const close: FlowEvent = {
        ts: this.#now,
        type: 'flow.close',
        flowId: fs.info.id,
        stats: { bytesUp, bytesDown, bytesMissing },
        error,
      };
      // A flow waiting for deferred work closes after it, like any of its events.
      if (!this.#deferrals.hold(fs.ordered, close)) this.#close(fs, close.stats, error);
    }
  }

  /** Async work analyzers deferred and not yet settled (face detections in the pool). */
  get deferred(): number {
    return this.#deferrals.pending;
  }

  /**
   * Resolves once every deferred piece of work has settled, including work deferred meanwhile, and every held
   * event has run; its findings have then been emitted. Call after `finish()` before flushing the output
   * (replay), or at shutdown.
   */
  drain(): Promise<void> {
    return this.#deferrals.idle(0, 0);
  }

  /**
   * Backpressure for offline sources: resolves once at most `maxDeferred` pieces of work are running and at most
   * `maxHeldBytes` body bytes wait behind them. A replay awaits it between reads.
   */
  idle(maxDeferred: number, maxHeldBytes: number): Promise<void> {
    return this.#deferrals.idle(maxDeferred, maxHeldBytes);
  }

  #defer<T>(fs: FlowState, msgId: MsgId | undefined, name: string, work: Promise<T>, apply: (v: T) => void): void {
    const fail = (err: unknown) => this.#analyzerError(fs, msgId, name, err);
    const guarded = (v: T) => {
      try {
        apply(v);
      } catch (err) {
        fail(err);
      }
    };
    if (fs.info.source !== 'live') fs.ordered ??= new OrderedWork();
    this.#deferrals.defer(fs.ordered, work, guarded, fail);
  }

  #open(flow: FlowInfo): void {
    if (this.#flows.has(flow.id)) {
      this.#violation(
        { decoder: 'pipeline', code: 'duplicate-flow', message: `flow ${flow.id} opened twice` },
        flow.id,
      );
      return;
    }
    const info: FlowInfo = { ...flow, device: { ...flow.device }, server: { ...flow.server } };
    const record: FlowRecord = {
      ...info,
      firstTs: this.#now,
      lastTs: this.#now,
      bytesUp: 0,
      bytesDown: 0,
      bytesMissing: 0,
      closed: false,
      destination: this.#destination(info),
    };
    this.#flows.set(flow.id, {
      info,
      record,
      messages: new Map(),
      flowStates: new Map(),
      lastHead: undefined,
      findingHead: undefined,
      findingSeq: 0,
      evidenceSeq: 0,
      openFindings: [],
      evidence: new Map(),
      ordered: undefined,
    });
    this.#out.flow({ ...record });
    const fs = this.#flows.get(flow.id)!;
    for (const a of this.#analyzers) {
      if (!a.opened) continue;
      try {
        a.opened(info, (input) => this.#report(fs, FLOW_PLACE, undefined, input));
      } catch (err) {
        this.#analyzerError(fs, undefined, a.name, err);
      }
    }
  }

  /** Updates are applied in place, so analyzers holding `ctx.flow` see the host learned later. */
  #update(fs: FlowState, update: FlowUpdate): void {
    if (update.transport) fs.info.transport = update.transport;
    if (update.tls) fs.info.tls = update.tls;
    if (update.server) fs.info.server = { ...fs.info.server, ...update.server };
    if (update.tlsInfo) fs.info.tlsInfo = update.tlsInfo;
    const { transport, tls, server, tlsInfo } = fs.info;
    Object.assign(fs.record, { transport, tls, server, ...(tlsInfo ? { tlsInfo } : {}) });
    const { operator, operatorFrom } = fs.record.destination;
    fs.record.destination = this.#destination(fs.info);
    // An operator named by a request's shape outlives updates that teach nothing better (the WebSocket upgrade).
    if (operatorFrom === 'request' && fs.record.destination.operator === undefined) {
      fs.record.destination = { ...fs.record.destination, operator, operatorFrom };
    }
    fs.record.lastTs = this.#now;
    this.#out.flow({ ...fs.record });
  }

  #head(fs: FlowState, head: MessageHead): void {
    if (fs.messages.has(head.msgId)) {
      this.#violation({ decoder: 'pipeline', code: 'duplicate-message' }, fs.info.id, head.msgId);
      return;
    }
    if (head.direction === 'upload' && fs.record.destination.operator === undefined) {
      // The host named no operator: the request's shape may (an iFlytek-shaped upgrade through a vendor proxy).
      fs.record.destination = this.#destination(fs.info, head);
      if (fs.record.destination.operator !== undefined) this.#out.flow({ ...fs.record });
    }
    fs.lastHead = head;
    const ms: MessageState = {
      head,
      record: this.#record(fs, head),
      fanout: undefined,
      decoder: undefined,
      findings: 0,
    };
    fs.messages.set(head.msgId, ms);
    const active = this.#startAnalyzers(fs, ms);
    if (active.length === 0) return;
    const onError = (name: string, err: unknown) => this.#analyzerError(fs, head.msgId, name, err);
    ms.fanout = new AnalyzerFanout(active, this.#router, onError);
    const report = (v: ViolationInput) => this.#violation(v, fs.info.id, head.msgId);
    ms.decoder = new MessageDecoder(head, this.limits, report, ms.fanout);
  }

  /**
   * The message's record, built field by field in the order the store lists them (one object per message: no
   * spread of partial objects).
   */
  #record(fs: FlowState, head: MessageHead): MessageRecord {
    const capped = capHeaders(head.headers, this.limits.MAX_STORED_HEAD_BYTES);
    const record: MessageRecord = {
      flowId: fs.info.id,
      msgId: head.msgId,
      direction: head.direction,
      protocol: head.protocol,
      headers: capped.headers,
      bodyBytes: 0,
      gapBytes: 0,
      firstTs: this.#now,
      lastTs: this.#now,
    };
    if (head.method !== undefined) record.method = head.method;
    if (head.url !== undefined) record.url = head.url;
    if (head.status !== undefined) record.status = head.status;
    if (head.requestId !== undefined) record.requestId = head.requestId;
    if (capped.truncated) record.headTruncated = true;
    const contentType = header(head, 'content-type');
    if (contentType !== undefined) record.contentType = contentType;
    if (head.mqtt?.topic !== undefined) record.topic = head.mqtt.topic;
    if (head.ws) record.topic = head.ws.opcode === 1 ? 'text' : 'binary';
    return record;
  }

  #startAnalyzers(fs: FlowState, ms: MessageState): ActiveAnalyzer[] {
    // Made for the first analyzer that wants the message: most downloads have none.
    let ctx: AnalyzerContext | undefined;
    const active: ActiveAnalyzer[] = [];
    for (let i = 0; i < this.#analyzers.length; i++) {
      const a = this.#analyzers[i]!;
      try {
        if (!a.wants(ms.head, fs.info)) continue;
        ctx ??= this.#context(fs, ms);
        const state = a.openFlow ? this.#flowState(fs, a)?.message(ms.head, ctx) : a.open?.(ctx);
        const bit = this.#router.bitOf(i);
        if (state) active.push({ name: a.name, state: state as AnalyzerState, bit, done: false });
      } catch (err) {
        this.#analyzerError(fs, ms.head.msgId, a.name, err);
      }
    }
    return active;
  }

  #flowState(fs: FlowState, a: Analyzer): FlowAnalyzerState | undefined {
    let st = fs.flowStates.get(a.name);
    if (st === undefined) {
      const flowCtx: AnalyzerContext = {
        flow: fs.info,
        get head() {
          return fs.lastHead as MessageHead;
        },
        now: () => this.#now,
        // A report made while hearing of another finding belongs to that finding's message, not the latest head.
        report: (input) => this.#report(fs, fs.findingHead ?? (fs.lastHead as MessageHead), undefined, input),
        openEvidence: (mime) => this.#openEvidence(fs, fs.lastHead?.msgId, mime),
        limits: this.limits,
        defer: (work, apply) => this.#defer(fs, fs.lastHead?.msgId, a.name, work, apply),
      };
      try {
        st = a.openFlow?.(fs.info, flowCtx) ?? null;
      } catch (err) {
        st = null;
        this.#analyzerError(fs, fs.lastHead?.msgId, a.name, err);
      }
      fs.flowStates.set(a.name, st);
    }
    return st ?? undefined;
  }

  #context(fs: FlowState, ms: MessageState): AnalyzerContext {
    return {
      flow: fs.info,
      head: ms.head,
      now: () => this.#now,
      report: (input) => this.#report(fs, ms.head, ms, input),
      openEvidence: (mime) => this.#openEvidence(fs, ms.head.msgId, mime),
      limits: this.limits,
      defer: (work, apply) => this.#defer(fs, ms.head.msgId, 'deferred', work, apply),
    };
  }

  #report(fs: FlowState, head: FindingPlace, ms: MessageState | undefined, input: ReportInput): FindingHandle {
    if (ms && ++ms.findings > this.limits.MAX_FINDINGS_PER_MESSAGE) {
      if (ms.findings === this.limits.MAX_FINDINGS_PER_MESSAGE + 1) {
        this.#violation({ decoder: 'pipeline', code: 'too-many-findings' }, fs.info.id, head.msgId);
      }
      return DROPPED;
    }
    const id = `${fs.info.id}/f${fs.findingSeq++}`;
    const handle = new OpenFinding(id, input, head, {
      flow: () => fs.info,
      destination: () => fs.record.destination as Destination,
      // Deferred work reports between events: dated at its message's (or flow's) last event, not when it settled.
      now: () => (this.#inEvent ? this.#now : (ms ?? fs).record.lastTs),
      evidenceTruncated: (evId) => fs.evidence.get(evId)?.truncated ?? false,
      emit: (f) => {
        this.#out.finding(f);
        this.#tellFlowStates(fs, f);
      },
    });
    if (!handle.final) fs.openFindings.push(handle);
    return handle;
  }

  /** Per-flow analyzer states that watch findings (the tls analyzer) see every other analyzer's findings. */
  #tellFlowStates(fs: FlowState, f: Finding): void {
    const outer = fs.findingHead;
    if (f.msgId !== undefined)
      fs.findingHead = { msgId: f.msgId, direction: f.direction, protocol: 'raw', headers: [] };
    try {
      for (const [name, st] of fs.flowStates) {
        if (!st?.finding || name === f.category) continue;
        try {
          st.finding(f);
        } catch (err) {
          this.#analyzerError(fs, f.msgId, name, err);
        }
      }
    } finally {
      fs.findingHead = outer;
    }
  }

  #openEvidence(fs: FlowState, msgId: MsgId | undefined, mime: string): CappedEvidence {
    const id = `${fs.info.id}/e${fs.evidenceSeq++}`;
    const meta = { flowId: fs.info.id, mime, ...(msgId === undefined ? {} : { msgId }) };
    const ev = new CappedEvidence(id, meta, this.limits.MAX_EVIDENCE_BYTES, (c) => this.#out.evidence(c));
    fs.evidence.set(id, ev);
    return ev;
  }

  #chunk(fs: FlowState, ms: MessageState, data: Uint8Array): void {
    ms.record.bodyBytes += data.length;
    ms.record.lastTs = this.#now;
    fs.record.lastTs = this.#now;
    if (ms.head.direction === 'upload') fs.record.bytesUp += data.length;
    else fs.record.bytesDown += data.length;
    if (!ms.decoder || !ms.fanout?.live) return;
    try {
      ms.decoder.write(data);
    } catch (err) {
      this.#decoderError(fs, ms, err);
    }
  }

  #gap(fs: FlowState, ms: MessageState, length: number): void {
    ms.record.gapBytes += length;
    fs.record.bytesMissing += length;
    if (!ms.decoder || !ms.fanout) return;
    try {
      ms.decoder.gap(length);
      ms.fanout.gap(length);
    } catch (err) {
      this.#decoderError(fs, ms, err);
    }
  }

  #endMessage(fs: FlowState, ms: MessageState): void {
    fs.messages.delete(ms.head.msgId);
    ms.record.lastTs = this.#now;
    try {
      ms.decoder?.end();
    } catch (err) {
      this.#decoderError(fs, ms, err);
    }
    ms.fanout?.end();
    if (ms.fanout) {
      ms.record.summary = ms.fanout.summary.summary();
      const mime = ms.fanout.summary.bodyMime;
      if (mime !== undefined) ms.record.mime = mime;
    }
    this.#out.message(ms.record);
  }

  #close(fs: FlowState, stats: FlowStats, error: FlowError | undefined): void {
    for (const ms of [...fs.messages.values()]) this.#endMessage(fs, ms);
    for (const [name, st] of fs.flowStates) {
      try {
        st?.close();
      } catch (err) {
        this.#analyzerError(fs, undefined, name, err);
      }
    }
    for (const f of fs.openFindings) f.finish();
    for (const ev of fs.evidence.values()) ev.end();
    this.#flows.delete(fs.info.id);
    const r = fs.record;
    r.bytesUp = Math.max(r.bytesUp, stats.bytesUp);
    r.bytesDown = Math.max(r.bytesDown, stats.bytesDown);
    r.bytesMissing = Math.max(r.bytesMissing, stats.bytesMissing ?? 0);
    if (stats.frames) r.frames = stats.frames;
    r.lastTs = this.#now;
    r.closed = true;
    if (error) r.error = error;
    this.#out.flow({ ...r });
  }

  /** The open flow, or undefined after reporting the event that named it. */
  #flowOf(flowId: FlowId): FlowState | undefined {
    const fs = this.#flows.get(flowId);
    if (!fs) {
      this.#violation(
        {
          decoder: 'pipeline',
          code: 'unknown-flow',
          message: `event for flow ${flowId} before flow.open or after flow.close`,
        },
        flowId,
      );
    }
    return fs;
  }

  /** The flow's open message, or undefined after reporting the event that named it. */
  #messageOf(fs: FlowState, msgId: MsgId): MessageState | undefined {
    const ms = fs.messages.get(msgId);
    if (!ms) {
      this.#violation(
        { decoder: 'pipeline', code: 'unknown-message', message: `message ${msgId} has no head` },
        fs.info.id,
        msgId,
      );
    }
    return ms;
  }

  #violation(v: ViolationInput, flowId?: FlowId, msgId?: MsgId): void {
    this.#out.violation({
      ...v,
      ts: this.#now,
      ...(flowId === undefined ? {} : { flowId }),
      ...(msgId === undefined ? {} : { msgId }),
    });
  }

  #analyzerError(fs: FlowState, msgId: MsgId | undefined, name: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.#violation({ decoder: `analyzer:${name}`, code: 'analyzer-error', message }, fs.info.id, msgId);
  }

  #decoderError(fs: FlowState, ms: MessageState, err: unknown): void {
    ms.decoder = undefined;
    const message = err instanceof Error ? err.message : String(err);
    this.#violation({ decoder: 'pipeline', code: 'decoder-error', message }, fs.info.id, ms.head.msgId);
  }
}

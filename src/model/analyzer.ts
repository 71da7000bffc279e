/**
 * The analyzer interface (Zeek file analyzers): a cheap head filter, then per-message state fed decoded
 * media chunks and tokens, closed by `end()`. Streams spread over many messages use the per-flow form.
 */

import type { Category, Finding, FindingDetail } from './finding.ts';
import type { FlowInfo, Micros } from './flow.ts';
import type { Limits } from './limits.ts';
import type { MediaInfo } from './media.ts';
import type { MessageHead } from './message.ts';
import type { Token, TokenSource } from './token.ts';

/** `'done'` = stop feeding me this message (Zeek's `return false`). */
export type Verdict = undefined | 'done';

/** A piece of an excerpt: readable text (a kind, a key, a size, a reason) or a personal value, masked unless --reveal. */
export type ExcerptPart = string | { readonly personal: string };

/**
 * What a finding shows. A plain string is one personal value, masked whole (the safe default); a list mixes
 * readable text with personal values so that only those are masked: `['mother ', {personal: e164}]`, or
 * `['raw-pcm 16000 Hz, 4.4 s']` for an excerpt with nothing personal in it.
 */
export type Excerpt = string | readonly ExcerptPart[];

/** The excerpt as seen, personal values included. */
export function excerptText(e: Excerpt): string {
  return typeof e === 'string' ? e : e.map((p) => (typeof p === 'string' ? p : p.personal)).join('');
}

/** What an analyzer reports; the pipeline adds ids, device, destination, timestamps and redaction. */
export interface ReportInput {
  category: Category;
  subtype: string;
  /** 0..1, default 0.9. */
  confidence?: number;
  /** Token path or part origin. */
  path?: string;
  /** The data as seen; its personal parts are masked by the pipeline for output. */
  excerpt: Excerpt;
  /** Facts that are not personal (sizes, durations, counts, reasons, keys): printed as they are. */
  detail?: FindingDetail;
  /**
   * Personal values to keep with the finding (a phone's E.164, coordinates, an SSID): in the finding's `detail`
   * masked, whole only in `evidence.detail` (store and --reveal).
   */
  personal?: FindingDetail;
  /** An evidence blob opened with `ctx.openEvidence`. */
  evidenceId?: string;
  /** More updates follow (a per-stream finding): not final until `handle.finish()` or flow close. */
  streaming?: boolean;
}

/** A reported finding that its analyzer may still update (per-stream findings). */
export interface FindingHandle {
  readonly id: string;
  /** Merge new detail / confidence / excerpt; re-emitted with the same id and a new lastTs. */
  update(patch: Partial<Pick<ReportInput, 'confidence' | 'excerpt' | 'detail' | 'personal' | 'evidenceId'>>): void;
  /** Mark final (also done for every open handle at flow close). */
  finish(): void;
}

/** A bounded evidence blob being written (a voice clip as WAV, a photo). */
export interface EvidenceWriter {
  readonly id: string;
  /** Append bytes; past the evidence cap they are dropped and the blob is marked truncated. */
  write(bytes: Uint8Array): void;
  /** No more bytes. */
  end(): void;
}

export interface AnalyzerContext {
  readonly flow: FlowInfo;
  /** The current message head (for per-flow state: the latest message). */
  readonly head: MessageHead;
  /** Timestamp of the event being processed. */
  now(): Micros;
  report(finding: ReportInput): FindingHandle;
  openEvidence(mime: string): EvidenceWriter;
  /** The run's limits (MAX_IMAGE_BYTES, …), config overrides applied. */
  readonly limits: Readonly<Limits>;
  /**
   * Hands off async work (a face detection in a worker pool) so the synchronous pipeline need not wait;
   * `apply(value)` runs when it settled and may `report`, even after `message.end` or `flow.close`. On an offline
   * flow (replay, HAR) results are applied in the order the work was deferred, before the flow's next event
   * (which waits): the findings never depend on how long the work took. On a live flow each is applied when it
   * settles. `Pipeline.drain()` awaits it all; a rejection (or a throw in `apply`) becomes an `analyzer-error`
   * violation.
   */
  defer<T>(work: Promise<T>, apply: (value: T) => void): void;
}

export interface AnalyzerState {
  /** Bytes of one decoded part (body, multipart part, base64 value), in order. */
  media?(info: MediaInfo, chunk: Uint8Array): Verdict;
  /** The end of one part's bytes. */
  mediaEnd?(info: MediaInfo): Verdict;
  token?(t: Token): Verdict;
  gap?(length: number): Verdict;
  /** Decide; one finding per stream, not per frame. */
  end(): void;
}

/** Per-flow state for streams spread over many messages (a voice stream over hundreds of WebSocket frames). */
export interface FlowAnalyzerState {
  /** State for one more message of this flow, or undefined to skip it. */
  message(head: MessageHead, ctx: AnalyzerContext): AnalyzerState | undefined;
  /** Every finding other analyzers report on this flow, new or updated (the tls analyzer watches them). */
  finding?(f: Finding): void;
  close(): void;
}

/**
 * Which tokens an analyzer's `token()` needs, so the fan-out calls it for those only: in a telemetry body most
 * tokens concern one analyzer or none, and a call per token per analyzer cost more than the tokenizer. A token is
 * delivered when any clause holds; the clauses must cover every token the analyzer would act on (what it is not
 * given, it would have ignored). Without an interest, an analyzer gets every token.
 */
export interface TokenInterest {
  /** Tokens under this key, whatever their value. Asked once per distinct key; the fan-out caches the answer. */
  key(key: string): boolean;
  /**
   * A pre-filter on what `key` admits: the shortest whole value (a string's characters, a number's literal, `true`)
   * under a key `key` accepted that `token()` can act on; shorter whole values come only if another clause brings
   * them (pieces of a long string always come). Asked once per distinct key `key` accepted; absent or 0: any value.
   * It must hold for every kind of value and leave no state behind (a `"imei":"x"` that `token()` would have
   * read and dropped).
   */
  keyedMinLength?(key: string): number;
  /** String tokens holding any of these ASCII characters. */
  chars?: string;
  /** String tokens with at least this many ASCII digits. */
  minDigits?: number;
  /** String tokens at least this long. */
  minLength?: number;
  /** Number tokens without a key: array elements and bare top-level values. */
  elements?: boolean;
  /** Every token from these sources (free text: `text`, `multipart-field`). */
  sources?: readonly TokenSource[];
}

export interface Analyzer {
  /** The category it reports, = its file name in analyzers/. */
  readonly name: string;
  /**
   * The tokens `token()` needs (see TokenInterest). Any value clause (`chars`, `minDigits`, `minLength`) also
   * brings every piece of a string streamed in pieces, so a scan across pieces sees them all. A string the pipeline
   * decodes as base64 comes by key only: its content arrives as a nested part.
   */
  readonly tokens?: TokenInterest;
  /** Head only, no body: should this message be fed to `open`? */
  wants(head: MessageHead, flow: FlowInfo): boolean;
  open?(ctx: AnalyzerContext): AnalyzerState;
  /** Per-flow form, called once per flow at the first message `wants` accepts. */
  openFlow?(flow: FlowInfo, ctx: AnalyzerContext): FlowAnalyzerState;
  /**
   * Called once at `flow.open` with what the source stated about the flow (the live proxy's certificate check in
   * `tlsInfo.certCheck`), for findings about the flow itself: they belong to no message (`msgId` absent,
   * direction `upload`, the device's doing). A flow refused at the handshake has no message at all.
   */
  opened?(flow: FlowInfo, report: (input: ReportInput) => FindingHandle): void;
}

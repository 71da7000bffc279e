/**
 * tls: transport security of flows that carry personal data. `plaintext-personal-data`: once per flow sent
 * without TLS (`tls: 'none'`: plain HTTP, MQTT, WebSocket) on which any watched analyzer finds personal data;
 * the watched analyzers run a second time, muted, on plaintext flows only, and the finding lists what they saw.
 * `weak-tls-version` (SSL 3.0, TLS 1.0, 1.1 chosen by the server) and `no-forward-secrecy` (an RSA key exchange
 * suite) from the flow's TLS metadata (`tlsInfo`, when the source read the handshake). Certificate acceptance and
 * rejection are the proxy's to report.
 */
import type {
  Analyzer,
  AnalyzerContext,
  AnalyzerState,
  EvidenceWriter,
  FindingHandle,
  FlowAnalyzerState,
  ReportInput,
  Verdict,
} from '../src/model/analyzer.ts';
import type { TlsInfo } from '../src/model/events.ts';
import type { FlowInfo } from '../src/model/flow.ts';
import type { MediaInfo } from '../src/model/media.ts';
import type { MessageHead } from '../src/model/message.ts';
import type { Token } from '../src/model/token.ts';

const WEAK_VERSIONS = new Set(['SSLv3', 'TLSv1', 'TLSv1.0', 'TLSv1.1']);
/** TLS 1.0–1.2 suites with an RSA key exchange (no ECDHE/DHE): a stolen server key decrypts past traffic. */
const NON_FS_SUITES = new Set([
  0x0004, 0x0005, 0x000a, 0x002f, 0x0035, 0x003c, 0x003d, 0x0041, 0x0084, 0x0096, 0x009c, 0x009d, 0x00ba, 0x00c0,
  0xc09c, 0xc09d, 0xc0a0, 0xc0a1,
]);

/** The tls analyzer, watching `watched` (the personal-data analyzers) on plaintext flows. */
export function transportSecurity(watched: readonly Analyzer[]): Analyzer {
  return {
    name: 'tls',
    wants: (head, flow) => head.direction === 'upload' && (flow.tls === 'none' || tlsInfoOf(flow) !== undefined),
    openFlow: (flow) => new TlsFlow(flow, watched),
  };
}

/** The flow's TLS metadata once the source adds it to the flow (FlowUpdate.tlsInfo). */
function tlsInfoOf(flow: FlowInfo): TlsInfo | undefined {
  return (flow as FlowInfo & { tlsInfo?: TlsInfo }).tlsInfo;
}

class TlsFlow implements FlowAnalyzerState {
  readonly #flow: FlowInfo;
  readonly #watched: readonly Analyzer[];
  readonly #perFlow = new Map<string, FlowAnalyzerState | undefined>();
  #weakChecked = false;
  #plaintext: { handle: FindingHandle; seen: Set<string> } | undefined;

  constructor(flow: FlowInfo, watched: readonly Analyzer[]) {
    this.#flow = flow;
    this.#watched = watched;
  }

  message(head: MessageHead, ctx: AnalyzerContext): AnalyzerState | undefined {
    this.#checkWeak(ctx);
    if (this.#flow.tls !== 'none') return undefined;
    const muted = mutedContext(ctx, (input) => this.#found(ctx, input));
    const states: AnalyzerState[] = [];
    for (const a of this.#watched) {
      if (!a.wants(head, this.#flow)) continue;
      const st = a.openFlow ? this.#flowState(a, muted)?.message(head, muted) : a.open?.(muted);
      if (st) states.push(st);
    }
    return states.length === 0 ? undefined : new Fanout(states);
  }

  #flowState(a: Analyzer, muted: AnalyzerContext): FlowAnalyzerState | undefined {
    if (!this.#perFlow.has(a.name)) this.#perFlow.set(a.name, a.openFlow?.(this.#flow, muted));
    return this.#perFlow.get(a.name);
  }

  #found(ctx: AnalyzerContext, input: ReportInput): void {
    const what = `${input.category}/${input.subtype}`;
    if (!this.#plaintext) {
      const handle = ctx.report({
        category: 'tls',
        subtype: 'plaintext-personal-data',
        confidence: 0.95,
        excerpt: input.excerpt,
        streaming: true,
        ...(input.path === undefined ? {} : { path: input.path }),
        detail: { found: what, transport: this.#flow.transport },
      });
      this.#plaintext = { handle, seen: new Set([what]) };
    } else if (!this.#plaintext.seen.has(what)) {
      this.#plaintext.seen.add(what);
      this.#plaintext.handle.update({ detail: { found: [...this.#plaintext.seen].join(',') } });
    }
  }

  #checkWeak(ctx: AnalyzerContext): void {
    const info = tlsInfoOf(this.#flow);
    if (this.#weakChecked || !info?.serverVersion) return;
    this.#weakChecked = true;
    const version = info.serverVersion;
    if (WEAK_VERSIONS.has(version)) {
      ctx.report({
        category: 'tls',
        subtype: 'weak-tls-version',
        confidence: 1,
        excerpt: version,
        detail: { version },
      });
    }
    const cipher = info.cipher === undefined ? Number.NaN : Number.parseInt(info.cipher, 16);
    if (NON_FS_SUITES.has(cipher)) {
      const excerpt = info.cipher as string;
      ctx.report({
        category: 'tls',
        subtype: 'no-forward-secrecy',
        confidence: 1,
        excerpt,
        detail: { cipher: excerpt, version },
      });
    }
  }

  close(): void {
    for (const st of this.#perFlow.values()) st?.close();
  }
}

/** Feeds one message to several analyzer states; done when all are. */
class Fanout implements AnalyzerState {
  readonly #states: AnalyzerState[];
  readonly #done: boolean[];

  constructor(states: AnalyzerState[]) {
    this.#states = states;
    this.#done = states.map(() => false);
  }

  media(info: MediaInfo, chunk: Uint8Array): Verdict {
    return this.#each((s) => s.media?.(info, chunk));
  }

  mediaEnd(info: MediaInfo): Verdict {
    return this.#each((s) => s.mediaEnd?.(info));
  }

  token(t: Token): Verdict {
    return this.#each((s) => s.token?.(t));
  }

  gap(length: number): Verdict {
    return this.#each((s) => s.gap?.(length));
  }

  end(): void {
    for (const s of this.#states) s.end();
  }

  #each(fn: (s: AnalyzerState) => Verdict): Verdict {
    let live = false;
    for (let i = 0; i < this.#states.length; i++) {
      if (this.#done[i]) continue;
      if (fn(this.#states[i] as AnalyzerState) === 'done') this.#done[i] = true;
      else live = true;
    }
    return live ? undefined : 'done';
  }
}

const NO_HANDLE: FindingHandle = { id: '', update() {}, finish() {} };
const NO_EVIDENCE: EvidenceWriter = { id: '', write() {}, end() {} };

/** A context whose reports go to `found` instead of the pipeline, and whose evidence goes nowhere. */
function mutedContext(ctx: AnalyzerContext, found: (input: ReportInput) => void): AnalyzerContext {
  return {
    flow: ctx.flow,
    get head() {
      return ctx.head;
    },
    now: () => ctx.now(),
    report: (input) => {
      found(input);
      return NO_HANDLE;
    },
    openEvidence: () => NO_EVIDENCE,
  };
}

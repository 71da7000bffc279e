/**
 * tls: transport security of flows that carry personal data. `plaintext-personal-data`: once per flow sent
 * without TLS (`tls: 'none'`: plain HTTP, MQTT, WebSocket) on which another analyzer finds personal data going
 * up; it watches their findings through the per-flow `finding` hook, so nothing is analyzed twice, and lists what
 * was found. `weak-tls-version` (SSL 3.0, TLS 1.0, 1.1 chosen by the server) and `no-forward-secrecy` (an RSA
 * key exchange suite) from the flow's TLS metadata (`flow.tlsInfo`, when the source read the handshake).
 * `device-rejected-cert` and `device-accepted-forged-cert` at the flow's open, from the live proxy's certificate
 * check on it (`tlsInfo.certCheck`, kept in a saved capture's notes so its replay says the same): the proxy
 * decides what the device did; this file only words it. Accepting toyscope's own CA is no finding for a device
 * config `tls.caInstalled` lists.
 */
import type { Analyzer, AnalyzerContext, Excerpt, FindingHandle, FlowAnalyzerState } from '../src/model/analyzer.ts';
import { type Finding, isPersonal } from '../src/model/finding.ts';
import type { FlowInfo } from '../src/model/flow.ts';
import type { CertCheck, RejectionCause } from '../src/model/tls.ts';

const WEAK_VERSIONS = new Set(['SSLv3', 'TLSv1', 'TLSv1.0', 'TLSv1.1']);
/** TLS 1.0–1.2 suites with an RSA key exchange (no ECDHE/DHE): a stolen server key decrypts past traffic. */
const NON_FS_SUITES = new Set([
  0x0004, 0x0005, 0x000a, 0x002f, 0x0035, 0x003c, 0x003d, 0x0041, 0x0084, 0x0096, 0x009c, 0x009d, 0x00ba, 0x00c0,
  0xc09c, 0xc09d, 0xc0a0, 0xc0a1,
]);

/** Categories that are personal data: their presence on a plaintext flow is what `plaintext-personal-data` says. */

/** How sure a refusal is, by how it showed: an alert says so; a close or a silence may have other reasons. */
const REFUSAL_CONFIDENCE: Record<RejectionCause, number> = {
  alert: 0.95,
  closed: 0.8,
  'closed-before-data': 0.8,
  timeout: 0.6,
};

export const tls: Analyzer = {
  name: 'tls',
  wants: (head, flow) => head.direction === 'upload' && (flow.tls === 'none' || flow.tlsInfo !== undefined),
  openFlow: (flow, ctx) => new TlsFlow(flow, ctx),
  opened: (flow, report) => {
    const check = flow.tlsInfo?.certCheck;
    if (!check || check.outcome === 'undecided' || (check.outcome === 'accepted' && check.caInstalled)) return;
    const host = flow.server.host ?? flow.server.ip;
    const detail = checkDetail(check);
    if (check.outcome === 'accepted') {
      report({
        category: 'tls',
        subtype: 'device-accepted-forged-cert',
        confidence: 1,
        excerpt: [`accepted a ${check.forgery} certificate for ${host}`],
        detail,
      });
      return;
    }
    const how = check.cause === 'alert' ? `alert ${check.alert}` : (check.cause ?? 'refused');
    report({
      category: 'tls',
      subtype: 'device-rejected-cert',
      confidence: REFUSAL_CONFIDENCE[check.cause ?? 'closed'],
      excerpt: [`refused a ${check.forgery} certificate for ${host} (${how})`],
      detail,
    });
  },
};

function checkDetail(c: CertCheck): Record<string, string | boolean> {
  const d: Record<string, string | boolean> = { forgery: c.forgery, issuer: c.issuer };
  if (c.cause) d.cause = c.cause;
  if (c.alert) d.alert = c.alert;
  if (c.probe) d.probe = true;
  return d;
}

class TlsFlow implements FlowAnalyzerState {
  readonly #flow: FlowInfo;
  readonly #ctx: AnalyzerContext;
  #weakChecked = false;
  #plaintext: { handle: FindingHandle; seen: Set<string> } | undefined;

  constructor(flow: FlowInfo, ctx: AnalyzerContext) {
    this.#flow = flow;
    this.#ctx = ctx;
  }

  message(): undefined {
    this.#checkWeak();
    return undefined;
  }

  finding(f: Finding): void {
    if (this.#flow.tls !== 'none' || f.direction !== 'upload' || !isPersonal(f.category)) return;
    const what = `${f.category}/${f.subtype}`;
    if (!this.#plaintext) {
      const handle = this.#ctx.report({
        category: 'tls',
        subtype: 'plaintext-personal-data',
        confidence: 0.95,
        // The other finding's excerpt: masked as it was (what it showed readable stays readable).
        excerpt: excerptOf(f),
        streaming: true,
        ...(f.path === undefined ? {} : { path: f.path }),
        detail: { found: what, transport: this.#flow.transport },
      });
      this.#plaintext = { handle, seen: new Set([what]) };
    } else if (!this.#plaintext.seen.has(what)) {
      this.#plaintext.seen.add(what);
      this.#plaintext.handle.update({ detail: { found: [...this.#plaintext.seen].join(',') } });
    }
  }

  #checkWeak(): void {
    const info = this.#flow.tlsInfo;
    if (this.#weakChecked || !info?.serverVersion) return;
    this.#weakChecked = true;
    const version = info.serverVersion;
    if (WEAK_VERSIONS.has(version)) {
      this.#ctx.report({
        category: 'tls',
        subtype: 'weak-tls-version',
        confidence: 1,
        excerpt: [version],
        detail: { version },
      });
    }
    const cipher = info.cipher === undefined ? Number.NaN : Number.parseInt(info.cipher, 16);
    if (NON_FS_SUITES.has(cipher)) {
      const excerpt = info.cipher as string;
      this.#ctx.report({
        category: 'tls',
        subtype: 'no-forward-secrecy',
        confidence: 1,
        excerpt: [excerpt],
        detail: { cipher: excerpt, version },
      });
    }
  }

  close(): void {}
}

/** A finding's excerpt for another finding: readable when nothing in it was masked, else one personal value. */
function excerptOf(f: Finding): Excerpt {
  const { excerpt, value } = f.evidence;
  return value === undefined || value === excerpt ? [excerpt] : value;
}

/**
 * HAR export (HTTP Archive 1.2) of stored flows, as browsers, mitmproxy and HTTP Toolkit read it: one entry per HTTP
 * request with its response (heads, times, sizes), a flow's WebSocket messages as Chromium's `_webSocketMessages`
 * on its upgrade entry, `connection` = the flow id so the entries of one flow stay one flow when imported again.
 * The store keeps no bodies: an entry holds a body only where a finding kept evidence that is that whole body (same
 * size and type), and only with `reveal`; `_toyscope` says which flow and messages an entry is, and which evidence
 * the store has for it. Heads and URLs are masked unless `reveal` (heads.ts). MQTT, DNS and raw flows have no HAR
 * form and are counted, not written. It builds entries and JSON text; it does not read the store (the caller hands
 * each flow's messages, findings and evidence) nor write files.
 */
import type { Finding } from '../model/finding.ts';
import type { MsgId } from '../model/flow.ts';
import type { FlowRecord, MessageRecord } from '../model/records.ts';
import { maskHeaders, maskUrl } from './heads.ts';

/** A stored evidence blob as the export needs it. */
export interface HarEvidence {
  id: string;
  mime: string;
  bytes: Uint8Array;
  truncated: boolean;
}

/** What the export reads of one flow. */
export interface HarFlowInput {
  flow: FlowRecord;
  messages: MessageRecord[];
  findings: Finding[];
  /** The evidence blob of an id (from the store), when it is still there. */
  evidence: (id: string) => HarEvidence | undefined;
}

interface HarNameValue {
  name: string;
  value: string;
}

/** What `_toyscope` says about an entry's bodies: where the store kept evidence, and whether it is in the entry. */
interface HarEvidenceNote {
  id: string;
  msgId: MsgId;
  mime: string;
  bytes: number;
  /** The entry carries it as the message's body (it is that whole body, and `reveal` was given). */
  asBody: boolean;
}

export interface HarEntry {
  startedDateTime: string;
  time: number;
  request: Record<string, unknown>;
  response: Record<string, unknown>;
  cache: Record<string, never>;
  timings: { send: number; wait: number; receive: number };
  serverIPAddress: string;
  connection: string;
  _webSocketMessages?: Array<{ type: 'send' | 'receive'; time: number; opcode: number; data: string }>;
  _toyscope: {
    flowId: string;
    deviceId: string;
    transport: string;
    tls: string;
    requestMsgId: MsgId;
    responseMsgId?: MsgId;
    evidence: HarEvidenceNote[];
  };
}

const ms = (us: number) => Math.max(0, Math.round(us) / 1000);
const iso = (us: number) => new Date(Math.floor(us / 1000)).toISOString();
const nameValues = (h: ReadonlyArray<readonly [string, string]>): HarNameValue[] =>
  h.map(([name, value]) => ({ name, value }));

/** A flow has a HAR form when it carried HTTP (WebSocket flows start with their HTTP upgrade). */
export const exportable = (flow: FlowRecord): boolean => flow.transport === 'http' || flow.transport === 'websocket';

/** The HAR entries of one flow, oldest first. */
export function harEntries(input: HarFlowInput, reveal: boolean): HarEntry[] {
  const { messages } = input;
  const responses = new Map<MsgId, MessageRecord>();
  for (const m of messages) if (m.protocol === 'http' && m.requestId !== undefined) responses.set(m.requestId, m);
  const entries: HarEntry[] = [];
  let upgrade: HarEntry | undefined;
  for (const m of messages) {
    if (m.protocol === 'http' && m.direction === 'upload') {
      const entry = httpEntry(input, m, responses.get(m.msgId), reveal);
      if (entry.response.status === 101) upgrade = entry;
      entries.push(entry);
    } else if (m.protocol === 'websocket' && upgrade) {
      upgrade._webSocketMessages ??= [];
      upgrade._webSocketMessages.push({
        type: m.direction === 'upload' ? 'send' : 'receive',
        time: m.firstTs / 1e6,
        opcode: m.topic === 'binary' ? 2 : 1,
        data: '',
      });
    }
  }
  if (upgrade?._webSocketMessages) upgrade._toyscope.transport = 'websocket';
  return entries;
}

function httpEntry(input: HarFlowInput, req: MessageRecord, res: MessageRecord | undefined, reveal: boolean): HarEntry {
  const { flow } = input;
  const notes: HarEvidenceNote[] = [];
  const request: Record<string, unknown> = {
    method: req.method ?? 'GET',
    url: maskUrl(absoluteUrl(flow, req.url ?? '/'), reveal),
    httpVersion: 'HTTP/1.1',
    cookies: [],
    headers: nameValues(maskHeaders(req.headers, reveal)),
    queryString: queryOf(maskUrl(req.url ?? '/', reveal)),
    headersSize: -1,
    bodySize: req.bodyBytes + req.gapBytes,
  };
  const reqBody = body(input, req, reveal, notes);
  if (reqBody) request.postData = { mimeType: req.contentType ?? reqBody.mime, text: reqBody.text, encoding: 'base64' };
  const response: Record<string, unknown> = res
    ? {
        status: res.status ?? 0,
        statusText: '',
        httpVersion: 'HTTP/1.1',
        cookies: [],
        headers: nameValues(maskHeaders(res.headers, reveal)),
        content: { size: res.bodyBytes + res.gapBytes, mimeType: res.mime ?? res.contentType ?? 'x-unknown' },
        redirectURL: '',
        headersSize: -1,
        bodySize: res.bodyBytes + res.gapBytes,
      }
    : {
        status: 0,
        statusText: '',
        httpVersion: '',
        cookies: [],
        headers: [],
        content: { size: 0, mimeType: 'x-unknown' },
        redirectURL: '',
        headersSize: -1,
        bodySize: -1,
      };
  if (res) {
    const resBody = body(input, res, reveal, notes);
    if (resBody) response.content = { ...(response.content as object), text: resBody.text, encoding: 'base64' };
  }
  const end = res ? res.lastTs : req.lastTs;
  return {
    startedDateTime: iso(req.firstTs),
    time: ms(end - req.firstTs),
    request,
    response,
    cache: {},
    timings: {
      send: ms(req.lastTs - req.firstTs),
      wait: res ? ms(res.firstTs - req.lastTs) : 0,
      receive: res ? ms(res.lastTs - res.firstTs) : 0,
    },
    serverIPAddress: flow.server.ip,
    connection: flow.id,
    _toyscope: {
      flowId: flow.id,
      deviceId: flow.deviceId,
      transport: 'http',
      tls: flow.tls,
      requestMsgId: req.msgId,
      ...(res ? { responseMsgId: res.msgId } : {}),
      evidence: notes,
    },
  };
}

/**
 * The body of a message from its evidence, base64, when the evidence is that whole body (its size and type) and
 * `reveal`; every evidence of the message is noted either way.
 */
function body(
  input: HarFlowInput,
  m: MessageRecord,
  reveal: boolean,
  notes: HarEvidenceNote[],
): { text: string; mime: string } | undefined {
  let whole: { text: string; mime: string } | undefined;
  const seen = new Set<string>();
  for (const f of input.findings) {
    const id = f.evidence.evidenceId;
    if (f.msgId !== m.msgId || id === undefined || seen.has(id)) continue;
    seen.add(id);
    const ev = input.evidence(id);
    if (!ev) continue;
    const isBody =
      !ev.truncated && m.gapBytes === 0 && ev.bytes.length === m.bodyBytes && (m.mime ?? ev.mime) === ev.mime;
    const asBody = reveal && isBody && whole === undefined;
    if (asBody) whole = { text: Buffer.from(ev.bytes).toString('base64'), mime: ev.mime };
    notes.push({ id, msgId: m.msgId, mime: ev.mime, bytes: ev.bytes.length, asBody });
  }
  return whole;
}

/** `https://host:port/path` from the flow's server and the request target (an absolute-form target stays). */
function absoluteUrl(flow: FlowRecord, target: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) return target;
  const secure = flow.tls === 'decrypted' || flow.tls === 'intercepted';
  const host = flow.server.host ?? flow.server.ip;
  const name = host.includes(':') ? `[${host}]` : host;
  const port = flow.server.port === (secure ? 443 : 80) || flow.server.port === 0 ? '' : `:${flow.server.port}`;
  return `${secure ? 'https' : 'http'}://${name}${port}${target.startsWith('/') ? '' : '/'}${target}`;
}

/** The query of a (masked) target as HAR name/value pairs. */
function queryOf(target: string): HarNameValue[] {
  const q = target.indexOf('?');
  if (q < 0) return [];
  return target
    .slice(q + 1)
    .split('#')[0]!
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      return eq < 0 ? { name: p, value: '' } : { name: p.slice(0, eq), value: p.slice(eq + 1) };
    });
}

/** The HAR document's text around its entries, so entries can be written one by one. */
export function harHead(version: string): string {
  return `{"log":{"version":"1.2","creator":{"name":"toyscope","version":${JSON.stringify(version)}},"pages":[],"entries":[`;
}
export const HAR_TAIL = ']}}\n';

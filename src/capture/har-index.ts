/**
 * The first pass over a HAR file (HTTP Archive 1.2, as browsers, mitmproxy and HTTP Toolkit write it): what each
 * entry's messages need before their bodies stream in the second pass (har.ts), because a HAR puts it after them —
 * the connection and server address an entry belongs to, when it started and how long it waited and took, and
 * whether its bodies are base64 (`content.encoding` follows `content.text`). Sans-io, streaming, fed the bytes
 * the replay hashes anyway; it keeps a few numbers and short strings per entry, at most MAX_HAR_ENTRIES entries,
 * never a body. It also tells whether the file is a HAR at all.
 */
import { JsonTokenizer } from '../decode/json-tokens.ts';
import type { Micros } from '../model/flow.ts';
import type { Limits } from '../model/limits.ts';
import type { Token } from '../model/token.ts';

/** The bounds of src/model/limits.ts the HAR passes enforce (the tokenizer's own included). */
export type HarLimits = Limits;

/** What the second pass needs to know about one entry before reading it. */
export interface HarEntryMeta {
  /** `startedDateTime` in µs since the epoch (0 when missing or unreadable). */
  started: Micros;
  /** `time`: the whole entry, ms. */
  timeMs: number;
  /** Sum of the non-negative `timings` before the response arrives (blocked, dns, connect, send, wait), ms. */
  waitMs: number;
  /** `serverIPAddress` without IPv6 brackets. */
  serverIp?: string;
  /** `connection`: the id of the TCP connection the browser used (entries sharing it are one flow). */
  connection?: string;
  /** `request.postData` / `response.content` carry base64 (`encoding: "base64"`). */
  requestBase64: boolean;
  responseBase64: boolean;
  /** `request.postData.text` is there: its `params`, if any, say the same again and are not read. */
  requestText: boolean;
  /** `request.postData.mimeType`: what a body rebuilt from `params` is (a form or multipart). */
  requestMime?: string;
}

/** Splits a token path into the entry index and the path inside the entry: `$.log.entries[3].request.url`. */
const ENTRY_PATH = /^\$\.log\.entries\[(\d+)\](?:\.(.*))?$/;

/** The entry index and inner path of a token, or undefined when it is outside `log.entries`. */
export function entryPath(path: string): { index: number; inner: string } | undefined {
  const m = ENTRY_PATH.exec(path);
  return m ? { index: Number(m[1]), inner: m[2] ?? '' } : undefined;
}

const TIMINGS_BEFORE_RESPONSE = new Set(['blocked', 'dns', 'connect', 'send', 'wait']);
const SHORT_TEXT = 256;

/** First pass: bytes of the HAR in, per-entry metadata out (`entries`), `isHar` once `log.entries` or `log.version` is seen. */
export class HarIndex {
  readonly entries: HarEntryMeta[] = [];
  /** Entries past MAX_HAR_ENTRIES: not indexed, and skipped by the second pass. */
  overflow = 0;
  /** The file has `log.version` or `log.entries`: it is a HAR. */
  isHar = false;
  readonly #tokenizer: JsonTokenizer;
  readonly #max: number;
  #lastOverflow = -1;

  /** Malformed JSON is not reported here: the second pass meets it at the same place and reports it once. */
  constructor(limits: HarLimits) {
    this.#max = limits.MAX_HAR_ENTRIES;
    this.#tokenizer = new JsonTokenizer((t) => this.#token(t), { limits, report: () => {} });
  }

  write(chunk: Uint8Array): void {
    this.#tokenizer.write(chunk);
  }

  end(): void {
    this.#tokenizer.end();
  }

  #token(t: Token): void {
    if (t.path === '$.log.version') this.isHar = true;
    const at = entryPath(t.path);
    if (!at) return;
    this.isHar = true;
    if (at.index >= this.#max) {
      if (at.index !== this.#lastOverflow) this.overflow++;
      this.#lastOverflow = at.index;
      return;
    }
    while (this.entries.length <= at.index) {
      this.entries.push({
        started: 0,
        timeMs: 0,
        waitMs: 0,
        requestBase64: false,
        responseBase64: false,
        requestText: false,
      });
    }
    const e = this.entries[at.index] as HarEntryMeta;
    const v = t.value;
    switch (at.inner) {
      case 'startedDateTime': {
        const ms = Date.parse(v);
        e.started = Number.isFinite(ms) ? Math.round(ms * 1000) : 0;
        return;
      }
      case 'time':
        e.timeMs = nonNegative(v);
        return;
      case 'serverIPAddress':
        if (v.length <= SHORT_TEXT) e.serverIp = v.replace(/^\[(.*)\]$/, '$1');
        return;
      case 'connection':
        if (v.length <= SHORT_TEXT) e.connection = v;
        return;
      case 'request.postData.encoding':
      case 'request.postData._encoding':
        e.requestBase64 = v.toLowerCase() === 'base64';
        return;
      case 'response.content.encoding':
        e.responseBase64 = v.toLowerCase() === 'base64';
        return;
      case 'request.postData.text':
        e.requestText = true;
        return;
      case 'request.postData.mimeType':
        if (v.length <= SHORT_TEXT) e.requestMime = v;
        return;
    }
    if (at.inner.startsWith('timings.') && TIMINGS_BEFORE_RESPONSE.has(t.key)) e.waitMs += nonNegative(v);
  }
}

/** A HAR number (-1 means "not applicable") as a non-negative number. */
function nonNegative(v: string): number {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

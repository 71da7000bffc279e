/**
 * Request framing for plain HTTP the proxy forwards itself (explicit proxy requests `GET http://host/…` and, in
 * gateway mode, origin-form requests routed by Host): finds each request head in the device's bytes (bounded:
 * 431 past MAX_HTTP_HEADER_BYTES, 400 when malformed), names its target, rewrites an absolute-form request line to
 * origin-form and drops the hop-by-hop `Proxy-*` fields, then passes the body through untouched, counting
 * Content-Length or following chunked framing only to know where the next head starts. After an Upgrade request
 * everything passes through. Sans-io. It routes; it does not analyze (the stream layer reads what is forwarded).
 */
import { ChunkedDecoder } from '../src/decode/chunked.ts';
import type { Limits } from '../src/model/limits.ts';
import { bodyFraming } from '../src/streams/http1-framing.ts';
import { headerList, type ParsedHead, parseHead } from '../src/streams/http1-head.ts';
import { parseAuthority, type Target } from './target.ts';

/** What the device's bytes amount to, in order. */
export type FramerOutput =
  | { kind: 'head'; target: Target; bytes: Uint8Array; upgrade: boolean }
  | { kind: 'body'; bytes: Uint8Array }
  | { kind: 'error'; status: 400 | 431; message: string };

type RequestHead = Extract<ParsedHead, { kind: 'request' }>;
type State = 'head' | 'length' | 'chunked' | 'through' | 'stopped';

const HOP_BY_HOP = new Set(['proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'keep-alive']);
const NOOP_EVENTS = { data() {} };

export class RequestFramer {
  readonly #limits: Limits;
  /** The port an origin-form request's Host without a port means (80 here; the gateway's original port later). */
  readonly #defaultPort: number;
  #state: State = 'head';
  #head: Buffer = Buffer.alloc(0);
  #remaining = 0;
  #chunked: ChunkedDecoder | undefined;

  constructor(limits: Limits, defaultPort = 80) {
    this.#limits = limits;
    this.#defaultPort = defaultPort;
  }

  /** The device's next bytes; returns what they hold. A returned error stops the framer. */
  write(chunk: Uint8Array): FramerOutput[] {
    const out: FramerOutput[] = [];
    let rest = chunk;
    while (rest.length > 0 && this.#state !== 'stopped') rest = this.#step(rest, out);
    return out;
  }

  #step(bytes: Uint8Array, out: FramerOutput[]): Uint8Array {
    switch (this.#state) {
      case 'head':
        return this.#readHead(bytes, out);
      case 'length': {
        const n = Math.min(this.#remaining, bytes.length);
        out.push({ kind: 'body', bytes: bytes.subarray(0, n) });
        this.#remaining -= n;
        if (this.#remaining === 0) this.#state = 'head';
        return bytes.subarray(n);
      }
      case 'chunked': {
        const dec = this.#chunked!;
        const end = dec.feed(bytes, 0, NOOP_EVENTS);
        if (dec.failure) return this.#fail(out, 400, 'malformed chunked body');
        out.push({ kind: 'body', bytes: bytes.subarray(0, end) });
        if (dec.finished) this.#state = 'head';
        return bytes.subarray(end);
      }
      case 'through':
        out.push({ kind: 'body', bytes });
        return bytes.subarray(bytes.length);
      case 'stopped':
        return bytes.subarray(bytes.length);
    }
  }

  #readHead(bytes: Uint8Array, out: FramerOutput[]): Uint8Array {
    const had = this.#head.length;
    const buf =
      had === 0 ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : Buffer.concat([this.#head, bytes]);
    // Empty lines between requests are allowed (RFC 9112 § 2.2).
    let start = 0;
    while (start < buf.length && (buf[start] === 0x0d || buf[start] === 0x0a)) start++;
    const end = buf.indexOf('\r\n\r\n', start);
    const max = this.#limits.MAX_HTTP_HEADER_BYTES;
    if (end < 0) {
      if (buf.length - start > max) return this.#fail(out, 431, `request head over ${max} bytes`);
      this.#head = Buffer.from(buf.subarray(start));
      return bytes.subarray(bytes.length);
    }
    if (end + 4 - start > max) return this.#fail(out, 431, `request head over ${max} bytes`);
    this.#head = Buffer.alloc(0);
    const parsed = parseHead('request', buf.subarray(start, end + 4));
    if (parsed?.kind !== 'request') return this.#fail(out, 400, 'malformed request head');
    const routed = this.#route(parsed);
    if ('status' in routed) return this.#fail(out, 400, routed.message);
    const framing = bodyFraming(parsed, false);
    if (framing.kind === 'invalid') return this.#fail(out, 400, 'bad body framing (an invalid Content-Length)');
    const upgrade = headerList(parsed.headers, 'upgrade') !== undefined;
    out.push({ kind: 'head', target: routed.target, bytes: rewrite(parsed, routed.path), upgrade });
    if (upgrade) this.#state = 'through';
    else if (framing.kind === 'length') {
      this.#state = 'length';
      this.#remaining = framing.length;
    } else if (framing.kind === 'chunked') {
      this.#state = 'chunked';
      this.#chunked ??= new ChunkedDecoder(this.#limits);
      this.#chunked.reset();
    }
    // The bytes of `bytes` after the head: the head ended at buffer offset end + 4, of which `had` came before.
    return bytes.subarray(end + 4 - had);
  }

  /** The target and origin-form path of a request: from an absolute URI, else from Host. */
  #route(h: RequestHead): { target: Target; path: string } | { status: 400; message: string } {
    if (/^https?:\/\//i.test(h.url)) {
      let url: URL;
      try {
        url = new URL(h.url);
      } catch {
        return { status: 400, message: 'bad absolute URI' };
      }
      if (url.protocol !== 'http:') return { status: 400, message: 'https:// requests must use CONNECT' };
      const host = url.hostname.replace(/^\[|\]$/g, '');
      return { target: { host, port: Number(url.port || 80) }, path: `${url.pathname}${url.search}` };
    }
    if (!h.url.startsWith('/') && h.url !== '*') return { status: 400, message: 'unsupported request target' };
    const host = headerList(h.headers, 'host');
    const target = host ? parseAuthority(host, this.#defaultPort) : undefined;
    if (!target) return { status: 400, message: 'no usable Host header' };
    return { target, path: h.url };
  }

  #fail(out: FramerOutput[], status: 400 | 431, message: string): Uint8Array {
    this.#state = 'stopped';
    out.push({ kind: 'error', status, message });
    return new Uint8Array(0);
  }
}

/** The head as forwarded: origin-form request line, `Proxy-*` fields dropped, a Host field when there was none. */
function rewrite(h: RequestHead, path: string): Uint8Array {
  const lines = [`${h.method} ${path} HTTP/${h.version}`];
  let host = false;
  for (const [name, value] of h.headers) {
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) continue;
    if (lower === 'host') host = true;
    lines.push(`${name}: ${value}`);
  }
  if (!host && /^http:\/\//i.test(h.url)) lines.splice(1, 0, `Host: ${new URL(h.url).host}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

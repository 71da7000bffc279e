/**
 * NSS key log files (what curl, browsers, OpenSSL's keylog callback, mitmproxy and Node's `keylog` event write;
 * also the payload of a pcapng Decryption Secrets Block of type `TLSK`) → the secrets of each TLS session, named
 * by its 32-byte client random. Streaming and bounded: lines are read as they come, a line that does not parse
 * is counted as bad and skipped, never fatal, and at most MAX_TLS_KEYLOG_SESSIONS sessions are kept. It derives
 * no keys (tls-decrypt/key-schedule.ts does) and reads no file (the CLI and the capture reader feed it bytes).
 *
 * Line format: `LABEL <client random, 64 hex> <secret, hex>`, `#` comments and blank lines ignored. Labels:
 * CLIENT_RANDOM (TLS 1.2 master secret, 48 bytes), the TLS 1.3 traffic secrets CLIENT_EARLY_TRAFFIC_SECRET,
 * CLIENT_HANDSHAKE_TRAFFIC_SECRET, SERVER_HANDSHAKE_TRAFFIC_SECRET, CLIENT_TRAFFIC_SECRET_0,
 * SERVER_TRAFFIC_SECRET_0, and EXPORTER_SECRET / EARLY_EXPORTER_SECRET (kept, not needed to decrypt). Other
 * labels (the old `RSA` pre-master form, ECH secrets) are counted as `ignored`.
 */
import { DEFAULT_LIMITS, type Limits } from '../model/limits.ts';

/** The bounds of src/pipeline/limits.ts a key log enforces. */
export type KeyLogLimits = Pick<Limits, 'MAX_TLS_KEYLOG_SESSIONS' | 'MAX_TLS_KEYLOG_LINE_BYTES'>;

/** pcapng Decryption Secrets Block type of a TLS key log ('TLSK'). */
export const DSB_TLS_KEY_LOG = 0x544c534b;

/** The secrets a key log holds for one session; each is present only when a line gave it. */
export interface SessionSecrets {
  /** TLS 1.2 (and earlier) master secret, 48 bytes: label CLIENT_RANDOM. */
  masterSecret?: Uint8Array;
  clientEarlyTraffic?: Uint8Array;
  clientHandshakeTraffic?: Uint8Array;
  serverHandshakeTraffic?: Uint8Array;
  /** TLS 1.3 first application traffic secrets (later ones follow by KeyUpdate). */
  clientTraffic0?: Uint8Array;
  serverTraffic0?: Uint8Array;
  exporter?: Uint8Array;
  earlyExporter?: Uint8Array;
}

const LABELS: Readonly<Record<string, keyof SessionSecrets>> = {
  CLIENT_RANDOM: 'masterSecret',
  CLIENT_EARLY_TRAFFIC_SECRET: 'clientEarlyTraffic',
  CLIENT_HANDSHAKE_TRAFFIC_SECRET: 'clientHandshakeTraffic',
  SERVER_HANDSHAKE_TRAFFIC_SECRET: 'serverHandshakeTraffic',
  CLIENT_TRAFFIC_SECRET_0: 'clientTraffic0',
  SERVER_TRAFFIC_SECRET_0: 'serverTraffic0',
  EXPORTER_SECRET: 'exporter',
  EARLY_EXPORTER_SECRET: 'earlyExporter',
};

/** Counts of what a key log held, for the replay summary and tests. */
export interface KeyLogStats {
  /** Lines read (comments and blank lines included). */
  lines: number;
  /** Secrets kept. */
  secrets: number;
  /** Lines that do not parse: wrong field count, bad hex, a client random not 32 bytes, a secret of 0 or > 64 bytes, too long. */
  bad: number;
  /** Well-formed lines with a label we do not use. */
  ignored: number;
  /** Secrets dropped because MAX_TLS_KEYLOG_SESSIONS sessions were already kept. */
  overflow: number;
}

const HEX = /^[0-9a-fA-F]+$/;
const MAX_SECRET_BYTES = 64;

/** The key log of a run: fed text or bytes (any chunking), asked for a session's secrets by client random. */
export class KeyLog {
  readonly stats: KeyLogStats = { lines: 0, secrets: 0, bad: 0, ignored: 0, overflow: 0 };
  readonly #sessions = new Map<string, SessionSecrets>();
  readonly #maxSessions: number;
  readonly #maxLine: number;
  /** The unfinished last line of what was written so far. */
  #partial = '';
  /** The current line already exceeded the bound: skip to its end. */
  #skipping = false;
  readonly #decoder = new TextDecoder('latin1');

  constructor(limits: KeyLogLimits = DEFAULT_LIMITS) {
    this.#maxSessions = limits.MAX_TLS_KEYLOG_SESSIONS;
    this.#maxLine = limits.MAX_TLS_KEYLOG_LINE_BYTES;
  }

  /** A piece of a key log (bytes or text); lines may span pieces. */
  write(chunk: Uint8Array | string): void {
    const text = typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      this.#piece(text.slice(start, nl), true);
      start = nl + 1;
    }
    this.#piece(text.slice(start), false);
  }

  /** End of one key log: its last line counts even without a newline. */
  end(): void {
    if (this.#partial.length > 0 || this.#skipping) this.#piece('', true);
  }

  /** A whole key log (a DSB's payload, a test's text). */
  add(text: Uint8Array | string): void {
    this.write(text);
    this.end();
  }

  /** The secrets of the session whose ClientHello carried `clientRandom`, or undefined. */
  lookup(clientRandom: Uint8Array): SessionSecrets | undefined {
    return this.#sessions.get(
      Buffer.from(clientRandom.buffer, clientRandom.byteOffset, clientRandom.length).toString('hex'),
    );
  }

  /** Sessions with at least one secret. */
  get size(): number {
    return this.#sessions.size;
  }

  #piece(s: string, ends: boolean): void {
    if (!this.#skipping) {
      if (this.#partial.length + s.length > this.#maxLine) {
        this.#skipping = true;
        this.#partial = '';
      } else this.#partial += s;
    }
    if (!ends) return;
    this.stats.lines++;
    if (this.#skipping) this.stats.bad++;
    else this.#line(this.#partial);
    this.#partial = '';
    this.#skipping = false;
  }

  #line(raw: string): void {
    const line = raw.trim();
    if (line.length === 0 || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    if (fields.length !== 3) {
      this.stats.bad++;
      return;
    }
    const [label, random, secret] = fields as [string, string, string];
    const field = LABELS[label];
    if (field === undefined) {
      if (/^[A-Z0-9_]+$/.test(label)) this.stats.ignored++;
      else this.stats.bad++;
      return;
    }
    const ok =
      random.length === 64 &&
      HEX.test(random) &&
      secret.length % 2 === 0 &&
      secret.length > 0 &&
      secret.length <= 2 * MAX_SECRET_BYTES &&
      HEX.test(secret) &&
      (field !== 'masterSecret' || secret.length === 96);
    if (!ok) {
      this.stats.bad++;
      return;
    }
    const key = random.toLowerCase();
    let entry = this.#sessions.get(key);
    if (entry === undefined) {
      if (this.#sessions.size >= this.#maxSessions) {
        this.stats.overflow++;
        return;
      }
      entry = {};
      this.#sessions.set(key, entry);
    }
    if (entry[field] === undefined) this.stats.secrets++;
    entry[field] = Buffer.from(secret, 'hex');
  }
}

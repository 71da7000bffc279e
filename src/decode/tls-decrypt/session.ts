/**
 * One TLS connection decrypted with logged secrets, sans-io: fed the record bytes of both sides in any chunking,
 * it yields each side's application data in clear, plus what happened (decryption started with version and
 * suite, alerts, KeyUpdate, 0-RTT data left encrypted, violations). TLS 1.3 (HelloRetryRequest, KeyUpdate,
 * handshake and application traffic secrets from the key log) and TLS 1.2 (the master secret of CLIENT_RANDOM,
 * whatever the key exchange; encrypt-then-MAC when both hellos carry it).
 *
 * What stops a side: a gap (record boundaries are lost), a record that fails authentication (a violation), a
 * record header that is not TLS, renegotiation. From then on the side's bytes are only counted as undecrypted;
 * nothing throws. A session without keys, an SSL 3.0 – TLS 1.1 session or a suite not in suites.ts is counted
 * the same way and reported by `status`. Records that need keys before the ServerHello names the suite (TLS 1.3
 * 0-RTT) are held, at most MAX_TLS_HELD_BYTES per side.
 *
 * Not here: reading key log files (tls-keylog.ts), TLS metadata for the flow (tls-metadata.ts), and what the
 * clear bytes mean (the stream layer).
 */

import { DEFAULT_LIMITS, type Limits } from '../../model/limits.ts';
import type { ViolationInput } from '../../model/violation.ts';
import { parseClientHello, parseServerHello } from '../tls-hello.ts';
import type { SessionSecrets } from '../tls-keylog.ts';
import {
  CONTENT_ALERT,
  CONTENT_APPLICATION_DATA,
  CONTENT_CHANGE_CIPHER_SPEC,
  CONTENT_HANDSHAKE,
  HandshakeAssembler,
  type TlsSide,
} from '../tls-records.ts';
import { tls12KeyBlock, tls13NextSecret, tls13TrafficKeys } from './key-schedule.ts';
import { RecordFramer } from './record-framer.ts';
import { type RecordOpener, recordOpener } from './record-protection.ts';
import { type CipherSuite, cipherSuite } from './suites.ts';

/** The bounds of src/pipeline/limits.ts a session enforces. */
export type TlsDecryptLimits = Pick<Limits, 'MAX_TLS_HANDSHAKE_BYTES' | 'MAX_TLS_HELD_BYTES'>;

/** Finds the logged secrets of a session by its client random (KeyLog.lookup). */
export type KeyLookup = (clientRandom: Uint8Array) => SessionSecrets | undefined;

/** The version and suite of a session being decrypted. */
export interface DecryptInfo {
  version: 'TLSv1.2' | 'TLSv1.3';
  /** IANA code of the suite. */
  cipher: number;
  /** Its IANA name without `TLS_`, e.g. `AES_128_GCM_SHA256`. */
  suite: string;
}

/**
 * Where a session stands: reading the hellos; decrypting (a record opened with the logged keys); or not
 * decrypted because the key log has no keys for it, its version or suite is not supported, or its first
 * protected record failed authentication (wrong keys).
 */
export type DecryptStatus = 'handshake' | 'decrypting' | 'no-keys' | 'unsupported' | 'failed';

/** What a session reports, in wire order per side. */
export interface TlsDecryptEvents {
  /** The first protected record opened: the session is decrypted from here on. Once. */
  decrypting(info: DecryptInfo): void;
  /** Application data in clear (a view valid during the call). */
  data(side: TlsSide, bytes: Uint8Array): void;
  /** An alert, clear or decrypted. */
  alert(side: TlsSide, level: number, description: number): void;
  /** A TLS 1.3 KeyUpdate: the side's later records use the next traffic secret. */
  keyUpdate(side: TlsSide): void;
  /** A TLS 1.3 0-RTT record the session does not decrypt: its size on the wire. */
  earlyData(length: number): void;
  violation(v: ViolationInput): void;
}

/** TLS 1.3 phase of a side: 0-RTT possible, handshake keys, application keys. */
type Phase = 'early' | 'handshake' | 'application';

interface Side {
  readonly name: TlsSide;
  readonly records: RecordFramer;
  readonly hs: HandshakeAssembler;
  opener: RecordOpener | undefined;
  /** TLS 1.2: ChangeCipherSpec seen, later records are protected. */
  ccs: boolean;
  phase: Phase;
  /** TLS 1.3 current traffic secret (for KeyUpdate). */
  secret: Uint8Array | undefined;
  /** Records waiting for the ServerHello: [header, body]. */
  held: Array<[Uint8Array, Uint8Array]>;
  heldBytes: number;
  /** Offset of this side's stream consumed so far (violations). */
  offset: number;
  stopped: boolean;
  /** Application data bytes delivered in clear. */
  decrypted: number;
  /** Bytes of this side not decrypted: records without keys, after a stop, 0-RTT, a truncated tail. */
  undecrypted: number;
}

const HS_CLIENT_HELLO = 1;
const HS_SERVER_HELLO = 2;
const HS_FINISHED = 20;
const HS_KEY_UPDATE = 24;
const HS_HELLO_REQUEST = 0;
const EXT_ENCRYPT_THEN_MAC = 22;
const EXT_EARLY_DATA = 42;

/** A copy (Buffer#slice is a view, not a copy). */
const copy = (b: Uint8Array): Uint8Array => new Uint8Array(b);

const newSide = (name: TlsSide, maxHandshake: number): Side => ({
  name,
  records: new RecordFramer(),
  hs: new HandshakeAssembler(maxHandshake),
  opener: undefined,
  ccs: false,
  phase: 'handshake',
  secret: undefined,
  held: [],
  heldBytes: 0,
  offset: 0,
  stopped: false,
  decrypted: 0,
  undecrypted: 0,
});

export class TlsDecryptSession {
  /** Where the session stands (see {@link DecryptStatus}). */
  status: DecryptStatus = 'handshake';
  /** Version and suite once the ServerHello named them (also when there are no keys). */
  info: DecryptInfo | undefined;
  readonly #ev: TlsDecryptEvents;
  readonly #keys: KeyLookup;
  readonly #maxHeld: number;
  readonly #sides: Record<TlsSide, Side>;
  #clientRandom: Uint8Array | undefined;
  #offersEarlyData = false;
  #offersEtm = false;
  #suite: CipherSuite | undefined;
  /** The version the ServerHello chose (0x0303 = TLS 1.2, 0x0304 = TLS 1.3); 0 until then. */
  #version = 0;
  #secrets: SessionSecrets | undefined;
  /** The ServerHello has set up keys (or found there are none): held records can go. */
  #keysKnown = false;

  constructor(keys: KeyLookup, events: TlsDecryptEvents, limits: TlsDecryptLimits = DEFAULT_LIMITS) {
    this.#keys = keys;
    this.#ev = events;
    this.#maxHeld = limits.MAX_TLS_HELD_BYTES;
    this.#sides = {
      client: newSide('client', limits.MAX_TLS_HANDSHAKE_BYTES),
      server: newSide('server', limits.MAX_TLS_HANDSHAKE_BYTES),
    };
  }

  /** Bytes of one side (`client` = device → cloud), any chunking; `chunk` may be a view the caller reuses. */
  write(side: TlsSide, chunk: Uint8Array): void {
    const s = this.#sides[side];
    const taken = s.stopped
      ? 0
      : s.records.write(
          chunk,
          (header, body) => {
            s.offset += header.length + body.length;
            this.#record(s, header, body);
            return !s.stopped;
          },
          (header) => this.#stop(s, 'bad-record-header', header),
        );
    if (s.stopped) s.undecrypted += chunk.length - taken;
  }

  /** Bytes of one side are missing: its record boundaries are lost, it is decrypted no further. */
  gap(side: TlsSide, length: number): void {
    const s = this.#sides[side];
    if (!s.stopped) this.#stop(s);
    s.undecrypted += length;
  }

  /** End of the connection: a partial record or held records are counted as undecrypted. */
  end(): void {
    this.#idle();
  }

  /** Clear application bytes delivered per side. */
  get decrypted(): Record<TlsSide, number> {
    return { client: this.#sides.client.decrypted, server: this.#sides.server.decrypted };
  }

  /** Bytes per side that could not be decrypted (see Side.undecrypted). */
  get undecrypted(): Record<TlsSide, number> {
    return { client: this.#sides.client.undecrypted, server: this.#sides.server.undecrypted };
  }

  #record(s: Side, header: Uint8Array, body: Uint8Array): void {
    const type = header[0] as number;
    const protectedRecord = type === CONTENT_APPLICATION_DATA || s.ccs;
    if (!this.#keysKnown && s.name === 'client' && this.#clientRandom !== undefined) {
      // After its ClientHello, a client's records (0-RTT data, or all of them when the capture delivers the
      // client's side first) wait for the ServerHello to tell the version and keys.
      this.#hold(s, header, body);
      return;
    }
    if (protectedRecord && !this.#keysKnown) {
      s.undecrypted += header.length + body.length;
      return;
    }
    if (protectedRecord) this.#protected(s, header, body);
    else this.#clear(s, type, body);
  }

  #hold(s: Side, header: Uint8Array, body: Uint8Array): void {
    s.heldBytes += header.length + body.length;
    if (s.heldBytes > this.#maxHeld) {
      this.#stop(s, 'held-too-long', `${s.heldBytes} bytes waited for the ServerHello`);
      return;
    }
    s.held.push([copy(header), copy(body)]); // the caller's chunk may be reused
  }

  #clear(s: Side, type: number, body: Uint8Array): void {
    if (type === CONTENT_HANDSHAKE) {
      s.hs.push(copy(body)); // kept until the message is whole; the caller's chunk may be reused
      this.#handshakeMessages(s, false);
    } else if (type === CONTENT_ALERT) this.#alerts(s, body);
    else if (type === CONTENT_CHANGE_CIPHER_SPEC) {
      // TLS ≤ 1.2 switches this side to protected records; TLS 1.3 sends it for middleboxes only.
      if (this.#version !== 0 && this.#version < 0x0304) s.ccs = true;
    }
    // Heartbeat (24) in clear: nothing to read.
  }

  #protected(s: Side, header: Uint8Array, body: Uint8Array): void {
    const opener = s.opener;
    if (opener === undefined) {
      s.undecrypted += header.length + body.length;
      return;
    }
    const opened = opener.open(header, body);
    if (typeof opened === 'string') {
      if (s.phase === 'early' && opened === 'auth-failed') {
        s.undecrypted += header.length + body.length;
        this.#ev.earlyData(header.length + body.length);
        return;
      }
      if (this.status === 'handshake') this.status = 'failed';
      this.#stop(s, opened === 'auth-failed' ? 'auth-failed' : 'bad-protected-record', `${body.length}-byte record`);
      s.undecrypted += header.length + body.length;
      return;
    }
    if (s.phase === 'early') s.phase = 'handshake';
    if ((this.status === 'handshake' || this.status === 'failed') && this.info) {
      this.status = 'decrypting';
      this.#ev.decrypting(this.info);
    }
    const { type, data } = opened;
    if (type === CONTENT_APPLICATION_DATA) {
      s.decrypted += data.length;
      if (data.length > 0) this.#ev.data(s.name, data);
    } else if (type === CONTENT_HANDSHAKE) {
      s.hs.push(data);
      this.#handshakeMessages(s, true);
    } else if (type === CONTENT_ALERT) this.#alerts(s, data);
    else if (type === CONTENT_CHANGE_CIPHER_SPEC) this.#stop(s, 'renegotiation', 'ChangeCipherSpec inside the session');
  }

  /** Whole handshake messages of a side; a message never spans the clear / protected boundary. */
  #handshakeMessages(s: Side, fromProtected: boolean): void {
    for (let m = s.hs.next(); m !== undefined && !s.stopped; m = s.hs.next()) {
      if (m.body === undefined) continue;
      if (fromProtected) this.#protectedHandshake(s, m.type);
      else this.#clearHandshake(s, m.type, m.body);
    }
  }

  #clearHandshake(s: Side, type: number, body: Uint8Array): void {
    if (s.name === 'client' && type === HS_CLIENT_HELLO && this.#clientRandom === undefined) {
      const h = parseClientHello(body);
      if ('error' in h) {
        this.#violation(s, h.error, 'ClientHello');
        return;
      }
      this.#clientRandom = copy(h.random);
      this.#offersEarlyData = h.extensions.includes(EXT_EARLY_DATA);
      this.#offersEtm = h.extensions.includes(EXT_ENCRYPT_THEN_MAC);
    } else if (s.name === 'server' && type === HS_SERVER_HELLO && !this.#keysKnown) this.#serverHello(body);
  }

  #protectedHandshake(s: Side, type: number): void {
    if (this.#version < 0x0304) {
      if (type === HS_HELLO_REQUEST || type === HS_CLIENT_HELLO || type === HS_SERVER_HELLO) {
        this.#stop(s, 'renegotiation', 'a new handshake inside the session is not decrypted');
      }
      return;
    }
    const suite = this.#suite as CipherSuite;
    if (type === HS_FINISHED && s.phase !== 'application') {
      const secret = s.name === 'client' ? this.#secrets?.clientTraffic0 : this.#secrets?.serverTraffic0;
      s.phase = 'application';
      this.#rekey(s, suite, secret);
    } else if (type === HS_KEY_UPDATE && s.phase === 'application' && s.secret) {
      this.#rekey(s, suite, tls13NextSecret(suite, s.secret));
      this.#ev.keyUpdate(s.name);
    }
  }

  /** TLS 1.3: the side's next records use `secret`; without it (not logged) they are counted undecrypted. */
  #rekey(s: Side, suite: CipherSuite, secret: Uint8Array | undefined): void {
    s.secret = secret;
    s.opener = secret ? recordOpener(suite, tls13TrafficKeys(suite, secret)) : undefined;
  }

  #serverHello(body: Uint8Array): void {
    const server = this.#sides.server;
    const h = parseServerHello(body);
    if ('error' in h) {
      this.#violation(server, h.error, 'ServerHello');
      this.#keysKnown = true;
      this.status = 'unsupported';
      this.#idle();
      return;
    }
    if (h.helloRetry) return; // the next ServerHello names the keys
    this.#keysKnown = true;
    this.#version = h.version;
    const suite = cipherSuite(h.cipher);
    const version = h.version === 0x0304 ? 'TLSv1.3' : h.version === 0x0303 ? 'TLSv1.2' : undefined;
    if (suite && version) this.info = { version, cipher: h.cipher, suite: suite.name };
    const secrets = this.#clientRandom ? this.#keys(this.#clientRandom) : undefined;
    if (!version || !suite || suite.family !== (version === 'TLSv1.3' ? 13 : 12)) this.status = 'unsupported';
    else if (version === 'TLSv1.3' && secrets?.serverHandshakeTraffic && secrets.clientHandshakeTraffic) {
      this.#suite = suite;
      this.#secrets = secrets;
      this.#rekey(server, suite, secrets.serverHandshakeTraffic);
      const client = this.#sides.client;
      this.#rekey(client, suite, secrets.clientHandshakeTraffic);
      if (this.#offersEarlyData) client.phase = 'early';
    } else if (version === 'TLSv1.2' && secrets?.masterSecret && this.#clientRandom) {
      this.#suite = suite;
      this.#secrets = secrets;
      const etm = suite.protection === 'cbc' && this.#offersEtm && h.extensions.includes(EXT_ENCRYPT_THEN_MAC);
      const block = tls12KeyBlock(suite, secrets.masterSecret, this.#clientRandom, h.random);
      server.opener = recordOpener(suite, block.server, etm);
      this.#sides.client.opener = recordOpener(suite, block.client, etm);
    } else this.status = 'no-keys';
    this.#release(this.#sides.client);
    if (this.status === 'no-keys' || this.status === 'unsupported') this.#idle();
  }

  /** Nothing will be decrypted (no keys, unsupported): both sides only count from here on, holding nothing. */
  #idle(): void {
    for (const s of [this.#sides.client, this.#sides.server]) if (!s.stopped) this.#stop(s);
  }

  /** Records held until the ServerHello, processed now in order. */
  #release(s: Side): void {
    const held = s.held;
    s.held = [];
    s.heldBytes = 0;
    for (const [header, body] of held) {
      if (s.stopped) s.undecrypted += header.length + body.length;
      else this.#record(s, header, body);
    }
  }

  #alerts(s: Side, body: Uint8Array): void {
    for (let i = 0; i + 1 < body.length; i += 2) this.#ev.alert(s.name, body[i] as number, body[i + 1] as number);
  }

  #violation(s: Side, code: string, message: string): void {
    this.#ev.violation({ decoder: 'tls-decrypt', code, message: `${s.name}: ${message}`, offset: s.offset });
  }

  /** Stops a side: what it holds and everything later is counted as undecrypted; `code` makes it a violation. */
  #stop(s: Side, code?: string, message?: string): void {
    if (code) this.#violation(s, code, message ?? code);
    s.stopped = true;
    s.undecrypted += s.records.pending + s.heldBytes;
    s.records.reset();
    s.held = [];
    s.heldBytes = 0;
  }
}

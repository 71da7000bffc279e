/**
 * The stream handler for a TLS connection. Both directions feed TlsMetadata, reported as `flow.update` events —
 * the SNI as `server.host` as soon as the ClientHello is read, the TLS metadata snapshot (`tlsInfo`), and
 * `tls: 'device-rejected-cert'` when the client refused the certificate. Without keys (a capture without a key
 * log, a passthrough) nothing more: no messages are emitted.
 *
 * With logged keys (`decrypt`: replay's `--keylog` and pcapng DSB secrets) the bytes also feed a
 * TlsDecryptSession: once a record opens, the flow becomes `tls: 'decrypted'`, and each side's clear bytes go to
 * a stream of their own (`decrypt.clear()`, the router's protocol decision), so HTTP, WebSocket and MQTT inside
 * are read by the same handlers as in clear. `tlsInfo.decryption` says how decryption went; what could not be
 * read (0-RTT data, a side cut by a gap, records failing authentication) is reported as violations.
 */
import type { KeyLookup, TlsDecryptEvents } from '../decode/tls-decrypt/session.ts';
import { TlsDecryptSession } from '../decode/tls-decrypt/session.ts';
import { TlsMetadata } from '../decode/tls-metadata.ts';
import type { TlsRecordLimits, TlsSide } from '../decode/tls-records.ts';
import type { FlowUpdate } from '../model/events.ts';
import type { FlowId, Micros, ServerEndpoint } from '../model/flow.ts';
import type { Limits } from '../model/limits.ts';
import type { TlsDecryption as TlsDecryptionState, TlsInfo } from '../model/tls.ts';
import type { ViolationInput } from '../model/violation.ts';
import type { CloseReason, EmitEvent, StreamDir, StreamHandler } from './types.ts';

/** Keys to decrypt with, and where the clear bytes go (given the SNI host when the ClientHello named one). */
export interface TlsDecryption {
  keys: KeyLookup;
  clear: (host: string | undefined) => StreamHandler;
}

export interface TlsStreamEnv {
  flowId: FlowId;
  emit: EmitEvent;
  report: (v: ViolationInput, ts: Micros) => void;
  /** The flow's server endpoint as opened (the SNI is added to it). */
  server: ServerEndpoint;
  /** The TLS scan and decryption bounds; default DEFAULT_LIMITS. */
  limits?: TlsRecordLimits & Pick<Limits, 'MAX_TLS_HELD_BYTES'>;
  /** Decrypt with logged keys; absent: metadata only. */
  decrypt?: TlsDecryption | undefined;
  /**
   * TLS metadata the caller already held (ConnectionSpec.tlsInfo: a saved interception's note): its fields win
   * over what these bytes show, so a device leg saved with `--save-tls` keeps the cloud's version, cipher and
   * certificate, not the proxy's own leg's.
   */
  tlsInfo?: TlsInfo | undefined;
}

const dirOf = (side: TlsSide): StreamDir => (side === 'client' ? 'up' : 'down');
const sideOf = (dir: StreamDir): TlsSide => (dir === 'up' ? 'client' : 'server');

export class TlsStream implements StreamHandler {
  readonly #env: TlsStreamEnv;
  readonly #meta: TlsMetadata;
  readonly #session: TlsDecryptSession | undefined;
  /** The decrypted streams' handler, from the first record that opened. */
  #clear: StreamHandler | undefined;
  #decryption: TlsDecryptionState | undefined;
  #now: Micros = 0;
  #hostSent = false;
  #rejectedSent = false;
  #decryptedSent = false;
  readonly #cut = { up: false, down: false };

  constructor(env: TlsStreamEnv) {
    this.#env = env;
    this.#meta = new TlsMetadata((v) => env.report(v, this.#now), env.limits);
    if (env.decrypt) this.#session = new TlsDecryptSession(env.decrypt.keys, this.#events(env.decrypt), env.limits);
  }

  data(dir: StreamDir, bytes: Uint8Array, ts: Micros): void {
    this.#now = ts;
    if (!this.#meta.done) this.#meta.write(sideOf(dir), bytes);
    this.#session?.write(sideOf(dir), bytes);
    this.#flush(ts);
  }

  /** A gap ends decryption of that side: the clear stream's message in progress gets it, a violation says so. */
  gap(dir: StreamDir, length: number, ts: Micros): void {
    this.#now = ts;
    this.#meta.stop(sideOf(dir));
    const session = this.#session;
    if (!session) return;
    const reading = session.status === 'handshake' || session.status === 'decrypting';
    session.gap(sideOf(dir), length);
    if (!reading || this.#cut[dir]) return;
    this.#cut[dir] = true;
    this.#clear?.gap(dir, length, ts);
    this.#env.report({ decoder: 'tls-decrypt', code: 'gap', message: `${dir}: not decrypted past a gap` }, ts);
  }

  close(ts: Micros, reason: CloseReason): void {
    this.#now = ts;
    this.#session?.end();
    this.#clear?.close(ts, reason);
    this.#flush(ts);
  }

  #events(decrypt: TlsDecryption): TlsDecryptEvents {
    return {
      decrypting: () => {
        this.#clear = decrypt.clear(this.#meta.info.sni);
        this.#flush(this.#now); // tls: 'decrypted' before the first message of the clear stream
      },
      data: (side, bytes) => this.#clear?.data(dirOf(side), bytes, this.#now),
      alert: () => {},
      keyUpdate: () => {},
      earlyData: (length) =>
        this.#env.report(
          { decoder: 'tls-decrypt', code: 'early-data-not-decrypted', message: `${length} bytes of 0-RTT data` },
          this.#now,
        ),
      violation: (v) => this.#env.report(v, this.#now),
    };
  }

  /** How decryption stands for `tlsInfo`: undefined while the hellos are still being read (or without keys). */
  #decryptionNow(): TlsDecryptionState | undefined {
    const status = this.#session?.status;
    if (status === undefined || status === 'handshake') return undefined;
    return status === 'decrypting' ? 'decrypted' : status;
  }

  #flush(ts: Micros): void {
    const decryption = this.#decryptionNow();
    const changed = this.#meta.takeChanged() || decryption !== this.#decryption;
    if (!changed) return;
    this.#decryption = decryption;
    const seen = this.#env.tlsInfo ? { ...this.#meta.info, ...this.#env.tlsInfo } : this.#meta.info;
    const info: TlsInfo = decryption ? { ...seen, decryption } : seen;
    const update: FlowUpdate = { tlsInfo: info };
    if (info.sni && !this.#hostSent) {
      this.#hostSent = true;
      update.server = { ...this.#env.server, host: info.sni };
    }
    if (this.#meta.rejected && !this.#rejectedSent) {
      this.#rejectedSent = true;
      update.tls = 'device-rejected-cert';
    } else if (decryption === 'decrypted' && !this.#decryptedSent) {
      this.#decryptedSent = true;
      update.tls = 'decrypted';
    }
    this.#env.emit({ ts, type: 'flow.update', flowId: this.#env.flowId, update });
  }
}

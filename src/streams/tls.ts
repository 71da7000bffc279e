/**
 * The stream handler for a TLS connection whose payload is not read (a capture without keys, a passthrough):
 * feeds both directions to TlsMetadata and reports what it learns as `flow.update` events — the SNI as
 * `server.host` as soon as the ClientHello is read, the TLS metadata snapshot (`tlsInfo`), and
 * `tls: 'device-rejected-cert'` when the client refused the certificate. No messages are emitted.
 */
import { TlsMetadata } from '../decode/tls-metadata.ts';
import type { TlsRecordLimits } from '../decode/tls-records.ts';
import type { FlowUpdate } from '../model/events.ts';
import type { FlowId, Micros, ServerEndpoint } from '../model/flow.ts';
import type { ViolationInput } from '../model/violation.ts';
import type { EmitEvent, StreamDir, StreamHandler } from './types.ts';

export interface TlsStreamEnv {
  flowId: FlowId;
  emit: EmitEvent;
  report: (v: ViolationInput, ts: Micros) => void;
  /** The flow's server endpoint as opened (the SNI is added to it). */
  server: ServerEndpoint;
  /** The TLS scan bounds; default DEFAULT_LIMITS. */
  limits?: TlsRecordLimits;
}

export class TlsStream implements StreamHandler {
  readonly #env: TlsStreamEnv;
  readonly #meta: TlsMetadata;
  #now: Micros = 0;
  #hostSent = false;
  #rejectedSent = false;

  constructor(env: TlsStreamEnv) {
    this.#env = env;
    this.#meta = new TlsMetadata((v) => env.report(v, this.#now), env.limits);
  }

  data(dir: StreamDir, bytes: Uint8Array, ts: Micros): void {
    if (this.#meta.done) return;
    this.#now = ts;
    this.#meta.write(dir === 'up' ? 'client' : 'server', bytes);
    this.#flush(ts);
  }

  gap(dir: StreamDir): void {
    this.#meta.stop(dir === 'up' ? 'client' : 'server');
  }

  close(): void {}

  #flush(ts: Micros): void {
    if (!this.#meta.takeChanged()) return;
    const info = this.#meta.info;
    const update: FlowUpdate = { tlsInfo: info };
    if (info.sni && !this.#hostSent) {
      this.#hostSent = true;
      update.server = { ...this.#env.server, host: info.sni };
    }
    if (this.#meta.rejected && !this.#rejectedSent) {
      this.#rejectedSent = true;
      update.tls = 'device-rejected-cert';
    }
    this.#env.emit({ ts, type: 'flow.update', flowId: this.#env.flowId, update });
  }
}

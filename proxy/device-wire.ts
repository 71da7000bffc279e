/**
 * `--save-tls`: the device leg's TLS as it crossed the wire. A DeviceWire stands between the device's socket and
 * the proxy's TLSSocket toward the device, sees every byte each way (ClientHello included: it was unshifted
 * back into the socket before) and takes the leg's secrets (the TLSSocket's `keylog` lines). It holds them until
 * a consumer attaches (the connection's tap opens only after the handshake), then hands each on as it comes.
 * Node then runs that leg's TLS over a JavaScript stream instead of the socket's own handle, which costs relay
 * speed: the proxy makes one only when asked. Not here: writing them (save.ts), the plaintext (relay.ts).
 */
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { Micros } from '../src/model/flow.ts';
import type { StreamDir } from '../src/streams/types.ts';
import { nowMicros } from './tap.ts';

/** Where a device leg's wire bytes and secrets go once attached. Synchronous, must not keep the chunks. */
export interface WireSink {
  /** TLS bytes as they crossed: `up` from the device, `down` to it. */
  data(dir: StreamDir, bytes: Uint8Array, ts: Micros): void;
  /** One NSS key log line (with its newline) of this leg. */
  secret(line: Uint8Array): void;
}

type Held = { dir: StreamDir; bytes: Uint8Array; ts: Micros } | { line: Uint8Array };

export class DeviceWire {
  /** The stream to run the device's TLS over (instead of the socket). */
  readonly stream: Duplex;
  /** When the first byte crossed (the ClientHello), so a saved connection starts before its handshake. */
  firstTs: Micros | undefined;
  /** What crossed before a sink attached: the handshake, bounded by the handshake timeout and TLS flow control. */
  #held: Held[] | undefined = [];
  #sink: WireSink | undefined;

  constructor(socket: Socket) {
    const seen = (dir: StreamDir, bytes: Buffer) => this.#data(dir, bytes);
    this.stream = new Duplex({
      allowHalfOpen: true,
      read: () => socket.resume(),
      write(chunk: Buffer, _enc, cb) {
        seen('down', chunk);
        socket.write(chunk, (err) => cb(err ?? null));
      },
      final(cb) {
        socket.end();
        cb();
      },
      destroy(err, cb) {
        socket.destroy();
        cb(err);
      },
    });
    socket.on('data', (b: Buffer) => {
      seen('up', b);
      if (!this.stream.push(b)) socket.pause();
    });
    socket.on('end', () => this.stream.push(null));
    socket.on('error', (err) => this.stream.destroy(err));
    socket.on('close', () => this.stream.destroy());
  }

  /** A secret of this leg (the TLSSocket's `keylog` event). */
  readonly secret = (line: Buffer): void => {
    if (this.#sink) this.#sink.secret(line);
    else this.#held?.push({ line: Buffer.from(line) });
  };

  /** Hands what was held to `sink` (secrets first), then everything as it comes, until `detach`. */
  attach(sink: WireSink): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const h of held) if ('line' in h) sink.secret(h.line);
    for (const h of held) if ('dir' in h) sink.data(h.dir, h.bytes, h.ts);
    this.#sink = sink;
  }

  /** Nothing more is handed on or held (the connection's tap closed). */
  detach(): void {
    this.#sink = undefined;
    this.#held = undefined;
  }

  #data(dir: StreamDir, bytes: Buffer): void {
    const ts = nowMicros();
    this.firstTs ??= ts;
    if (this.#sink) this.#sink.data(dir, bytes, ts);
    else this.#held?.push({ dir, bytes: Buffer.from(bytes), ts });
  }
}

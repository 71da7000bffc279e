/**
 * The plumbing shared by message-level stream handlers (MQTT, WebSocket): each direction of the connection
 * feeds its own sans-io decoder, and the time of the bytes being decoded is kept for the events the decoders'
 * sinks emit. Not a protocol: subclasses create the decoders and turn their callbacks into FlowEvents.
 */
import type { Micros } from '../model/flow.ts';
import type { StreamDir, StreamHandler } from './types.ts';

/** What a per-direction decoder takes. */
export interface DirectionDecoder {
  write(bytes: Uint8Array): void;
  gap(length: number): void;
  end(): void;
}

export abstract class PerDirectionStream<D extends DirectionDecoder> implements StreamHandler {
  /** Capture time of the bytes being decoded: the `ts` of the events the sinks emit. */
  protected ts: Micros = 0;
  protected abstract readonly decoders: Record<StreamDir, D>;

  data(dir: StreamDir, bytes: Uint8Array, ts: Micros): void {
    this.ts = ts;
    this.decoders[dir].write(bytes);
  }

  gap(dir: StreamDir, length: number, ts: Micros): void {
    this.ts = ts;
    this.decoders[dir].gap(length);
  }

  close(ts: Micros): void {
    this.ts = ts;
    this.decoders.up.end();
    this.decoders.down.end();
  }
}

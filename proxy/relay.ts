/**
 * Relays one connection both ways with backpressure: each chunk read from one side is handed to the tap
 * (synchronously, a view, never copied or kept) and written to the other side; when a write is refused the
 * reading side pauses until the other drains, so a slow cloud slows the device and memory stays flat whatever
 * the size. Half-closes pass through (a FIN one way ends that way only). The relay ends once both ways ended or
 * either side failed; the tap is closed once with how it ended. Not here: connecting, TLS, HTTP.
 */
import type { Duplex } from 'node:stream';
import type { FlowError } from '../src/model/flow.ts';
import type { StreamDir } from '../src/streams/types.ts';
import { type FlowTap, nowMicros, type TapEnd } from './tap.ts';

/** Counters of a finished relay. */
export interface RelayResult {
  bytesUp: number;
  bytesDown: number;
  end: TapEnd;
}

export interface RelayOptions {
  /** Called once when both sides are done (the tap was already closed). */
  done?: (r: RelayResult) => void;
  /** A tap that throws is switched off for this connection (the bytes still flow) and reported here. */
  tapFailed?: (err: unknown) => void;
}

/** Starts relaying `device` ⇄ `cloud`; bytes already read from either must have been handed over (unshift). */
export function relay(device: Duplex, cloud: Duplex, tap: FlowTap, opts: RelayOptions = {}): void {
  const counts = { up: 0, down: 0 };
  let tapOn = true;
  let ended = 0;
  let finished = false;
  let failure: TapEnd | undefined;

  const feed = (dir: StreamDir, chunk: Buffer) => {
    counts[dir] += chunk.length;
    if (!tapOn) return;
    try {
      tap.data(dir, chunk, nowMicros());
    } catch (err) {
      tapOn = false;
      opts.tapFailed?.(err);
    }
  };

  const finish = () => {
    if (finished) return;
    finished = true;
    device.destroy();
    cloud.destroy();
    const end: TapEnd = failure ?? { reason: 'fin' };
    if (tapOn) {
      try {
        tap.close(nowMicros(), end);
      } catch (err) {
        opts.tapFailed?.(err);
      }
    }
    opts.done?.({ bytesUp: counts.up, bytesDown: counts.down, end });
  };

  const pump = (src: Duplex, dst: Duplex, dir: StreamDir) => {
    src.on('data', (chunk: Buffer) => {
      feed(dir, chunk);
      if (!dst.write(chunk)) src.pause();
    });
    dst.on('drain', () => src.resume());
    src.on('end', () => {
      dst.end();
      if (++ended === 2) finish();
    });
    src.resume(); // a socket paused by readSome() stays paused when a 'data' listener is added
  };

  const fail = (side: 'device' | 'cloud') => (err: NodeJS.ErrnoException) => {
    failure ??= endOf(side, err);
    finish();
  };
  device.on('error', fail('device'));
  cloud.on('error', fail('cloud'));
  // A side closed without an error and without ending its reading half (destroyed elsewhere) ends the relay.
  device.on('close', () => setImmediate(finish));
  cloud.on('close', () => setImmediate(finish));
  pump(device, cloud, 'up');
  pump(cloud, device, 'down');
  // Either side may have been paused while its first bytes were peeked: adding listeners does not resume it.
  device.resume();
  cloud.resume();
}

/** A socket error as the flow records it: a reset by either side, or another failure. */
export function endOf(side: 'device' | 'cloud', err: NodeJS.ErrnoException): TapEnd {
  const who = side === 'device' ? 'the device' : 'the cloud';
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE') {
    return { reason: 'rst', error: { code: `${side}-reset`, message: `${who} reset the connection` } };
  }
  const error: FlowError = { code: `${side}-error`, message: `${who}: ${err.code ?? err.message}` };
  return { reason: 'error', error };
}

/**
 * Relays one connection both ways with backpressure: each chunk read from one side is handed to the tap
 * (synchronously, a view, never copied or kept) and written to the other side; when a write is refused the
 * reading side pauses until the other drains, so a slow cloud slows the device and memory stays flat whatever
 * the size. Half-closes pass through (a FIN one way ends that way only, even one that came while the first bytes
 * were peeked): what the other side still sends is relayed. The relay ends once both ways ended and their last
 * bytes were handed to the kernel, or either side failed; the tap is closed once with how it ended. Not here:
 * connecting, TLS, HTTP.
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
  /**
   * Device bytes already read while routing (a peek), sent to the cloud first. Pass them here rather than
   * `unshift` them: a device that half-closed during the peek has already ended its readable side, and Node
   * refuses an unshift after the end.
   */
  deviceFirst?: Buffer;
}

/** Starts relaying `device` ⇄ `cloud`; device bytes already read go in `opts.deviceFirst`. */
export function relay(device: Duplex, cloud: Duplex, tap: FlowTap, opts: RelayOptions = {}): void {
  const counts = { up: 0, down: 0 };
  let tapOn = true;
  let waysDone = 0;
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

  const wayDone = () => {
    if (++waysDone === 2) finish();
  };
  const pump = (src: Duplex, dst: Duplex, dir: StreamDir) => {
    src.on('data', (chunk: Buffer) => {
      feed(dir, chunk);
      if (!dst.write(chunk)) src.pause();
    });
    dst.on('drain', () => src.resume());
    // A way is done once its FIN was passed on and the bytes before it left (destroying earlier loses them).
    const srcEnded = () => {
      dst.end();
      if (dst.writableFinished) wayDone();
      else dst.once('finish', wayDone);
    };
    if (src.readableEnded)
      srcEnded(); // its FIN came while its first bytes were peeked
    else src.once('end', srcEnded);
  };

  const fail = (side: 'device' | 'cloud') => (err: NodeJS.ErrnoException) => {
    failure ??= endOf(side, err);
    finish();
  };
  device.on('error', fail('device'));
  cloud.on('error', fail('cloud'));
  // A side closed before both its halves were done and without an error (destroyed elsewhere) ends the relay; a
  // side closed after both leaves the other way to pass on its last bytes.
  const closed = (s: Duplex) => () => {
    if (!(s.readableEnded && s.writableFinished)) setImmediate(finish);
  };
  device.on('close', closed(device));
  cloud.on('close', closed(cloud));
  const first = opts.deviceFirst;
  if (first && first.length > 0) {
    feed('up', first);
    cloud.write(first);
  }
  pump(device, cloud, 'up');
  pump(cloud, device, 'down');
  // Either side may have been paused while its first bytes were peeked: adding listeners does not resume it.
  if (!cloud.writableNeedDrain) device.resume(); // else the 'drain' resumes it
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

/**
 * Plain HTTP the proxy forwards request by request: explicit proxy requests (`GET http://host/…`) and, in gateway
 * mode, origin-form requests routed by Host. The request framer names each request's target; requests to the
 * same target share one cloud connection (one flow, tapped like any other); a request to another target ends it
 * and opens the next. Bytes flow with backpressure both ways. A cloud that cannot be reached gets the device a
 * 502 (504 after the connect timeout), one that does not start answering within PROXY_RESPONSE_TIMEOUT_MS a 504;
 * a malformed request 400, an oversized head 431. Requests for the CA host are answered here.
 * Not here: CONNECT tunnels (connection.ts) and TLS (tls-leg.ts).
 */
import type { Socket } from 'node:net';
import { parseHead } from '../src/streams/http1-head.ts';
import { CA_HOST, responseBytes } from './ca-page.ts';
import { answerError, clientOf, type ProxyContext, recordFailedFlow } from './context.ts';
import { endOf } from './relay.ts';
import { type FramerOutput, RequestFramer } from './request-framer.ts';
import { type FlowTap, nowMicros, type TapEnd } from './tap.ts';
import { formatTarget, type Target } from './target.ts';
import { UpstreamError } from './upstream.ts';

/** One cloud connection of the forwarded stream: its target, socket and tap. */
interface Leg {
  target: Target;
  cloud: Socket;
  tap: FlowTap;
  end: TapEnd | undefined;
  closed: boolean;
}

export class HttpForwarder {
  readonly #ctx: ProxyContext;
  readonly #device: Socket;
  readonly #framer: RequestFramer;
  readonly #client: { ip: string; port: number };
  #leg: Leg | undefined;
  /** Outputs waiting while a cloud connection is being made. */
  #waiting: FramerOutput[] = [];
  #connecting = false;
  readonly #original: Target | undefined;
  #responseTimer: NodeJS.Timeout | undefined;
  #done = false;

  /** `original`: where a gateway's device was going (its own DNS chose it): requests go there, named by Host. */
  constructor(ctx: ProxyContext, device: Socket, defaultPort = 80, original?: Target) {
    this.#ctx = ctx;
    this.#original = original;
    this.#device = device;
    this.#client = clientOf(device);
    this.#framer = new RequestFramer(ctx.limits, defaultPort);
  }

  /** Starts with the bytes already read from the device (the first request head, at least in part). */
  start(first: Buffer): void {
    const d = this.#device;
    d.on('data', (chunk: Buffer) => this.#input(chunk));
    d.on('end', () => {
      if (this.#leg && !this.#leg.closed) this.#leg.cloud.end();
      else this.#finish();
    });
    d.on('error', (err: NodeJS.ErrnoException) => this.#closeLeg(endOf('device', err), true));
    d.on('close', () => this.#closeLeg({ reason: 'fin' }, true));
    this.#input(first);
    d.resume();
  }

  #input(chunk: Buffer): void {
    const outs = this.#framer.write(chunk);
    if (this.#connecting) {
      this.#waiting.push(...outs);
      return;
    }
    this.#run(outs);
  }

  #run(outs: FramerOutput[]): void {
    for (let i = 0; i < outs.length; i++) {
      const o = outs[i]!;
      if (o.kind === 'body') {
        this.#send(o.bytes);
        continue;
      }
      if (o.kind === 'error') {
        this.#fail(o.status, o.message, undefined);
        return;
      }
      if (o.target.host === CA_HOST) {
        this.#caPage(o.bytes);
        return;
      }
      const leg = this.#leg;
      if (leg && !leg.closed && sameTarget(leg.target, o.target)) {
        this.#send(o.bytes, true);
        continue;
      }
      if (leg && !leg.closed) leg.cloud.end();
      this.#waiting = outs.slice(i + 1);
      this.#connect(o.target, o.bytes);
      return;
    }
  }

  #connect(target: Target, head: Uint8Array): void {
    this.#connecting = true;
    this.#device.pause();
    this.#ctx.upstream.connect(this.#original ?? target).then(
      (cloud) => {
        this.#connecting = false;
        if (this.#done) {
          cloud.destroy();
          return;
        }
        this.#openLeg(target, cloud);
        this.#send(head, true);
        const waiting = this.#waiting;
        this.#waiting = [];
        this.#run(waiting);
        if (!this.#done) this.#device.resume();
      },
      (err: unknown) => {
        this.#connecting = false;
        if (!(err instanceof UpstreamError)) throw err;
        this.#fail(err.status, err.message, { target, head, code: err.code });
      },
    );
  }

  #openLeg(target: Target, cloud: Socket): void {
    const tap = this.#ctx.openTap({
      flowId: this.#ctx.nextFlowId(),
      client: this.#client,
      server: { ip: cloud.remoteAddress ?? '0.0.0.0', port: target.port, host: target.host },
      tls: 'none',
      openTs: nowMicros(),
    });
    const leg: Leg = { target, cloud, tap, end: undefined, closed: false };
    this.#leg = leg;
    cloud.on('data', (chunk: Buffer) => {
      this.#clearResponseTimer();
      leg.tap.data('down', chunk, nowMicros());
      if (!this.#device.write(chunk)) {
        cloud.pause();
        this.#device.once('drain', () => cloud.resume());
      }
    });
    cloud.on('end', () => {
      // The cloud closed: a close-delimited response ends here, so the device's connection ends too.
      if (this.#leg === leg) this.#device.end();
      this.#closeLeg({ reason: 'fin' }, false, leg);
    });
    cloud.on('error', (err: NodeJS.ErrnoException) => {
      if (this.#leg === leg) this.#device.destroy();
      this.#closeLeg(endOf('cloud', err), false, leg);
    });
    cloud.on('close', () => this.#closeLeg({ reason: 'fin' }, false, leg));
  }

  /** Device bytes to the cloud; a head starts the response timer. */
  #send(bytes: Uint8Array, head = false): void {
    const leg = this.#leg;
    if (!leg || leg.closed) return;
    leg.tap.data('up', bytes, nowMicros());
    if (head) this.#startResponseTimer(leg);
    if (!leg.cloud.write(bytes)) {
      this.#device.pause();
      leg.cloud.once('drain', () => {
        if (!this.#connecting && !this.#done) this.#device.resume();
      });
    }
  }

  #startResponseTimer(leg: Leg): void {
    this.#clearResponseTimer();
    this.#responseTimer = setTimeout(() => {
      const message = `${formatTarget(leg.target)} did not answer within ${this.#ctx.limits.PROXY_RESPONSE_TIMEOUT_MS} ms`;
      leg.end = { reason: 'error', error: { code: 'upstream-response-timeout', message } };
      answerError(this.#device, 504, message);
      leg.cloud.destroy();
    }, this.#ctx.limits.PROXY_RESPONSE_TIMEOUT_MS);
  }

  #clearResponseTimer(): void {
    clearTimeout(this.#responseTimer);
    this.#responseTimer = undefined;
  }

  #closeLeg(end: TapEnd, fromDevice: boolean, leg = this.#leg): void {
    if (!leg || leg.closed) {
      if (fromDevice) this.#finish();
      return;
    }
    leg.closed = true;
    leg.end ??= end;
    if (leg === this.#leg) this.#clearResponseTimer();
    leg.cloud.destroy();
    leg.tap.close(nowMicros(), leg.end);
    if (fromDevice) this.#finish();
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.#clearResponseTimer();
    this.#device.destroy();
  }

  /** Answers `status` to the device and records the failure (on a flow when a request was on its way). */
  #fail(
    status: 400 | 431 | 502 | 504,
    message: string,
    failed: { target: Target; head: Uint8Array; code: string } | undefined,
  ) {
    answerError(this.#device, status, message);
    this.#done = true;
    this.#clearResponseTimer();
    if (this.#leg && !this.#leg.closed) this.#leg.cloud.end();
    const code = failed?.code ?? (status === 431 ? 'request-head-too-large' : 'bad-request');
    if (!failed) this.#ctx.problem({ client: this.#client.ip, code, message });
    else {
      recordFailedFlow(this.#ctx, {
        client: this.#client,
        target: failed.target,
        tls: 'none',
        upload: failed.head,
        error: { code, message },
      });
    }
  }

  #caPage(head: Uint8Array): void {
    const parsed = parseHead('request', head);
    const method = parsed?.kind === 'request' ? parsed.method : 'GET';
    const path = parsed?.kind === 'request' ? parsed.url : '/';
    this.#done = true;
    if (this.#leg && !this.#leg.closed) this.#leg.cloud.end();
    this.#device.end(responseBytes(this.#ctx.caPage.answer(method, path), method === 'HEAD'));
  }
}

function sameTarget(a: Target, b: Target): boolean {
  return a.host === b.host && a.port === b.port;
}

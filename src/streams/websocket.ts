/**
 * WebSocket on the two byte streams of an upgraded connection → FlowEvents: each text or binary message is a
 * `websocket` message on the same flow (head at its first frame with `ws {opcode, compressed}`, a chunk per
 * frame payload, unmasked and inflated, end at FIN), msgIds continuing after the HTTP handshake. When the
 * handshake chose the `mqtt` subprotocol, binary messages carry an MQTT byte stream (a packet may span
 * messages, a message may hold several packets): their payload feeds an MqttStream instead of the pipeline.
 * Control frames are counted, not messages. Not here: frame parsing (src/decode/websocket.ts), the handshake
 * (http1.ts), live taps (proxy/).
 */
import { negotiatedDeflate, WebSocketDecoder, type WebSocketSink } from '../decode/websocket.ts';
import type { Micros, MsgId, Transport } from '../model/flow.ts';
import type { Limits } from '../model/limits.ts';
import { header, type MessageHead } from '../model/message.ts';
import type { UpgradeContext } from './http1.ts';
import { type MessageStreamEnv, MqttStream, msgIdCounter } from './mqtt.ts';
import { PerDirectionStream } from './per-direction.ts';
import type { StreamDir, StreamHandler } from './types.ts';

/** Subprotocol names that mean "MQTT inside binary messages". */
const MQTT_SUBPROTOCOLS = new Set(['mqtt', 'mqttv3.1']);

export interface WebSocketStreamOptions {
  /** The 101 response: its Sec-WebSocket-Extensions and Sec-WebSocket-Protocol say how to read the frames. */
  response: MessageHead;
  /** The run's bounds on frames, permessage-deflate output, and MQTT inside binary messages. */
  limits: Pick<Limits, 'MAX_INFLATE_BYTES' | 'MAX_WEBSOCKET_FRAME_BYTES' | 'MAX_MQTT_HEADER_BYTES'>;
}

/** Both directions of one WebSocket connection. */
export class WebSocketStream extends PerDirectionStream<WebSocketDecoder> {
  readonly #env: MessageStreamEnv;
  protected readonly decoders: Record<StreamDir, WebSocketDecoder>;
  /** The MQTT stream inside binary messages, when the subprotocol is MQTT. */
  readonly #mqtt: MqttStream | undefined;
  /** Control frames seen per direction. */
  readonly controls = { up: 0, down: 0 };

  constructor(env: MessageStreamEnv, opts: WebSocketStreamOptions) {
    super();
    this.#env = env;
    const { response } = opts;
    const protocol = (header(response, 'sec-websocket-protocol') ?? '').trim().toLowerCase();
    if (MQTT_SUBPROTOCOLS.has(protocol)) this.#mqtt = new MqttStream(env, opts.limits);
    const deflate = negotiatedDeflate(header(response, 'sec-websocket-extensions'));
    this.decoders = {
      up: new WebSocketDecoder(this.#sink('up'), {
        fromClient: true,
        limits: opts.limits,
        ...(deflate.up ? { deflate: deflate.up } : {}),
      }),
      down: new WebSocketDecoder(this.#sink('down'), {
        fromClient: false,
        limits: opts.limits,
        ...(deflate.down ? { deflate: deflate.down } : {}),
      }),
    };
  }

  /** The flow's transport once upgraded: `mqtt` when binary messages carry MQTT, else `websocket`. */
  get transport(): Transport {
    return this.#mqtt ? 'mqtt' : 'websocket';
  }

  override close(ts: Micros): void {
    super.close(ts);
    this.#mqtt?.close(ts);
  }

  #sink(dir: StreamDir): WebSocketSink {
    const env = this.#env;
    const flowId = env.flowId;
    const direction = dir === 'up' ? 'upload' : 'download';
    let open: MsgId | undefined;
    let toMqtt = false;
    return {
      start: (opcode, compressed) => {
        toMqtt = this.#mqtt !== undefined && opcode === 2;
        if (toMqtt) return;
        open = env.nextMsgId();
        env.emit({
          ts: this.ts,
          type: 'message.head',
          flowId,
          msg: { msgId: open, direction, protocol: 'websocket', headers: [], ws: { opcode, compressed } },
        });
      },
      data: (data) => {
        if (toMqtt) this.#mqtt?.data(dir, data, this.ts);
        else if (open !== undefined) env.emit({ ts: this.ts, type: 'message.chunk', flowId, msgId: open, data });
      },
      gap: (length) => {
        if (toMqtt) this.#mqtt?.gap(dir, length, this.ts);
        else if (open !== undefined) env.emit({ ts: this.ts, type: 'message.gap', flowId, msgId: open, length });
      },
      end: () => {
        if (open !== undefined) env.emit({ ts: this.ts, type: 'message.end', flowId, msgId: open });
        open = undefined;
        toMqtt = false;
      },
      control: () => {
        this.controls[dir]++;
      },
      violation: (v) => env.report(open === undefined ? v : { ...v, msgId: open }, this.ts),
    };
  }
}

/**
 * The `onUpgrade` hook for Http1Handler: a WebSocket upgrade gets a WebSocketStream continuing the flow's
 * msgIds, announced by `flow.update {transport}` (`websocket`, or `mqtt` for MQTT over WebSocket). Any
 * other upgrade returns undefined (the rest stays opaque).
 */
export function websocketUpgrade(
  ctx: UpgradeContext,
  env: Omit<MessageStreamEnv, 'nextMsgId'>,
  limits: WebSocketStreamOptions['limits'],
): StreamHandler | undefined {
  if (ctx.kind !== 'websocket') return undefined;
  const stream = new WebSocketStream(
    { ...env, nextMsgId: msgIdCounter(ctx.nextMsgId) },
    { response: ctx.response, limits },
  );
  env.emit({ ts: ctx.ts, type: 'flow.update', flowId: env.flowId, update: { transport: stream.transport } });
  return stream;
}

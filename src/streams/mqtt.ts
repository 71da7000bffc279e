/**
 * MQTT on the two byte streams of one connection (TCP, or WebSocket binary messages) → FlowEvents: each
 * PUBLISH is a message with its topic in `head.mqtt` and its payload streamed as chunks (client→broker =
 * upload, broker→client = download); a CONNECT is a bodiless message (a will payload is its body) whose
 * headers carry protocol, level, client id and username, never the password, and whose `head.mqtt` carries
 * client id, username and the password as a Secret (masked in every printout); a SUBSCRIBE is a bodiless
 * message whose `topic-filter` headers list its filters (`mqtt.topic` joins them with ", "). Other packets
 * are only counted. Not here: parsing (src/decode/mqtt.ts), choosing the protocol (router.ts).
 */
import { MqttDecoder, type MqttLimits, type MqttSink } from '../decode/mqtt.ts';
import type { FlowId, Micros, MsgId } from '../model/flow.ts';
import type { Direction, Headers, MessageHead, MqttMeta } from '../model/message.ts';
import type { ViolationInput } from '../model/violation.ts';
import { PerDirectionStream } from './per-direction.ts';
import type { EmitEvent, StreamDir } from './types.ts';

/** What a message-level stream handler (MQTT, WebSocket) needs from its connection. */
export interface MessageStreamEnv {
  flowId: FlowId;
  emit: EmitEvent;
  /** Violations; the caller adds flowId and ts. */
  report: (v: ViolationInput & { msgId?: MsgId }, ts: Micros) => void;
  /** Allocates the flow's next msgId (continuing after the HTTP handshake of an upgraded connection). */
  nextMsgId: () => MsgId;
}

/** A msgId allocator counting from `first`. */
export function msgIdCounter(first: MsgId = 0): () => MsgId {
  let next = first;
  return () => next++;
}

/** MQTT for one connection: one MqttDecoder per direction sharing the protocol level. */
export class MqttStream extends PerDirectionStream<MqttDecoder> {
  readonly #env: MessageStreamEnv;
  protected readonly decoders: Record<StreamDir, MqttDecoder>;

  constructor(env: MessageStreamEnv, limits?: MqttLimits) {
    super();
    this.#env = env;
    const session = { level: 4 };
    this.decoders = {
      up: new MqttDecoder(this.#sink('upload'), session, limits),
      down: new MqttDecoder(this.#sink('download'), session, limits),
    };
  }

  /** Packets seen per direction, by name. */
  get counts(): Record<StreamDir, MqttDecoder['counts']> {
    return { up: this.decoders.up.counts, down: this.decoders.down.counts };
  }

  #sink(direction: Direction): MqttSink {
    const env = this.#env;
    const flowId = env.flowId;
    let open: MsgId | undefined;
    const head = (msg: Omit<MessageHead, 'msgId' | 'direction' | 'protocol'>): MsgId => {
      const msgId = env.nextMsgId();
      env.emit({ ts: this.ts, type: 'message.head', flowId, msg: { msgId, direction, protocol: 'mqtt', ...msg } });
      return msgId;
    };
    const chunk = (msgId: MsgId, data: Uint8Array) =>
      env.emit({ ts: this.ts, type: 'message.chunk', flowId, msgId, data });
    const end = (msgId: MsgId) => env.emit({ ts: this.ts, type: 'message.end', flowId, msgId });
    return {
      connect: (c) => {
        const headers: Array<[string, string]> = [
          ['protocol', c.protocol],
          ['protocol-level', String(c.level)],
          ['client-id', c.clientId],
          ['keep-alive', String(c.keepAlive)],
        ];
        if (c.username !== undefined) headers.push(['username', c.username]);
        if (c.will) headers.push(['will-topic', c.will.topic]);
        const mqtt: MqttMeta = { packet: 'connect', clientId: c.clientId };
        if (c.username !== undefined) mqtt.username = c.username;
        if (c.password) mqtt.password = c.password;
        const msgId = head({ headers, mqtt });
        if (c.will && c.will.payload.length > 0) chunk(msgId, c.will.payload);
        end(msgId);
      },
      publishStart: (p) => {
        const headers: Headers = p.contentType === undefined ? [] : [['content-type', p.contentType]];
        open = head({ headers, mqtt: { packet: 'publish', topic: p.topic, qos: p.qos } });
      },
      publishData: (data) => {
        if (open !== undefined) chunk(open, data);
      },
      publishGap: (length) => {
        if (open !== undefined) env.emit({ ts: this.ts, type: 'message.gap', flowId, msgId: open, length });
      },
      publishEnd: () => {
        if (open !== undefined) end(open);
        open = undefined;
      },
      subscribe: (s) => {
        const headers: Headers = s.filters.map((f) => ['topic-filter', f.topic] as const);
        const topic = s.filters.map((f) => f.topic).join(', ');
        end(head({ headers, mqtt: { packet: 'subscribe', topic } }));
      },
      violation: (v) => env.report(open === undefined ? v : { ...v, msgId: open }, this.ts),
    };
  }
}

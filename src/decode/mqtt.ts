/**
 * Sans-io MQTT 3.1.1 and 5 parser for ONE direction of a connection (over TCP, or the byte stream carried by
 * WebSocket binary messages). Fixed header and remaining length; CONNECT (protocol name and level, client id,
 * username, will topic and payload; the password only as a Secret, which prints masked); PUBLISH (topic, QoS,
 * packet id, MQTT 5 properties skipped except content type and topic alias, whose mapping is kept per
 * direction) with its payload streamed, never buffered; SUBSCRIBE (topic filters). Every other packet is
 * skipped and counted. Bad bytes become violations (decoder `mqtt`): a bad remaining length stops the
 * direction; a packet malformed inside a good length is skipped.
 * Our own parser, not mqtt-packet: that one is an event emitter that buffers whole packets, where this core
 * needs a synchronous sans-io parser that streams an oversize PUBLISH. Not here: FlowEvents (src/streams/mqtt.ts).
 */

import { DEFAULT_LIMITS, type Limits } from '../model/limits.ts';
import { Secret } from '../model/secret.ts';
import type { ViolationInput } from '../model/violation.ts';
import { ChunkList } from './chunk-list.ts';
import { Reader } from './mqtt-reader.ts';

/** MQTT control packet names by type number (1..15). */
export const PACKET_NAMES = [
  'reserved',
  'connect',
  'connack',
  'publish',
  'puback',
  'pubrec',
  'pubrel',
  'pubcomp',
  'subscribe',
  'suback',
  'unsubscribe',
  'unsuback',
  'pingreq',
  'pingresp',
  'disconnect',
  'auth',
] as const;
export type PacketName = (typeof PACKET_NAMES)[number];

/** A CONNECT packet; its password is a Secret (masked in every printout). */
export interface MqttConnect {
  /** `MQTT` (3.1.1, 5) or `MQIsdp` (3.1). */
  protocol: string;
  /** 3 (3.1), 4 (3.1.1), 5. */
  level: number;
  clientId: string;
  username?: string;
  /** Whether a password was present. */
  hasPassword: boolean;
  /** The password (UTF-8, invalid bytes as U+FFFD), masked however it is printed. */
  password?: Secret;
  keepAlive: number;
  cleanStart: boolean;
  will?: { topic: string; qos: 0 | 1 | 2; retain: boolean; payload: Uint8Array };
}

/** The head of a PUBLISH; its payload follows as `publishData`. */
export interface MqttPublish {
  topic: string;
  qos: 0 | 1 | 2;
  retain: boolean;
  dup: boolean;
  packetId?: number;
  /** MQTT 5 Content Type property. */
  contentType?: string;
  /** Bytes of payload that follow. */
  payloadLength: number;
}

export interface MqttSubscribe {
  packetId: number;
  filters: Array<{ topic: string; qos: number }>;
}

/** What one direction's parser reports, in stream order. */
export interface MqttSink {
  connect(c: MqttConnect): void;
  publishStart(p: MqttPublish): void;
  publishData(chunk: Uint8Array): void;
  publishGap(length: number): void;
  publishEnd(): void;
  subscribe(s: MqttSubscribe): void;
  violation(v: ViolationInput): void;
}

/** Shared by both directions of a connection: the protocol level the client's CONNECT named. */
export interface MqttSession {
  level: number;
}

/** The bound of src/model/limits.ts the MQTT parser enforces. */
export type MqttLimits = Pick<Limits, 'MAX_MQTT_HEADER_BYTES'>;

type State = 'fixed-header' | 'body' | 'publish-head' | 'payload' | 'skip' | 'stopped';

/** Parses one direction of an MQTT connection. Feed it bytes in order; it calls the sink. */
export class MqttDecoder {
  readonly #sink: MqttSink;
  readonly #session: MqttSession;
  readonly #maxHeader: number;
  readonly #buf = new ChunkList();
  readonly #aliases = new Map<number, string>();
  /** Packets seen, by name. */
  readonly counts: Partial<Record<PacketName, number>> = {};
  #state: State = 'fixed-header';
  #pos = 0;
  #packetStart = 0;
  #type = 0;
  #flags = 0;
  #remaining = 0;

  constructor(sink: MqttSink, session: MqttSession, limits: MqttLimits = DEFAULT_LIMITS) {
    this.#sink = sink;
    this.#session = session;
    this.#maxHeader = limits.MAX_MQTT_HEADER_BYTES;
  }

  get stopped(): boolean {
    return this.#state === 'stopped';
  }

  write(chunk: Uint8Array): void {
    if (this.#state === 'stopped') return;
    this.#buf.push(chunk);
    // Each step consumes bytes or waits for more; the bound only guards against a bug looping forever.
    const bound = 4 * this.#buf.length + 16;
    for (let guard = 0; guard <= bound && this.#step(); guard++);
  }

  /** `length` bytes lost: inside a PUBLISH payload or a skipped packet they are stepped over; else sync is lost. */
  gap(length: number): void {
    if (this.#state === 'stopped' || length <= 0) return;
    const streaming = (this.#state === 'payload' || this.#state === 'skip') && this.#buf.length === 0;
    if (!streaming || length > this.#remaining) {
      if (this.#state === 'payload') this.#sink.publishEnd();
      this.#stop('gap-lost-sync', this.#pos, `${length} bytes lost outside a packet body`);
      return;
    }
    this.#remaining -= length;
    this.#pos += length;
    if (this.#state === 'payload') this.#sink.publishGap(length);
    if (this.#remaining === 0) this.#packetDone();
  }

  /** End of the stream: a PUBLISH still streaming is ended; a packet cut short is flagged. */
  end(): void {
    if (this.#state === 'payload') this.#sink.publishEnd();
    if (this.#state !== 'stopped' && (this.#state !== 'fixed-header' || this.#buf.length > 0)) {
      this.#violation('truncated-packet', this.#packetStart);
    }
    this.#state = 'stopped';
  }

  /** Runs the current state once; false when it needs more bytes. */
  #step(): boolean {
    switch (this.#state) {
      case 'fixed-header':
        return this.#fixedHeader();
      case 'body':
        if (this.#buf.length < this.#remaining) return false;
        this.#body(this.#take(this.#remaining));
        return true;
      case 'publish-head':
        return this.#publishHead();
      case 'payload':
      case 'skip': {
        if (this.#buf.length === 0 && this.#remaining > 0) return false;
        const data = this.#take(Math.min(this.#remaining, this.#buf.length));
        if (this.#state === 'payload' && data.length > 0) this.#sink.publishData(data);
        if (this.#remaining === 0) this.#packetDone();
        return true;
      }
      case 'stopped':
        return false;
    }
  }

  #take(n: number): Uint8Array {
    this.#pos += n;
    this.#remaining -= n;
    return this.#buf.consume(n);
  }

  #fixedHeader(): boolean {
    const buf = this.#buf;
    if (buf.length < 2) return false;
    let len = 0;
    let i = 1;
    for (; ; i++) {
      if (i > 4) {
        this.#stop('bad-remaining-length', this.#pos, 'more than 4 length bytes');
        return false;
      }
      const b = buf.at(i);
      if (b === undefined) return false;
      len += (b & 0x7f) * 128 ** (i - 1);
      if ((b & 0x80) === 0) break;
    }
    const b0 = buf.at(0)!;
    this.#packetStart = this.#pos;
    this.#type = b0 >> 4;
    this.#flags = b0 & 0x0f;
    buf.skip(i + 1);
    this.#pos += i + 1;
    this.#remaining = len;
    const name = PACKET_NAMES[this.#type]!;
    if (this.#type === 0 || (this.#type === 15 && this.#session.level < 5)) {
      this.#stop('bad-packet-type', this.#packetStart, `packet type ${this.#type}`);
      return false;
    }
    this.counts[name] = (this.counts[name] ?? 0) + 1;
    if (this.#type === 3) {
      if ((this.#flags & 0x06) === 0x06) {
        this.#violation('bad-qos', this.#packetStart, 'PUBLISH with QoS 3');
        this.#state = 'skip';
      } else {
        this.#state = 'publish-head';
      }
    } else if ((this.#type === 1 || this.#type === 8) && len > 0) {
      if (len > this.#maxHeader) {
        this.#violation('packet-too-large', this.#packetStart, `${name} of ${len} bytes not parsed`);
        this.#state = 'skip';
      } else this.#state = 'body';
    } else this.#state = 'skip';
    if (this.#remaining === 0 && this.#state !== 'publish-head') this.#packetDone();
    return true;
  }

  #packetDone(): void {
    if (this.#state === 'payload') this.#sink.publishEnd();
    this.#state = 'fixed-header';
  }

  /** A whole CONNECT or SUBSCRIBE body. */
  #body(body: Uint8Array): void {
    const r = new Reader(body);
    const ok = this.#type === 1 ? this.#connect(r) : this.#subscribe(r);
    if (!ok) this.#violation('malformed-packet', this.#packetStart, `bad ${PACKET_NAMES[this.#type]}`);
    this.#state = 'fixed-header';
  }

  #connect(r: Reader): boolean {
    const protocol = r.string();
    const level = r.u8();
    const flags = r.u8();
    const keepAlive = r.u16();
    if (protocol === undefined || level === undefined || flags === undefined || keepAlive === undefined) return false;
    if (protocol !== 'MQTT' && protocol !== 'MQIsdp') return false;
    this.#session.level = level;
    if (level >= 5 && !r.properties()) return false;
    const clientId = r.string();
    if (clientId === undefined) return false;
    const c: MqttConnect = {
      protocol,
      level,
      clientId,
      hasPassword: (flags & 0x40) !== 0,
      keepAlive,
      cleanStart: (flags & 0x02) !== 0,
    };
    if (flags & 0x04) {
      if (level >= 5 && !r.properties()) return false;
      const topic = r.string();
      const payload = r.binary();
      if (topic === undefined || payload === undefined) return false;
      c.will = { topic, qos: ((flags >> 3) & 3) as 0 | 1 | 2, retain: (flags & 0x20) !== 0, payload };
    }
    if (flags & 0x80) {
      const username = r.string();
      if (username === undefined) return false;
      c.username = username;
    }
    // The password is the rest of the body, and exactly its declared length: a username length gone wrong must not
    // carry password bytes out as a username. It leaves only as a Secret.
    if (c.hasPassword) {
      const password = r.binary();
      if (password === undefined || r.left !== 0) return false;
      c.password = new Secret(Buffer.from(password).toString('utf8'));
    } else if (r.left !== 0) return false;
    this.#sink.connect(c);
    return true;
  }

  #subscribe(r: Reader): boolean {
    const packetId = r.u16();
    if (packetId === undefined || (this.#session.level >= 5 && !r.properties())) return false;
    const filters: MqttSubscribe['filters'] = [];
    while (r.left > 0) {
      const topic = r.string();
      const options = r.u8();
      if (topic === undefined || options === undefined) return false;
      filters.push({ topic, qos: options & 3 });
    }
    this.#sink.subscribe({ packetId, filters });
    return true;
  }

  /**
   * Topic, packet id and (MQTT 5) properties, read as one block once `#need` bytes are buffered: the topic
   * length is known from 2 bytes, the property length from its varint.
   */
  #publishHead(): boolean {
    const buf = this.#buf;
    const qos = ((this.#flags >> 1) & 3) as 0 | 1 | 2;
    const v5 = this.#session.level >= 5;
    if (this.#remaining < 2) return this.#badPublish('no room for a topic');
    if (buf.length < 2) return false;
    const topicLen = (buf.at(0)! << 8) | buf.at(1)!;
    let need = 2 + topicLen + (qos > 0 ? 2 : 0);
    if (v5) {
      let propLen = 0;
      for (let i = 0; ; i++) {
        if (i >= 4) return this.#badPublish('bad property length');
        const b = buf.at(need + i);
        if (b === undefined) {
          if (need + i >= this.#remaining) return this.#badPublish('truncated variable header');
          if (need + i >= this.#maxHeader) return this.#tooLarge();
          return false;
        }
        propLen += (b & 0x7f) * 128 ** i;
        if ((b & 0x80) === 0) {
          need += i + 1 + propLen;
          break;
        }
      }
    }
    if (need > this.#remaining) return this.#badPublish('variable header longer than the packet');
    if (need > this.#maxHeader) return this.#tooLarge();
    if (buf.length < need) return false;
    const r = new Reader(this.#take(need));
    let topic = r.string() ?? '';
    const p: MqttPublish = {
      topic,
      qos,
      retain: (this.#flags & 1) !== 0,
      dup: (this.#flags & 8) !== 0,
      payloadLength: this.#remaining,
    };
    if (qos > 0) p.packetId = r.u16()!;
    if (v5) {
      const props = r.properties();
      if (!props) {
        this.#violation('malformed-packet', this.#packetStart, 'bad PUBLISH properties');
      } else {
        if (props.contentType !== undefined) p.contentType = props.contentType;
        if (props.topicAlias !== undefined) {
          if (topic) this.#aliases.set(props.topicAlias, topic);
          else {
            topic = this.#aliases.get(props.topicAlias) ?? '';
            if (!topic) this.#violation('unknown-topic-alias', this.#packetStart, `alias ${props.topicAlias}`);
            p.topic = topic;
          }
        }
      }
    }
    this.#state = 'payload';
    this.#sink.publishStart(p);
    if (this.#remaining === 0) this.#packetDone();
    return true;
  }

  #badPublish(message: string): boolean {
    this.#violation('malformed-packet', this.#packetStart, message);
    this.#state = 'skip';
    return true;
  }

  #tooLarge(): boolean {
    this.#violation('packet-too-large', this.#packetStart, 'PUBLISH topic and properties over the bound');
    this.#state = 'skip';
    return true;
  }

  #stop(code: string, offset: number, message: string): void {
    this.#violation(code, offset, message);
    this.#state = 'stopped';
  }

  #violation(code: string, offset: number, message?: string): void {
    this.#sink.violation({ decoder: 'mqtt', code, offset, ...(message ? { message } : {}) });
  }
}

/** The properties this parser keeps; the rest are walked over. */
/**
 * Whether the first client bytes are an MQTT CONNECT: type byte 0x10, a remaining length, then the protocol
 * name `MQTT` or `MQIsdp`. `more` while too few bytes have arrived to tell.
 */
export function mqttConnectPrefix(b: Uint8Array): 'ok' | 'bad' | 'more' {
  if (b.length === 0) return 'more';
  if (b[0] !== 0x10) return 'bad';
  let i = 1;
  while (i < b.length && i <= 4 && b[i]! & 0x80) i++;
  if (i > 4) return 'bad';
  if (i >= b.length) return 'more';
  const name = b.subarray(i + 1);
  for (const want of ['\x00\x04MQTT', '\x00\x06MQIsdp']) {
    const n = Math.min(name.length, want.length);
    let same = true;
    for (let k = 0; k < n && same; k++) same = name[k] === want.charCodeAt(k);
    if (same) return n === want.length ? 'ok' : 'more';
  }
  return 'bad';
}

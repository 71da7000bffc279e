/**
 * The head of one message (an HTTP request or response, a WebSocket message, an MQTT PUBLISH, a DNS
 * packet, an RTP packet, a mail sent over SMTP, a raw TCP/UDP payload run). Bodies follow as `message.chunk` events.
 */
import type { MsgId } from './flow.ts';
import type { Secret } from './secret.ts';

/** `upload` is device→cloud, `download` cloud→device. */
export type Direction = 'upload' | 'download';

/** The protocol unit a message is. */
export type MessageProtocol = 'http' | 'websocket' | 'mqtt' | 'coap' | 'rtp' | 'smtp' | 'dns' | 'raw';

/** Header name/value pairs in wire order, names as sent (compare case-insensitively, see {@link header}). */
export type Headers = ReadonlyArray<readonly [name: string, value: string]>;

/** WebSocket frame metadata for a `websocket` message. */
export interface WebSocketMeta {
  /** 1 text, 2 binary (control frames are not messages). */
  opcode: number;
  compressed: boolean;
}

/** MQTT metadata for an `mqtt` message: a PUBLISH's topic and QoS, a CONNECT's identity fields. */
export interface MqttMeta {
  packet: 'publish' | 'connect' | 'subscribe';
  topic?: string;
  qos?: 0 | 1 | 2;
  clientId?: string;
  /** CONNECT user name. */
  username?: string;
  /** CONNECT password: masked however it is printed; the pipeline turns it into a token for the analyzers. */
  password?: Secret;
}

export interface MessageHead {
  msgId: MsgId;
  direction: Direction;
  protocol: MessageProtocol;
  /** HTTP request method. */
  method?: string;
  /** HTTP request target as sent (origin-form path+query, or absolute-form). */
  url?: string;
  /** HTTP response status. */
  status?: number;
  headers: Headers;
  /** For a response: the msgId of the request it answers. */
  requestId?: MsgId;
  ws?: WebSocketMeta;
  mqtt?: MqttMeta;
}

/** First value of a header, case-insensitive (`name` in ASCII). */
export function header(head: { headers: Headers }, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [n, v] of head.headers) if (isHeaderName(n, lower)) return v;
  return undefined;
}

/**
 * Whether header name `n` is `lower` (ASCII, lower case) in any case. Per message and header on the hot path, so
 * without a lower-case copy of `n` unless its length already matches.
 */
export function isHeaderName(n: string, lower: string): boolean {
  return n.length === lower.length && (n === lower || n.toLowerCase() === lower);
}

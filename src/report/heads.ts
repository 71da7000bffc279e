/**
 * Message heads as every output shows them (terminal, --json, HAR export, dashboard): structural fields stay
 * readable (Host, Content-Type, lengths, encodings, WebSocket handshake), every other value and every query
 * value is masked, because a head is attacker-controlled and often personal (cookies, tokens, `?phone=`,
 * device serials in User-Agent). `reveal` shows them whole. No I/O.
 */
import type { Headers } from '../model/message.ts';
import { redact } from '../pipeline/redact.ts';

/** Header names whose values describe framing or content, never a person (lower case). */
const STRUCTURAL = new Set([
  'host',
  'content-type',
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'expect',
  'accept',
  'accept-encoding',
  'accept-language',
  'cache-control',
  'pragma',
  'date',
  'server',
  'vary',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
  // Pseudo-headers of MQTT and DNS messages (src/streams): protocol fields, not values sent by a person.
  'protocol',
  'protocol-level',
  'topic-filter',
  'will-topic',
  'dns-id',
  'question',
  'rcode',
  'answer',
  // RTP's (src/streams/rtp.ts): a random source id and counters, not values sent by a person.
  'payload-type',
  'ssrc',
  'sequence',
  'timestamp',
]);

/** The head with non-structural values masked (unless `reveal`). */
export function maskHeaders(headers: Headers, reveal: boolean): Headers {
  if (reveal) return headers;
  return headers.map(([name, value]) => [name, STRUCTURAL.has(name.toLowerCase()) ? value : redact(value)] as const);
}

/** A path segment that looks like a person or a device: a long digit run (phone, IMEI), an e-mail, a MAC. */
const PERSONAL_SEGMENT = /\d{7,}|@|(?:[0-9a-f]{2}[:-]){5}[0-9a-f]{2}|[0-9a-f]{12}/i;

/** A path or MQTT topic with the segments that look personal masked; the rest stays readable. */
export function maskPath(path: string, reveal: boolean): string {
  if (reveal) return path;
  return path
    .split('/')
    .map((seg) => (PERSONAL_SEGMENT.test(seg) ? redact(seg) : seg))
    .join('/');
}

/**
 * The URL with every query value masked (keys stay, so `?kid=•••&type=•` still says what was sent) and the
 * path's personal-looking segments masked.
 */
export function maskUrl(url: string, reveal: boolean): string {
  if (reveal || url.startsWith('dns:')) return url;
  const q = url.indexOf('?');
  if (q < 0) return maskPath(url, false);
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  const masked = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq < 0 ? pair : `${pair.slice(0, eq + 1)}${redact(pair.slice(eq + 1))}`;
    })
    .join('&');
  return `${maskPath(url.slice(0, q), false)}?${masked}`;
}

/**
 * What a connection speaks, from its content on any port (Zeek's dynamic protocol detection): each recogniser
 * reads the client's first bytes and says `ok`, `bad` or `more`; the first `ok` in priority order wins (TLS
 * handshake record, MQTT CONNECT, the HTTP/2 connection preface, a whole HTTP/1 request line, DNS query with its
 * TCP length prefix, a watch frame, SMTP's `EHLO`/`HELO`). Every
 * recogniser is bounded by the bytes it needs (a request line up to the bound, an MQTT protocol name, a DNS
 * question), so a caller holds at most
 * MAX_RECOGNITION_BYTES. Ports are a hint only, used when the content cannot tell: a connection or UDP flow to
 * or from port 53 with no payload, a truncated or malformed query, is still DNS. Pure functions: the router and
 * the replay's UDP flows call them.
 */

import { looksCoap } from '../decode/coap.ts';
import { dnsDatagram, dnsTcpQueryPrefix, type ShapeVerdict } from '../decode/dns-shape.ts';
import { HTTP2_PREFACE } from '../decode/http2-frames.ts';
import { mqttConnectPrefix } from '../decode/mqtt.ts';
import { requestLinePrefix } from './http1-head.ts';
import type { Endpoint } from './types.ts';
import { watchFramePrefix } from './watch.ts';

/** Application protocols recognised on a TCP connection. */
export type TcpProtocol = 'tls' | 'mqtt' | 'http2' | 'http' | 'dns' | 'watch' | 'smtp';

/** Bytes the longest recogniser may need: a DNS length prefix, header and a 255-octet name, type and class. */
export const MAX_RECOGNITION_BYTES = 2 + 12 + 256 + 4;

const DNS_PORT = 53;

/** TLS: a handshake record (0x16) of version 3.x. */
function tlsRecordPrefix(b: Uint8Array): ShapeVerdict {
  if (b.length === 0) return 'more';
  if (b[0] !== 0x16) return 'bad';
  if (b.length === 1) return 'more';
  return b[1] === 0x03 ? 'ok' : 'bad';
}

/**
 * HTTP/2 with prior knowledge (h2c, or h2 inside decrypted TLS): the client connection preface. Its first line
 * `PRI * HTTP/2.0` would pass as an HTTP/1 request line, so this comes first.
 */
function http2Preface(b: Uint8Array): ShapeVerdict {
  const n = Math.min(b.length, HTTP2_PREFACE.length);
  for (let i = 0; i < n; i++) if (b[i] !== HTTP2_PREFACE[i]) return 'bad';
  return n === HTTP2_PREFACE.length ? 'ok' : 'more';
}

/** SMTP (RFC 5321): the client's first command, `EHLO` or `HELO` and a domain, to its line end. */
function smtpHello(b: Uint8Array): ShapeVerdict {
  const text = Buffer.from(b.subarray(0, 80)).toString('latin1');
  if (/^(?:EHLO|HELO) [\x21-\x7e]{1,64}\r?\n/i.test(text)) return 'ok';
  const verb = text.slice(0, 5).toUpperCase();
  const started = 'EHLO '.startsWith(verb) || 'HELO '.startsWith(verb);
  return started && text.length < 80 && /^.{0,5}[\x21-\x7e]{0,64}\r?$/.test(text) ? 'more' : 'bad';
}

const TCP_RECOGNISERS: ReadonlyArray<readonly [TcpProtocol, (b: Uint8Array) => ShapeVerdict]> = [
  ['tls', tlsRecordPrefix],
  ['mqtt', mqttConnectPrefix],
  ['http2', http2Preface],
  ['http', requestLinePrefix],
  ['dns', dnsTcpQueryPrefix],
  ['watch', watchFramePrefix],
  ['smtp', smtpHello],
];

/**
 * The protocol of a TCP connection from its client's first bytes `up`: a protocol, `more` (hold more bytes), or
 * `unknown`. `final`: no more bytes will come before deciding (a gap, the close, or the server spoke first), so
 * `more` counts as `bad`. `serverPort` is the hint for content that no recogniser takes.
 */
export function recognizeTcp(up: Uint8Array, final: boolean, serverPort: number): TcpProtocol | 'more' | 'unknown' {
  const head = up.length > MAX_RECOGNITION_BYTES ? up.subarray(0, MAX_RECOGNITION_BYTES) : up;
  let waiting = false;
  for (const [protocol, test] of TCP_RECOGNISERS) {
    const v = test(head);
    if (v === 'ok') return protocol;
    // A preface cut after its first line would pass as an HTTP/1 request line: wait for the rest.
    if (v === 'more' && protocol === 'http2' && !final) return 'more';
    // A request line still whole at the bytes held (a long URL) is HTTP: no other recogniser takes such bytes.
    if (v === 'more' && protocol === 'http' && head.length === MAX_RECOGNITION_BYTES) return protocol;
    if (v === 'more') waiting = true;
  }
  if (waiting && !final && up.length < MAX_RECOGNITION_BYTES) return 'more';
  return serverPort === DNS_PORT ? 'dns' : 'unknown';
}

/**
 * Whether the server's first bytes `down` leave the client's first flight open: an HTTP/2 server sends its
 * SETTINGS frame (9-byte header: a multiple of 6 bytes, type 4, stream 0) as soon as the connection opens, often
 * before the client's preface arrives; a line protocol's server greets first (`220 mail.example ESMTP`) and the
 * client's first command tells the protocol (`EHLO`). Bounded like the client's bytes: past MAX_RECOGNITION_BYTES it
 * does not.
 */
export function serverMayWait(down: Uint8Array): boolean {
  if (down.length > MAX_RECOGNITION_BYTES) return false;
  return h2Settings(down) || textGreeting(down);
}

/** An HTTP/2 SETTINGS frame's start: a length that is a multiple of 6, type 4, stream 0. */
function h2Settings(down: Uint8Array): boolean {
  if (down.length >= 3 && ((down[0]! << 16) | (down[1]! << 8) | down[2]!) % 6 !== 0) return false;
  if (down.length >= 4 && down[3] !== 0x04) return false;
  for (let i = 5; i < Math.min(9, down.length); i++) if (down[i] !== 0) return false;
  return true;
}

/**
 * A line protocol's greeting, after which the client speaks: SMTP's or FTP's `220`, POP3's `+OK`, IMAP's `* OK`, one
 * line (a second line from the server is a reply: the client has spoken, and its bytes decide).
 */
function textGreeting(down: Uint8Array): boolean {
  const lf = down.indexOf(0x0a);
  if (lf >= 0 && down.indexOf(0x0a, lf + 1) >= 0) return false;
  const text = Buffer.from(down.subarray(0, 4)).toString('latin1');
  return GREETINGS.some((g) => (text.length < g.length ? g.startsWith(text) : text.startsWith(g)));
}

/** How line protocols' servers greet: SMTP's and FTP's `220` (one line or the first of several), POP3, IMAP. */
const GREETINGS = ['220 ', '220-', '+OK', '* OK'];

/**
 * UDP server ports of the local network's own services (DHCP, NTP, NetBIOS, SSDP, WS-Discovery, IKE): what they
 * carry is the LAN's business, not an upload to a cloud.
 */
const LOCAL_UDP_PORTS = new Set([67, 68, 123, 137, 138, 500, 1900, 3702, 4500]);

/**
 * Whether a UDP flow not recognised as DNS is read as raw bytes by the analyzers (a tracker's text lines, JSON
 * datagrams): not when it goes to a multicast or broadcast address or a local service's port, nor when its first
 * datagram is QUIC, DTLS or STUN (encrypted, or no payload of its own: their bytes would only look random).
 */
export function udpPayloadReadable(first: Uint8Array, client: Endpoint, server: Endpoint): boolean {
  if (LOCAL_UDP_PORTS.has(server.port) || LOCAL_UDP_PORTS.has(client.port) || isGroupAddress(server.ip)) return false;
  return !(quicLongHeader(first) || dtlsRecord(first) || stunMessage(first));
}

/** IPv4 multicast (224/4) and limited broadcast, IPv6 multicast (ff00::/8). */
function isGroupAddress(ip: string): boolean {
  if (ip.includes(':')) return ip.toLowerCase().startsWith('ff');
  const first = Number(ip.slice(0, ip.indexOf('.')));
  return (first >= 224 && first <= 239) || ip === '255.255.255.255';
}

/** A QUIC long-header packet (RFC 9000 17.2): header form and fixed bits set, a version, a connection id length. */
function quicLongHeader(b: Uint8Array): boolean {
  return b.length >= 7 && (b[0]! & 0xc0) === 0xc0 && (b[1]! | b[2]! | b[3]! | b[4]!) !== 0 && b[5]! <= 20;
}

/** A DTLS record: content type 20–25, version 254.x (DTLS 1.0 0xfeff, 1.2 0xfefd, 1.3 0xfefc). */
function dtlsRecord(b: Uint8Array): boolean {
  return b.length >= 13 && b[0]! >= 20 && b[0]! <= 25 && b[1] === 0xfe && b[2]! >= 0xfc;
}

/** A STUN message (RFC 5389): its magic cookie at bytes 4–7. */
function stunMessage(b: Uint8Array): boolean {
  return b.length >= 20 && b[4] === 0x21 && b[5] === 0x12 && b[6] === 0xa4 && b[7] === 0x42;
}

/**
 * The protocol of a UDP flow from its first datagram: DNS by content on any port, or by port 53 as a hint; CoAP by
 * content (src/decode/coap.ts `looksCoap`: a well-formed message on port 5683, a request with a path on any port).
 */
export function recognizeUdp(first: Uint8Array, clientPort: number, serverPort: number): 'dns' | 'coap' | 'udp' {
  if (serverPort === DNS_PORT || clientPort === DNS_PORT) return 'dns';
  if (dnsDatagram(first)) return 'dns';
  return looksCoap(first, clientPort, serverPort) ? 'coap' : 'udp';
}

/**
 * CoAP messages (RFC 7252), one per UDP datagram: header, token, options, payload. Only what the analysis needs is
 * kept: the code (method or response), the URI (Uri-Host, Uri-Path, Uri-Query), Content-Format as a media type,
 * the block options (RFC 7959) and the payload. `parseCoap` never throws: undefined for a datagram that is no
 * well-formed CoAP message.
 */

export interface CoapBlock {
  num: number;
  more: boolean;
}

export interface CoapMessage {
  /** 0 CON, 1 NON, 2 ACK, 3 RST. */
  type: number;
  /** Class (0 request, 2–5 response) and detail: 0.01 is GET, 2.05 Content. */
  codeClass: number;
  codeDetail: number;
  token: Uint8Array;
  host?: string;
  /** `/path/segments?query&items` (requests; `/` when no Uri-Path). */
  uri: string;
  hasPath: boolean;
  /** Content-Format as a media type (`application/json`), or `coap/<n>` for a number not known here. */
  contentType?: string;
  /** Block1 (a request's body in blocks) or Block2 (a response's). */
  block?: CoapBlock;
  payload: Uint8Array;
}

export const COAP_PORT = 5683;
export const COAP_METHODS = ['', 'GET', 'POST', 'PUT', 'DELETE', 'FETCH', 'PATCH', 'iPATCH'] as const;

/** CoAP Content-Format registry entries a device sends (IANA "CoAP Content-Formats"). */
const CONTENT_FORMATS = new Map<number, string>([
  [0, 'text/plain; charset=utf-8'],
  [40, 'application/link-format'],
  [41, 'application/xml'],
  [42, 'application/octet-stream'],
  [47, 'application/exi'],
  [50, 'application/json'],
  [60, 'application/cbor'],
  [110, 'application/senml+json'],
  [112, 'application/senml+cbor'],
  [11542, 'application/vnd.oma.lwm2m+tlv'],
  [11543, 'application/vnd.oma.lwm2m+json'],
]);

const OPT_URI_HOST = 3;
const OPT_URI_PATH = 11;
const OPT_CONTENT_FORMAT = 12;
const OPT_URI_QUERY = 15;
const OPT_BLOCK2 = 23;
const OPT_BLOCK1 = 27;

const decoder = new TextDecoder();

function uint(b: Uint8Array): number {
  let n = 0;
  for (const x of b) n = n * 256 + x;
  return n;
}

/** An option's delta or length nibble with its extended bytes; -1 for the reserved 15. */
function extended(nibble: number, b: Uint8Array, at: { i: number }): number {
  if (nibble < 13) return nibble;
  if (nibble === 13) return at.i < b.length ? b[at.i++]! + 13 : -1;
  if (nibble === 14) {
    if (at.i + 1 >= b.length) return -1;
    const v = ((b[at.i]! << 8) | b[at.i + 1]!) + 269;
    at.i += 2;
    return v;
  }
  return -1;
}

export function parseCoap(b: Uint8Array): CoapMessage | undefined {
  if (b.length < 4 || b[0]! >> 6 !== 1) return undefined;
  const tkl = b[0]! & 0x0f;
  const codeClass = b[1]! >> 5;
  const codeDetail = b[1]! & 0x1f;
  if (tkl > 8 || 4 + tkl > b.length || codeClass === 1 || codeClass > 5) return undefined;
  if (codeClass === 0 && codeDetail > 7) return undefined;
  const msg: CoapMessage = {
    type: (b[0]! >> 4) & 3,
    codeClass,
    codeDetail,
    token: b.subarray(4, 4 + tkl),
    uri: '/',
    hasPath: false,
    payload: new Uint8Array(0),
  };
  const path: string[] = [];
  const query: string[] = [];
  const at = { i: 4 + tkl };
  let number = 0;
  while (at.i < b.length) {
    const first = b[at.i++]!;
    if (first === 0xff) {
      if (at.i >= b.length) return undefined; // a payload marker with no payload is a format error
      msg.payload = b.subarray(at.i);
      break;
    }
    const delta = extended(first >> 4, b, at);
    const length = extended(first & 0x0f, b, at);
    if (delta < 0 || length < 0 || at.i + length > b.length) return undefined;
    number += delta;
    const value = b.subarray(at.i, at.i + length);
    at.i += length;
    if (number === OPT_URI_HOST) msg.host = decoder.decode(value);
    else if (number === OPT_URI_PATH) path.push(decoder.decode(value));
    else if (number === OPT_URI_QUERY) query.push(decoder.decode(value));
    else if (number === OPT_CONTENT_FORMAT) {
      const n = uint(value);
      msg.contentType = CONTENT_FORMATS.get(n) ?? `coap/${n}`;
    } else if (number === OPT_BLOCK1 || number === OPT_BLOCK2) {
      const v = uint(value);
      // Block1 belongs to a request's body, Block2 to a response's.
      if ((number === OPT_BLOCK1) === (codeClass === 0)) msg.block = { num: Math.floor(v / 16), more: (v & 8) !== 0 };
    }
  }
  msg.hasPath = path.length > 0;
  msg.uri = `/${path.map(encodeURIComponent).join('/')}${query.length > 0 ? `?${query.join('&')}` : ''}`;
  return msg;
}

/**
 * Whether a UDP flow's first datagram is CoAP: a well-formed message on CoAP's port, or anywhere a request with a
 * Uri-Path (a method code and a path: random bytes rarely parse that far).
 */
export function looksCoap(first: Uint8Array, clientPort: number, serverPort: number): boolean {
  const m = parseCoap(first);
  if (!m) return false;
  if (serverPort === COAP_PORT || clientPort === COAP_PORT) return true;
  return m.codeClass === 0 && m.codeDetail >= 1 && m.hasPath;
}

/** Hand-made TLS bytes for the decoder tests: hellos, handshake messages and records. */

const u16 = (n: number) => [n >> 8, n & 0xff];
const u24 = (n: number) => [n >> 16, (n >> 8) & 0xff, n & 0xff];
const vec16 = (b: number[]) => [...u16(b.length), ...b];
const vec8 = (b: number[]) => [b.length, ...b];
const ascii = (s: string) => [...Buffer.from(s, 'latin1')];

export interface HelloSpec {
  version?: number;
  ciphers: number[];
  /** [type, body] in wire order; use the helpers below for common bodies. */
  extensions: Array<[number, number[]]>;
}

export const sniExt = (host: string): [number, number[]] => [0, vec16([0, ...vec16(ascii(host))])];
export const alpnExt = (...protos: string[]): [number, number[]] => [
  0x10,
  vec16(protos.flatMap((p) => vec8(ascii(p)))),
];
export const versionsExt = (...vs: number[]): [number, number[]] => [0x2b, vec8(vs.flatMap(u16))];
export const u16ListExt = (type: number, xs: number[]): [number, number[]] => [type, vec16(xs.flatMap(u16))];
export const emptyExt = (type: number): [number, number[]] => [type, []];

/** A ClientHello body (no handshake header). */
export function clientHelloBody(s: HelloSpec): number[] {
  const exts = s.extensions.flatMap(([t, b]) => [...u16(t), ...vec16(b)]);
  return [
    ...u16(s.version ?? 0x0303),
    ...new Array(32).fill(7),
    ...vec8(new Array(32).fill(1)),
    ...vec16(s.ciphers.flatMap(u16)),
    ...vec8([0]),
    ...vec16(exts),
  ];
}

export const HRR_RANDOM = [...Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex')];

/** A ServerHello body; `selected` adds supported_versions. */
export function serverHelloBody(cipher: number, selected?: number, random = new Array(32).fill(9)): number[] {
  const exts = selected === undefined ? [] : [...u16(0x2b), ...vec16(u16(selected))];
  return [...u16(0x0303), ...random, ...vec8([]), ...u16(cipher), 0, ...vec16(exts)];
}

/** A handshake message: type, 24-bit length, body. */
export const handshake = (type: number, body: number[]) => [type, ...u24(body.length), ...body];

/** TLS records of one content type, cutting `payload` into records of at most `max` bytes. */
export function records(type: number, payload: number[], max = 1 << 14): number[] {
  const out: number[] = [];
  for (let i = 0; i < payload.length || i === 0; i += max) {
    const part = payload.slice(i, i + max);
    out.push(type, 3, 3, ...u16(part.length), ...part);
    if (payload.length === 0) break;
  }
  return out;
}

/** A TLS 1.2 Certificate message body holding one DER certificate. */
export const certificateBody = (der: Uint8Array) => {
  const one = [...u24(der.length), ...der];
  return [...u24(one.length), ...one];
};

export const bytes = (xs: number[]) => Uint8Array.from(xs);

/** openssl req -x509 -newkey ec (P-256) -subj "/C=CN/O=Toy Cloud Ltd/OU=IoT/CN=api.toy-cloud.example", DER. */
export const TEST_CERT = Buffer.from(
  'MIIB6TCCAY6gAwIBAgIBBzAKBggqhkjOPQQDAjBTMQswCQYDVQQGEwJDTjEWMBQGA1UECgwNVG95IENsb3VkIEx0ZDEMMAoGA1UECwwDSW9UMR4w' +
    'HAYDVQQDDBVhcGkudG95LWNsb3VkLmV4YW1wbGUwHhcNMjYxMTIzMTEwODM2WhcNMzYxMTIwMTEwODM2WjBTMQswCQYDVQQGEwJDTjEWMBQGA1UE' +
    'CgwNVG95IENsb3VkIEx0ZDEMMAoGA1UECwwDSW9UMR4wHAYDVQQDDBVhcGkudG95LWNsb3VkLmV4YW1wbGUwWTATBgcqhkjOPQIBBggqhkjOPQMB' +
    'BwNCAAQGztmkYMmjlHhJjGRXV0vEoPBafaay6Ur78KrNs8TvLMJI1iaM4ovrgN9ZWMK11tVq4XdMveDE46MCOTXsLulyo1MwUTAdBgNVHQ4EFgQU' +
    'Iu6EfwiZclgyS3V2/0hlMoNCnEMwHwYDVR0jBBgwFoAUIu6EfwiZclgyS3V2/0hlMoNCnEMwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJ' +
    'ADBGAiEA4vQy6EKuj8FnkrKFJhyURIPT2oBdUtnympDJm4Igf5oCIQDI7VZAa/I4cx6230ZIrsUnEF2ZvnZmKL6Xg7bs2DTX1Q==',
  'base64',
);
